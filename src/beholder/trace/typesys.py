"""The small value-type lattice the kernel-free passes can infer (int, string, aggregates...)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    INT = "int"
    STRING = "string"
    PTR = "pointer"
    TUPLE = "tuple"
    STACK = "stack"
    BUFFER = "buffer"
    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    STATS = "stats"
    HIST = "hist"
    LHIST = "lhist"
    NONE = "none"
    # Not known without the kernel (BTF, tracefs); a later pass resolves it.
    UNKNOWN = "unknown"


AGGREGATES = frozenset(
    {Kind.COUNT, Kind.SUM, Kind.AVG, Kind.MIN, Kind.MAX, Kind.STATS, Kind.HIST, Kind.LHIST}
)
# Pointers arithmetic-mix with integers in bpftrace, so they count as numeric.
NUMERIC = frozenset({Kind.INT, Kind.PTR})


@dataclass(frozen=True, slots=True)
class SType:
    kind: Kind
    elems: tuple[SType, ...] = ()

    @property
    def is_aggregate(self) -> bool:
        return self.kind in AGGREGATES

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def is_known(self) -> bool:
        return self.kind is not Kind.UNKNOWN and all(e.is_known for e in self.elems)

    def __str__(self) -> str:
        if self.kind is Kind.TUPLE:
            return "(" + ", ".join(str(e) for e in self.elems) + ")"
        if self.is_aggregate:
            return f"{self.kind}()"
        return str(self.kind)


INT = SType(Kind.INT)
STRING = SType(Kind.STRING)
PTR = SType(Kind.PTR)
STACK = SType(Kind.STACK)
BUFFER = SType(Kind.BUFFER)
NONE = SType(Kind.NONE)
UNKNOWN = SType(Kind.UNKNOWN)


def tuple_of(*elems: SType) -> SType:
    return SType(Kind.TUPLE, tuple(elems))


def compatible(a: SType, b: SType) -> bool:
    """Whether a value of type b may go where a lives; unknown defers to later passes."""
    if a.kind is Kind.UNKNOWN or b.kind is Kind.UNKNOWN:
        return True
    if a.is_numeric and b.is_numeric:
        return True
    if a.kind is not b.kind:
        return False
    if a.kind is Kind.TUPLE:
        return len(a.elems) == len(b.elems) and all(
            compatible(x, y) for x, y in zip(a.elems, b.elems, strict=True)
        )
    return True


def merge(a: SType, b: SType) -> SType:
    """The more informative of two compatible types."""
    if a.kind is Kind.UNKNOWN:
        return b
    if b.kind is Kind.UNKNOWN or a.kind is not Kind.TUPLE:
        return a
    return tuple_of(*(merge(x, y) for x, y in zip(a.elems, b.elems, strict=True)))
