"""Merged call tree of a profile, with narrow nodes pruned into their parents."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from beholder.profiles.model import Frame, Profile, frame_namer

DEFAULT_MIN_FRACTION = 0.0005  # 0.05% of the root: narrower than a pixel on most screens
ROOT_KIND = "root"


class FrameInterner:
    """Maps frames to small ints keyed by (display name, kind); shareable between profiles."""

    def __init__(self, namer: Callable[[Frame], str] | None = None) -> None:
        self.namer = namer or frame_namer(())
        self.names: list[str] = []
        self.kinds: list[str] = []
        self._index: dict[tuple[str, str], int] = {}
        # Keyed by id(): hashing a frozen dataclass per frame is the hot spot otherwise.
        # The frame is kept in the value so its id cannot be reused while cached.
        self._by_id: dict[int, tuple[Frame, int]] = {}

    def intern(self, name: str, kind: str) -> int:
        k = (name, kind)
        i = self._index.get(k)
        if i is None:
            i = self._index[k] = len(self.names)
            self.names.append(name)
            self.kinds.append(kind)
        return i

    def frame(self, f: Frame) -> int:
        hit = self._by_id.get(id(f))
        if hit is not None:
            return hit[1]
        i = self.intern(self.namer(f), f.kind)
        self._by_id[id(f)] = (f, i)
        return i


@dataclass(slots=True)
class Node:
    key: int  # index into FrameInterner.names/kinds
    total: int
    self_count: int = 0
    children: list[Node] = field(default_factory=list)
    path: tuple[int, ...] = ()


@dataclass(slots=True)
class Tree:
    root: Node
    names: list[str]
    kinds: list[str]
    total: int
    min_fraction: float
    pruned_nodes: int = 0  # subtrees folded into their parent
    pruned_samples: int = 0

    def walk(self) -> list[Node]:
        """Pre-order list of nodes (root first)."""
        out: list[Node] = []
        todo = [self.root]
        while todo:
            n = todo.pop()
            out.append(n)
            todo.extend(reversed(n.children))
        return out


class StackTable:
    """Sorted, aggregated stacks as interned-key tuples; answers prefix totals in O(log n)."""

    def __init__(self, profile: Profile, interner: FrameInterner | None = None) -> None:
        self.interner = interner or FrameInterner(profile.namer())
        self.root_key = self.interner.intern("all", ROOT_KIND)
        agg: dict[tuple[int, ...], int] = {}
        key = self.interner.frame
        for s in profile.samples:
            k = tuple(key(f) for f in s.stack)
            agg[k] = agg.get(k, 0) + s.count
        items = sorted(agg.items())
        self.keys = [k for k, _ in items]
        self.counts = [n for _, n in items]
        # cum[i] = sum(counts[:i]); a contiguous run of rows sums in O(1).
        self.cum = [0, *accumulate(self.counts)]
        self.total = self.cum[-1]

    def _range(self, path: tuple[int, ...]) -> tuple[int, int]:
        lo = bisect_left(self.keys, path)
        if not path:
            return lo, len(self.keys)
        return lo, bisect_left(self.keys, (*path[:-1], path[-1] + 1), lo)

    def prefix_total(self, path: tuple[int, ...]) -> int:
        """Samples whose stack starts with ``path`` (root-first keys)."""
        lo, hi = self._range(path)
        return self.cum[hi] - self.cum[lo]

    def tree(self, min_fraction: float = DEFAULT_MIN_FRACTION) -> Tree:
        """Merge stacks into a tree; children under ``min_fraction`` of the total are pruned."""
        threshold = self.total * min_fraction
        root = Node(self.root_key, self.total)
        out = Tree(root, self.interner.names, self.interner.kinds, self.total, min_fraction)
        keys, cum = self.keys, self.cum
        # Rows sharing a prefix are contiguous once sorted, so each node is a row range
        # and a pruned node costs one bisect, not a walk of its subtree.
        todo: list[tuple[int, int, Node]] = [(0, len(keys), root)]
        while todo:
            lo, hi, node = todo.pop()
            depth = len(node.path)
            if lo < hi and len(keys[lo]) == depth:
                node.self_count = cum[lo + 1] - cum[lo]  # aggregated: one exact row at most
                lo += 1
            while lo < hi:
                k = keys[lo][depth]
                path = (*node.path, k)
                end = bisect_left(keys, (*node.path, k + 1), lo, hi)
                total = cum[end] - cum[lo]
                if total < threshold:
                    out.pruned_nodes += 1
                    out.pruned_samples += total
                else:
                    child = Node(k, total, path=path)
                    node.children.append(child)
                    todo.append((lo, end, child))
                lo = end
        for n in out.walk():
            # Alphabetical, as flamegraph.pl: the x axis is not time, and a stable order
            # makes two renders (or the two sides of a diff) comparable by eye.
            n.children.sort(key=lambda c: (out.names[c.key], c.key))
        return out
