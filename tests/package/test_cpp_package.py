"""The C++ library as other programs get it: `cmake --install` writes headers, libattnscope.so and a CMake
package; examples/cpp (a separate project) finds it with find_package(attnscope), builds, and prints the
same attention numbers as `attnscope run`. And the layering the build promises: the core library links no
network or HTTP code."""
import json
import os
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

from tests.conftest import BINARY, ROOT

BUILD = BINARY.parent


def _run(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("prefix")
    _run(["cmake", "--install", BUILD, "--prefix", prefix])
    return prefix


def test_install_tree_has_headers_library_and_package(installed):
    headers = sorted(p.name for p in (installed / "include" / "attnscope").glob("*.h"))
    print("installed headers:", headers)
    assert {"model.h", "tokenizer.h", "trace.h", "analysis.h", "version.h", "workspace.h", "types.h"} <= set(headers)
    libs = list((installed / "lib").glob("libattnscope.so*"))
    assert libs, list((installed / "lib").iterdir())
    assert (installed / "lib" / "cmake" / "attnscope" / "attnscopeConfig.cmake").exists()
    version = (installed / "include" / "attnscope" / "version.h").read_text()
    assert re.search(r'#define ATTNSCOPE_VERSION_STRING "\d+\.\d+\.\d+"', version)


def test_example_builds_against_the_install_and_matches_the_cli(installed, tmp_path, attnscope, minilm_dir):
    build = tmp_path / "example"
    env = dict(os.environ, CCACHE_DISABLE="1")
    _run(["cmake", "-S", ROOT / "examples" / "cpp", "-B", build, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={installed}",
          "-DCMAKE_BUILD_TYPE=Release"], env=env)
    _run(["cmake", "--build", build], env=env)
    text = "The output shows the attention values"
    out = _run([build / "print_head", minilm_dir, text, 2, 5]).splitlines()
    assert out[0].startswith("attnscope ") and "layer 2 head 5" in out[0]
    rows = [line.split() for line in out[1:]]
    tokens = [r[0] for r in rows]
    matrix = np.array([[float(v) for v in r[1:]] for r in rows], dtype=np.float32)
    ref = attnscope.json("run", text, "--model", minilm_dir, "--format", "json", "-q")
    assert tokens == ref["encoding"]["tokens"]
    expected = np.array(ref["attentions"][2][5], dtype=np.float32)
    print(f"example vs attnscope run: max |diff| {np.abs(matrix - expected).max():.3g} over {matrix.size} values")
    assert np.array_equal(matrix, expected)  # printed with 9 significant digits: float32 round-trips exactly


def _needed(path):
    out = _run(["readelf", "-d", path])
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)


def test_core_library_links_no_network_or_http_code():
    needed = _needed(BUILD / "libattnscope.so")
    print("libattnscope.so needs:", needed)
    assert not [n for n in needed if re.match(r"lib(curl|ssl|crypto|openblas)", n)], needed
    symbols = _run(["nm", "-C", "--defined-only", BUILD / "libattnscope_core.a"])
    assert "httplib" not in symbols and "curl_" not in symbols
    assert "attnscope::hub::pull" not in symbols  # the downloader is attnscope_hub's
