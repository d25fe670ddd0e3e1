"""hist() / lhist() values and the kernel bucket-index functions behind them.

A histogram is kept exactly as the kernel map stores it: ``counts[i]`` is the
(CPU-summed) u64 count of bpftrace bucket index ``i`` -- the u64 appended to
the map key.  The code generator must compute the indexes with
:func:`hist_index` / :func:`lhist_index` (bit-exact with bpftrace 0.17's
createLog2Function / createLinearFunction) for the output to match bpftrace.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from beholder.trace.output.cint import cdiv, to_s64

HIST_BUCKETS = 65  # bpftrace sizes its hist vector to 65 slots
LHIST_BUCKETS = 1002  # and its lhist vector to 1002 (1000 buckets + under/overflow)


def hist_index(value: int) -> int:
    """bpftrace 0.17's kernel log2 bucket index for ``hist(value)``.

    The codegen must compute exactly this (the value is first cast to i64):
    0 for v < 0, 1 for v == 0, else 2 + floor(log2(v)) -- but bpftrace's
    unrolled binary search only has 5 steps (shifts 16, 8, 4, 2, 1), so the
    result saturates at 2 + 31 = 33: every v >= 2**31 lands in ``[2G, 4G)``.
    """
    n = to_s64(value)
    if n < 0:
        return 0
    if n == 0:
        return 1
    result = 2
    for i in range(4, -1, -1):
        shift = (1 << i) if n >= (1 << (1 << i)) else 0
        n >>= shift
        result += shift
    return result


def lhist_index(value: int, lo: int, hi: int, step: int) -> int:
    """bpftrace 0.17's kernel bucket index for ``lhist(value, lo, hi, step)``.

    0 for v < lo; ``1 + (hi - lo) / step`` for v > hi; else ``1 + (v - lo) / step``
    (unsigned division).  Note v == hi -- and, when (hi - lo) is not a multiple
    of step, the top partial bucket -- share the overflow index with v > hi.
    """
    v = to_s64(value)
    if v < lo:
        return 0
    if v > hi:
        return 1 + (hi - lo) // step
    return 1 + (v - lo) // step


class Bucket(NamedTuple):
    """One histogram bucket; ``lo``/``hi`` are inclusive, None = unbounded."""

    lo: int | None
    hi: int | None
    count: int  # type: ignore[assignment]  # shadows tuple.count(), on purpose


def _trim(counts: Sequence[int]) -> tuple[int, ...]:
    """Drop trailing zero buckets so equal histograms compare equal."""
    end = len(counts)
    while end and counts[end - 1] == 0:
        end -= 1
    return tuple(int(c) for c in counts[:end])


def _counts_from(counts: Sequence[int] | Mapping[int, int]) -> tuple[int, ...]:
    if isinstance(counts, Mapping):
        dense = [0] * (max(counts, default=-1) + 1)
        for i, c in counts.items():
            dense[i] += c
        return _trim(dense)
    return _trim(list(counts))


class _HistBase:
    """Shared helpers; ``counts[i]`` is the count of bpftrace bucket index ``i``."""

    counts: tuple[int, ...]

    def bucket_range(self, index: int) -> tuple[int | None, int | None]:
        raise NotImplementedError

    @property
    def total(self) -> int:
        return sum(self.counts)

    def buckets(self) -> list[Bucket]:
        """Buckets from the first to the last non-empty one (as bpftrace prints)."""
        nz = [i for i, c in enumerate(self.counts) if c > 0]
        if not nz:
            return []
        return [Bucket(*self.bucket_range(i), self.counts[i]) for i in range(nz[0], nz[-1] + 1)]

    def percentile(self, p: float) -> int | None:
        """Approximate p-th percentile (0..100): the inclusive upper bound of the
        bucket holding it (its lower bound for the open-ended top bucket)."""
        total = self.total
        if total == 0:
            return None
        rank = max(1, -(-total * p // 100))  # ceil without floats drifting
        cum = [0]
        for c in self.counts:
            cum.append(cum[-1] + c)
        i = bisect.bisect_left(cum, rank) - 1
        lo, hi = self.bucket_range(i)
        return hi if hi is not None else lo


@dataclass(frozen=True)
class Histogram(_HistBase):
    """hist(): log2 buckets. Index 0 = negative, 1 = zero, k >= 2 = [2**(k-2), 2**(k-1))."""

    counts: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", _counts_from(self.counts))

    @classmethod
    def from_values(cls, values: Iterable[int]) -> Histogram:
        dense = [0] * HIST_BUCKETS
        for v in values:
            dense[hist_index(v)] += 1
        return cls(tuple(dense))

    def bucket_range(self, index: int) -> tuple[int | None, int | None]:
        if index == 0:
            return (None, -1)
        if index == 1:
            return (0, 0)
        return (1 << (index - 2), (1 << (index - 1)) - 1)

    def __repr__(self) -> str:
        inner = ", ".join(f"[{lo}, {hi}]: {c}" for lo, hi, c in self.buckets() if c)
        return f"Histogram({{{inner}}})"


@dataclass(frozen=True)
class LinearHistogram(_HistBase):
    """lhist(min, max, step). Index 0 = (..., min), ``n_buckets + 1`` = [max, ...)."""

    min: int
    max: int
    step: int
    counts: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", _counts_from(self.counts))

    @property
    def n_buckets(self) -> int:
        """Number of in-range buckets (excludes under/overflow), as bpftrace computes it."""
        return cdiv(self.max - self.min, self.step)

    @classmethod
    def from_values(cls, lo: int, hi: int, step: int, values: Iterable[int]) -> LinearHistogram:
        counts: dict[int, int] = {}
        for v in values:
            i = lhist_index(v, lo, hi, step)
            counts[i] = counts.get(i, 0) + 1
        return cls(lo, hi, step, _counts_from(counts))

    def bucket_range(self, index: int) -> tuple[int | None, int | None]:
        if index == 0:
            return (None, self.min - 1)
        if index == self.n_buckets + 1:
            return (self.max, None)
        return ((index - 1) * self.step + self.min, index * self.step + self.min - 1)

    def __repr__(self) -> str:
        inner = ", ".join(f"[{lo}, {hi}]: {c}" for lo, hi, c in self.buckets() if c)
        return f"LinearHistogram({self.min}, {self.max}, {self.step}, {{{inner}}})"
