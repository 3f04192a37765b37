"""Exactly-once merging of block states on the driver.

Ray runs a block again when the actor that ran it dies, and output rows are delivered exactly once; still,
the merge does not rely on it: each block's state is keyed by its block, a key already merged is ignored,
and a state whose lines overlap another's is refused. States are merged in corpus order (a block that
finishes early waits for the ones before it), so the merged state lists skipped lines and sources in the
order `attnscope corpus` does; the sums themselves are exact and do not depend on the order.
"""
from ..errors import Error


class BlockMerger:
    def __init__(self, keys, base=None):
        """keys: the blocks still to merge, in corpus order; base: the state of everything done before them
        (a resumed run), merged first."""
        self.keys = list(keys)
        self._index = {k: i for i, k in enumerate(self.keys)}
        if len(self._index) != len(self.keys):
            raise Error("corpus plan: a block appears twice")
        self._check_disjoint(self.keys)
        self.state = base
        self.next = 0  # keys[:next] are merged into self.state
        self.pending = {}  # key → state, finished but waiting for an earlier block
        self.duplicates = 0

    @staticmethod
    def _check_disjoint(keys):
        by_file = {}
        for f, a, b in keys:
            by_file.setdefault(f, []).append((a, b))
        for f, ranges in by_file.items():
            ranges.sort()
            for (a0, b0), (a1, b1) in zip(ranges, ranges[1:]):
                if a1 <= b0:
                    raise Error(f"corpus plan: blocks {a0}-{b0} and {a1}-{b1} of file {f} overlap")

    def add(self, key, state):
        """Takes a finished block's state; returns False (and changes nothing) when that block was merged already."""
        key = tuple(int(x) for x in key)
        if key not in self._index:
            raise Error(f"corpus merge: a state for lines {key[1]}-{key[2]} of file {key[0]}, which is no block of this run")
        if self._index[key] < self.next or key in self.pending:
            self.duplicates += 1
            return False
        self.pending[key] = state
        while self.next < len(self.keys) and self.keys[self.next] in self.pending:
            s = self.pending.pop(self.keys[self.next])
            if self.state is None:
                self.state = s
            else:
                self.state.merge(s)
            self.next += 1
        return True

    @property
    def complete(self):
        return self.next == len(self.keys)

    def merged_keys(self):
        return self.keys[:self.next]

    def missing(self):
        """Blocks not merged yet (neither merged nor waiting)."""
        return [k for k in self.keys[self.next:] if k not in self.pending]
