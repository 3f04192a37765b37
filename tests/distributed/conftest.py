"""A real multi-process Ray cluster on loopback for the distributed corpus tests: a head and a second node,
1 CPU each, no dashboard, every node and listener on 127.0.0.1 (checked with `ss -ltnp`), stopped at the
end whatever happens — only the processes this test session started, by their ids.

What it takes with Ray 2.60 (docs/distributed.md has the why of each):
- RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 in every process: nodes take 127.0.0.1 and listen there only
  (--node-ip-address 127.0.0.1 alone is replaced by the machine's own address);
- RAY_AUTH_MODE=disabled: a local ray.init elsewhere leaves ~/.ray/auth_token, which a second node refuses;
- a short RAY_TMPDIR (Unix socket paths are capped at 107 bytes; pytest's tmp_path is too long);
- actors reserve 0.5 CPU (with 1 CPU per node, whole-CPU actors and Ray Data's own tasks deadlock);
- ray_shim/ first on the Ray processes' PYTHONPATH (a slow third-party import, see ray_shim/).
The tests run against the installed package (scripts/test-distributed.sh installs it), never python/.
"""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHIM = pathlib.Path(__file__).resolve().parent / "ray_shim"
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0",
           "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "1"}
LOOPBACK = {"127.0.0.1", "[::ffff:127.0.0.1]", "[::1]", "::1", "::ffff:127.0.0.1"}
OBJECT_STORE = 256 * 2**20
# Ray reads these when it is imported: set as soon as pytest loads this folder, before any test imports Ray.
os.environ.update(RAY_ENV)


def _missing(what):
    # Outside the lane (a plain `pytest tests`) these tests skip with the command that runs them; in the lane
    # (scripts/test-distributed.sh sets ATTNSCOPE_DISTRIBUTED_REQUIRED) a missing piece is a failure.
    message = f"{what}: run scripts/test-distributed.sh"
    if os.environ.get("ATTNSCOPE_DISTRIBUTED_REQUIRED"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def attnscope_pkg():
    try:
        import attnscope
    except ImportError:
        _missing("the attnscope Python package is not installed")

    where = pathlib.Path(attnscope.__file__).resolve()
    assert ROOT / "python" not in where.parents, f"attnscope imported from the source tree ({where}); install it first"
    return attnscope


def _descendants():
    import psutil

    try:
        return psutil.Process(os.getpid()).children(recursive=True)
    except psutil.Error:
        return []


def ray_listeners():
    """[(local address, port, process name, pid)] of every TCP listener of this process and its descendants."""
    ours = {os.getpid()} | {p.pid for p in _descendants()}
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        cols = line.split()
        if len(cols) < 6:
            continue
        local = cols[3]
        host, _, port = local.rpartition(":")
        for name, pid in re.findall(r'\("([^"]+)",pid=(\d+)', line):
            if int(pid) in ours:
                found.append((host, int(port), name, int(pid)))
    return found


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def ray_cluster(attnscope_pkg):
    try:
        import psutil  # noqa: F401
        import ray  # noqa: F401
    except ImportError:
        _missing("Ray (ray[data]) or psutil is not installed in .venv")
    from ray._private import ray_constants

    assert not ray_constants.ENABLE_RAY_CLUSTER, "Ray was imported before RAY_ENV was set: nodes would leave loopback"
    # A SIGTERM (the lane's timeout) becomes an exception, so the teardown below still stops the cluster.
    previous = signal.signal(signal.SIGTERM, _terminate)
    tmp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: socket paths live under it
    os.environ["RAY_TMPDIR"] = tmp
    pkg_dir = str(pathlib.Path(attnscope_pkg.__file__).resolve().parents[1])
    os.environ["PYTHONPATH"] = os.pathsep.join([str(SHIM), pkg_dir] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    sys.modules.pop("rfc3987_syntax", None)
    started = time.monotonic()
    cluster = None
    try:
        from ray.cluster_utils import Cluster

        node = dict(num_cpus=1, node_ip_address="127.0.0.1", object_store_memory=OBJECT_STORE)
        cluster = Cluster(initialize_head=True, head_node_args=dict(node, include_dashboard=False))
        cluster.add_node(**node)
        cluster.wait_for_nodes()
        import ray

        ray.init(address=cluster.address, log_to_driver=False)
        print(f"\nray cluster: 2 nodes at {cluster.address} up in {time.monotonic() - started:.1f} s", file=sys.stderr)
        yield cluster
    finally:
        stopping = time.monotonic()
        try:
            import ray

            ray.shutdown()
        except Exception as e:  # the teardown goes on: every process is killed below
            print(f"ray.shutdown: {e}", file=sys.stderr)
        if cluster is not None:
            try:
                cluster.shutdown()
            except Exception as e:
                print(f"cluster.shutdown: {e}", file=sys.stderr)
        for p in _descendants():  # whatever is left of what this session started
            try:
                p.send_signal(signal.SIGKILL)
            except Exception:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)
        print(f"ray cluster: stopped in {time.monotonic() - stopping:.1f} s", file=sys.stderr)
