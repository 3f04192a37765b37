"""The stable-ABI wheel (pyproject's wheel.py-api = "cp312"): built by Python 3.12, it is tagged
cp312-abi3, its extension modules are *.abi3.so, and the same file installed under Python 3.13 imports,
gives the installed (3.11) package's attentions bit for bit and draws a view with attnscope._render.
The test venv is 3.11 (a normal wheel), so without this the abi3 path would never be built."""
import glob
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Its own build folder: build-py is the 3.11 install's (scripts/test-python.sh), and a build folder is
# configured for one interpreter. One level below the checkout, so ccache hits the library's objects.
BUILD_DIR = ROOT / "build-py312"
TEXT = "The output shows the attention values"


def _python(minor):
    """python3.MINOR on PATH, else pyenv's; a pyenv shim for a version that is not selected is on PATH
    but fails, so each candidate must run and report the version."""
    name = f"python3.{minor}"
    pattern = f"/root/.pyenv/versions/3.{minor}*/bin/{name}"
    for candidate in [shutil.which(name), *sorted(glob.glob(pattern))]:
        if not candidate:
            continue
        proc = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2] == (3, %d))" % minor],
                              capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip() == "True":
            return candidate
    pytest.skip(f"no Python 3.{minor}: looked for {name} on PATH and {pattern}")


def _pinned(*names):
    """The build backend at scripts/requirements-python.txt's pins (the 3.11 build uses the same)."""
    pins = {}
    for line in (ROOT / "scripts" / "requirements-python.txt").read_text().splitlines():
        m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*==\s*(\S+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(0).strip()
    return [pins.get(n, n) for n in names]


def _venv(python, where, *packages):
    subprocess.run([python, "-m", "venv", str(where)], check=True)
    py = where / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", *packages], check=True)
    return py


@pytest.fixture(scope="module")
def abi3_wheel(tmp_path_factory):
    py312 = _python(12)
    tmp = tmp_path_factory.mktemp("abi3")
    start = time.monotonic()
    py = _venv(py312, tmp / "build-venv", *_pinned("scikit-build-core", "nanobind"), "numpy")
    env = dict(os.environ, CCACHE_BASEDIR=str(ROOT), CMAKE_BUILD_PARALLEL_LEVEL="2")
    built = time.monotonic()
    proc = subprocess.run([str(py), "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q", "-w",
                           str(tmp / "out"), f"--config-settings=build-dir={BUILD_DIR}",
                           "--config-settings=cmake.define.ATTNSCOPE_WERROR=ON", str(ROOT)],
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]
    wheel = next((tmp / "out").glob("attnscope-*.whl"))
    print(f"\n{wheel.name}: {wheel.stat().st_size / 1e6:.2f} MB; build venv {built - start:.0f} s, "
          f"pip wheel {time.monotonic() - built:.0f} s")
    return wheel


def test_the_wheel_is_abi3(abi3_wheel):
    assert re.fullmatch(r"attnscope-[0-9.]+-cp312-abi3-linux_x86_64\.whl", abi3_wheel.name), abi3_wheel.name
    modules = sorted(n for n in zipfile.ZipFile(abi3_wheel).namelist() if n.endswith(".so"))
    assert "attnscope/_core.abi3.so" in modules and "attnscope/_render.abi3.so" in modules, modules
    assert all(n.endswith(".abi3.so") for n in modules), modules


def test_python313_runs_the_same_wheel(abi3_wheel, tmp_path, minilm_dir, minilm, attnscope_pkg):
    py = _venv(_python(13), tmp_path / "venv313", "numpy")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(abi3_wheel)], check=True)
    code = ("import sys, attnscope, attnscope._render as r, numpy as np; m = attnscope.from_pretrained(sys.argv[1]); "
            "out = m(sys.argv[2]); np.save(sys.argv[3], np.stack([a[0] for a in out.attentions])); "
            "open(sys.argv[4], 'wb').write(attnscope.head_view(out, html_action='return').png); "
            "print(attnscope._core.__file__, r.__file__, sep='\\n')")
    att, png = tmp_path / "att.npy", tmp_path / "head.png"
    # cwd away from the checkout, so python/attnscope cannot shadow the installed package.
    proc = subprocess.run([str(py), "-c", code, str(minilm_dir), TEXT, str(att), str(png)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for module in proc.stdout.split():
        assert module.startswith(str(tmp_path / "venv313")) and module.endswith(".abi3.so"), module
    expected = np.stack([a[0] for a in minilm(TEXT).attentions])
    np.testing.assert_array_equal(np.load(att), expected)
    assert png.read_bytes().startswith(b"\x89PNG")
    # The same renderer over the same attentions: the 3.11 package's picture, byte for byte.
    assert png.read_bytes() == attnscope_pkg.head_view(minilm(TEXT), html_action="return").png
