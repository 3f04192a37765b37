"""Value-for-value comparison of two corpus outputs (PREFIX.json), printing what was compared."""
import json


def leaves(x, path=""):
    if isinstance(x, dict):
        for k in sorted(x):
            yield from leaves(x[k], f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, x


def differences(a, b):
    la, lb = dict(leaves(a)), dict(leaves(b))
    keys = set(la) | set(lb)
    return len(keys), sorted(k for k in keys if la.get(k, object()) != lb.get(k, object()))


def assert_same_corpus(cli_json, other_json, label, ignore=("sources",)):
    """results equal value for value; the state (the exact sums, counts, skipped lines) equal except its
    list of sources, which names each block (and whatever else `ignore` names)."""
    cli = json.loads(open(cli_json, encoding="utf-8").read())
    other = json.loads(open(other_json, encoding="utf-8").read())
    n, diff = differences(cli["results"], other["results"])
    state_a = {k: v for k, v in cli["state"].items() if k not in ignore}
    state_b = {k: v for k, v in other["state"].items() if k not in ignore}
    m, sdiff = differences(state_a, state_b)
    print(f"{label}: {n} result values compared, {len(diff)} differ; {m} state values (exact sums) compared, "
          f"{len(sdiff)} differ; {cli['results']['docs']} inputs, {cli['results']['skipped_lines']} skipped")
    assert not diff, f"{label}: results differ at {diff[:10]}"
    assert not sdiff, f"{label}: state differs at {sdiff[:10]}"
    assert cli["results"]["docs"] > 0
