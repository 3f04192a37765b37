"""python -m attnscope.distributed corpus FILE... --model ID|DIR --output PREFIX [options]"""
import argparse
import sys


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m attnscope.distributed",
                                description="attnscope corpus statistics on a Ray cluster (exactly the CLI's result)")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("corpus", help="Per-head statistics over corpus files, on Ray actors")
    c.add_argument("files", nargs="+", metavar="FILE", help="One text per line (A<TAB>B for pairs), or JSON Lines (.jsonl)")
    c.add_argument("--model", "-m", required=True, help="Model folder or Hugging Face id (present on every node)")
    c.add_argument("--output", "-o", help="Output prefix: PREFIX.json, .csv, .html (default FILE.attnscope)")
    c.add_argument("--address", help="Ray cluster: auto or HOST:PORT (default: start a local instance)")
    c.add_argument("--actors", type=int, help="Actor processes (default: the cluster's CPUs / CPUs per actor)")
    c.add_argument("--threads-per-actor", type=int, default=1, help="Engine threads in each actor (default 1)")
    c.add_argument("--cpus-per-actor", type=float, help="CPUs each actor reserves (default: its threads)")
    c.add_argument("--batch", "-b", type=int, default=32, help="Inputs per forward pass (default 32)")
    c.add_argument("--block-lines", type=int, help="Lines per block (default: about 8 blocks per actor, at most 4096)")
    c.add_argument("--truncate", action="store_true", help="Truncate long inputs instead of skipping them")
    c.add_argument("--no-head-map", action="store_true", help="Skip the head map (JS distances between heads)")
    c.add_argument("--head-map-docs", type=int, default=1000, help="Inputs the head map is computed over (default 1000)")
    c.add_argument("--resume", action="store_true", help="Continue an interrupted run from PREFIX.json")
    c.add_argument("--timeout", type=float, help="Stop (saving what finished) after this many seconds")
    c.add_argument("--quiet", "-q", action="store_true", help="No progress line or summary")
    a = p.parse_args(argv)

    from ..errors import Error
    from .run import corpus

    try:
        corpus(a.model, a.files, output=a.output, address=a.address, actors=a.actors,
               threads_per_actor=a.threads_per_actor, cpus_per_actor=a.cpus_per_actor, batch=a.batch,
               truncate=a.truncate, head_map=not a.no_head_map, head_map_docs=a.head_map_docs, resume=a.resume,
               block_lines=a.block_lines, timeout=a.timeout, quiet=a.quiet)
    except Error as e:
        print(f"attnscope.distributed: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("attnscope.distributed: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
