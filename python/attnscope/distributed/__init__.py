"""Corpus statistics on a Ray cluster, exactly the single-machine answer.

    import attnscope.distributed as ad
    result = ad.corpus("bert-base-uncased", ["part1.txt", "part2.jsonl"], output="out/corpus",
                       address="auto", actors=8, threads_per_actor=2)

or `python -m attnscope.distributed corpus FILE... --model ID --output PREFIX [--address auto]`. A Ray Data
actor pool loads the model once per actor; each block of lines becomes a mergeable state keyed by its
block; the driver merges each block once (128-bit fixed-point sums: exact, order-free) and writes the
files `attnscope corpus` writes. See docs/distributed.md.
"""
from .merge import BlockMerger
from .run import corpus

__all__ = ["corpus", "BlockMerger"]
