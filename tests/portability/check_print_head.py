"""One MiniLM conformance case for a build the Python tests cannot drive (a reference-kernel build, a cross
build under qemu-user): every head of every layer as printed by examples/cpp's `print_head MODEL TEXT all`, against the real
transformers (eager attention) on the same sentence. Prints the largest difference; fails above 1e-5.

    python tests/portability/check_print_head.py MODEL_DIR [COMMAND PREFIX...] PRINT_HEAD
"""
import pathlib
import subprocess
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from tests.reference import reference_run  # noqa: E402

TEXT = "The output shows the attention values"
TOLERANCE = 1e-5


def printed_heads(command, model_dir):
    """{(layer, head): (tokens, matrix)} from one `print_head MODEL TEXT all` run."""
    out = subprocess.run([*command, str(model_dir), TEXT, "all"], capture_output=True, text=True, timeout=900,
                         check=True).stdout.splitlines()
    heads, current = {}, None
    for line in out:
        if line.startswith("attnscope "):
            words = line.split()
            current = heads.setdefault((int(words[-3]), int(words[-1])), ([], []))
        else:
            current[0].append(line.split()[0])
            current[1].append([float(x) for x in line.split()[1:]])
    return {k: (tokens, np.array(rows)) for k, (tokens, rows) in heads.items()}


def main():
    model_dir, command = pathlib.Path(sys.argv[1]), sys.argv[2:]
    ids, attentions, _ = reference_run(model_dir, TEXT)
    printed = printed_heads(command, model_dir)
    L, H = attentions.shape[:2]
    assert sorted(printed) == [(l, h) for l in range(L) for h in range(H)], "print_head did not print every head"
    worst = 0.0
    for (layer, head), (tokens, got) in printed.items():
        assert len(tokens) == len(ids), f"{len(tokens)} tokens printed, transformers has {len(ids)}"
        worst = max(worst, float(np.abs(got - attentions[layer, head]).max()))
    print(f"{' '.join(command)}: {len(attentions)} layers × {attentions.shape[1]} heads of MiniLM, "
          f"max |attnscope − transformers| = {worst:.3e} (tolerance {TOLERANCE:g})")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()
