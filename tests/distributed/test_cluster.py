"""attnscope.distributed on a real two-node loopback Ray cluster: the result equals `attnscope corpus`
value for value — as it is, with an actor's process killed halfway, and interrupted then resumed."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from .compare import assert_same_corpus
from .conftest import LOOPBACK, ray_listeners
from .corpus_data import write_corpus

# Actors reserve half a CPU: two fit on the two 1-CPU nodes beside Ray Data's own work.
CLUSTER = dict(actors=2, threads_per_actor=1, cpus_per_actor=0.5, block_lines=125, timeout=300)


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus") / "corpus.txt")


@pytest.fixture(scope="module")
def cli_result(attnscope, minilm_dir, corpus_file, tmp_path_factory):
    prefix = tmp_path_factory.mktemp("cli") / "cli"
    attnscope("corpus", corpus_file, "-m", minilm_dir, "-o", prefix, "--batch", "32", "-t", "2", "-q")
    return str(prefix) + ".json"


def test_equals_cli(ray_cluster, attnscope_pkg, minilm_dir, corpus_file, cli_result, tmp_path):
    import attnscope.distributed as ad

    seen = []
    result = ad.corpus(str(minilm_dir), [corpus_file], output=tmp_path / "dist", batch=7, on_block=seen.append,
                       quiet=True, **CLUSTER)
    assert_same_corpus(cli_result, tmp_path / "dist.json", "2 actors on 2 nodes vs attnscope corpus")
    # 2,000 lines in blocks of 125, one of them cut in two after the last input of the head map
    assert len({s["block"] for s in seen}) == len(seen) == 17
    assert len({s["pid"] for s in seen}) == 2
    assert result.run["duplicates"] == 0
    assert os.path.getsize(tmp_path / "dist.csv") > 0 and os.path.getsize(tmp_path / "dist.html") > 0


def test_every_ray_listener_is_on_loopback(ray_cluster):
    found = ray_listeners()
    names = {n for _, _, n, _ in found}
    print(f"{len(found)} listeners of this session's Ray processes: {sorted(names)}")
    assert any(n == "gcs_server" for n in names) and any(n == "raylet" for n in names), found
    outside = [f for f in found if f[0] not in LOOPBACK]
    assert not outside, f"Ray listens beyond loopback: {outside}"


def test_actor_killed_halfway(ray_cluster, attnscope_pkg, minilm_dir, corpus_file, cli_result, tmp_path):
    import attnscope.distributed as ad

    killed = {}
    after = []

    def on_block(info):
        if "pid" in killed:
            after.append(info)
        elif info["done"] * 2 >= info["blocks"]:
            killed["pid"] = info["pid"]
            os.kill(info["pid"], signal.SIGKILL)  # the actor process that just delivered a block
            killed["at"] = time.time()
            print(f"killed actor process {info['pid']} after {info['done']} of {info['blocks']} blocks")

    result = ad.corpus(str(minilm_dir), [corpus_file], output=tmp_path / "killed", on_block=on_block, quiet=True,
                       **CLUSTER)
    assert "pid" in killed and after, "the kill happened before the end of the run"
    # Blocks the killed process finished before it died may still be on their way to the driver (Ray's object
    # store holds them); nothing it delivers may have been finished after the kill, and another
    # process delivers the rest.
    late = [i for i in after if i["pid"] == killed["pid"] and i["finished_at"] > killed["at"]]
    assert not late, f"the killed process delivered blocks it finished after the kill: {late}"
    assert {i["pid"] for i in after} - {killed["pid"]}, "no other actor process delivered blocks after the kill"
    assert_same_corpus(cli_result, tmp_path / "killed.json", "an actor killed halfway vs attnscope corpus")
    print(f"blocks delivered twice and ignored: {result.run['duplicates']}")


def test_interrupted_then_resumed(ray_cluster, attnscope_pkg, minilm_dir, corpus_file, cli_result, tmp_path):
    import attnscope.distributed as ad

    delivered = []

    def interrupt(info):
        delivered.append(info["block"])
        if len(delivered) == 5:
            raise KeyboardInterrupt  # what Ctrl-C does on the driver

    with pytest.raises(attnscope_pkg.Error, match="interrupted after .* lines; saved"):
        ad.corpus(str(minilm_dir), [corpus_file], output=tmp_path / "run", on_block=interrupt, quiet=True, **CLUSTER)
    saved = json.loads((tmp_path / "run.json").read_text())
    kept = saved["state"]["lines_done"] + sum(p["state"]["lines_done"] for p in saved["distributed"]["pending"])
    assert kept >= 5 * 125
    with pytest.raises(attnscope_pkg.Error, match="exists: pass --resume"):
        ad.corpus(str(minilm_dir), [corpus_file], output=tmp_path / "run", quiet=True, **CLUSTER)
    again = []
    ad.corpus(str(minilm_dir), [corpus_file], output=tmp_path / "run", resume=True,
              on_block=lambda i: again.append(i["block"]), quiet=True, **CLUSTER)
    print(f"resumed: {kept} lines kept from the interrupted run, {len(again)} blocks computed after it")
    assert len(again) <= 17 - 5 and not set(again) & set(delivered[:5])
    assert_same_corpus(cli_result, tmp_path / "run.json", "interrupted and resumed vs attnscope corpus")


def test_command_line(ray_cluster, attnscope_pkg, minilm_dir, tmp_path, attnscope):
    lines = write_corpus(tmp_path / "small.txt", n=240, seed=3)
    attnscope("corpus", lines, "-m", minilm_dir, "-o", tmp_path / "cli", "-q")
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "attnscope.distributed", "corpus", str(lines), "--model",
                           str(minilm_dir), "--output", str(tmp_path / "cmd"), "--address", ray_cluster.address,
                           "--actors", "2", "--cpus-per-actor", "0.5", "--block-lines", "60", "--timeout", "240"],
                          capture_output=True, text=True, env=env, timeout=300)
    print(proc.stderr[-2000:])
    assert proc.returncode == 0, proc.stderr
    assert "inputs/s" in proc.stderr and "time outside the engine" in proc.stderr and "actor memory" in proc.stderr
    assert_same_corpus(tmp_path / "cli.json", tmp_path / "cmd.json", "python -m attnscope.distributed vs attnscope corpus")


def test_ray_dataset_input(ray_cluster, attnscope_pkg, attnscope, minilm_dir, tmp_path):
    """A ray.data.Dataset with text / pair columns equals the CLI over the same rows as JSON Lines."""
    import ray.data

    import attnscope.distributed as ad
    from .corpus_data import sentence

    import random

    rng = random.Random(4)
    rows = [{"text": sentence(rng), "pair": sentence(rng) if i % 3 == 0 else None} for i in range(150)]
    rows[40]["text"] = ""  # no tokens: skipped as line 41
    (tmp_path / "rows.jsonl").write_text("\n".join(json.dumps({k: v for k, v in r.items() if v is not None}) for r in rows) + "\n")
    attnscope("corpus", tmp_path / "rows.jsonl", "-m", minilm_dir, "-o", tmp_path / "cli", "-q")
    result = ad.corpus(str(minilm_dir), ray.data.from_items(rows), output=tmp_path / "ds", quiet=True, **CLUSTER)
    assert [line for line, _ in result.skipped] == [41]
    assert_same_corpus(tmp_path / "cli.json", tmp_path / "ds.json", "a ray.data.Dataset vs attnscope corpus on its rows")
