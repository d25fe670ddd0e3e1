"""Map snapshots and bpftrace's rules for *which* entries print in *what* order.

Both renderers share this: bpftrace 0.17 (src/bpftrace.cpp print_map*) sorts

* count/sum/int maps by value, min/max maps by their reduced value;
* hist/lhist maps by the sum of their buckets, avg/stats maps by the average --
  ties broken by the raw key bytes (they go through a std::map first);
* every other map (strings, tuples, stacks, symbols) by key: stable sorts from
  the last key part to the first, ints compared as u64, strings bytewise,
  anything else (stacks, symbols) left in kernel iteration order.

``print(@m, top)`` then keeps the *last* ``top`` entries.  Ties that bpftrace
leaves to hash-table iteration order keep the order the caller supplied
(pass entries in ``bpf_map_get_next_key`` order for the closest match).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from beholder.trace.output.cint import U64
from beholder.trace.output.histograms import Histogram, LinearHistogram
from beholder.trace.output.values import Avg, Buffer, Count, Max, Min, Stack, Stats, Sum, Symbol


class ValueKind(StrEnum):
    """How a map's values print and sort (names match typesys.Kind where shared)."""

    COUNT = "count"
    SUM = "sum"
    INT = "int"
    MIN = "min"
    MAX = "max"
    AVG = "avg"
    STATS = "stats"
    HIST = "hist"
    LHIST = "lhist"
    STRING = "string"
    TUPLE = "tuple"
    STACK = "stack"
    SYMBOL = "symbol"
    BUFFER = "buffer"


# Kinds sorted by value; the rest (below) by key.
_BY_VALUE = {ValueKind.COUNT, ValueKind.SUM, ValueKind.INT, ValueKind.MIN, ValueKind.MAX}
HIST_KINDS = frozenset({ValueKind.HIST, ValueKind.LHIST})
STATS_KINDS = frozenset({ValueKind.AVG, ValueKind.STATS})


def kind_of(value: Any) -> ValueKind:
    """Infer the ValueKind of one value (subclasses first: Stats is an Avg)."""
    for cls, kind in (
        (Count, ValueKind.COUNT),
        (Sum, ValueKind.SUM),
        (Min, ValueKind.MIN),
        (Max, ValueKind.MAX),
        (Stats, ValueKind.STATS),
        (Avg, ValueKind.AVG),
        (Histogram, ValueKind.HIST),
        (LinearHistogram, ValueKind.LHIST),
        (Stack, ValueKind.STACK),
        (Symbol, ValueKind.SYMBOL),
        (Buffer, ValueKind.BUFFER),
        (tuple, ValueKind.TUPLE),
        (str, ValueKind.STRING),
        (int, ValueKind.INT),
    ):
        if isinstance(value, cls):
            return kind
    raise TypeError(f"not a bpftrace map value: {value!r}")


@dataclass(frozen=True)
class MapEntry:
    """One key -> value.  ``key`` is () for a key-less map (``@x = ...``).

    ``raw_key`` optionally carries the kernel key bytes; bpftrace breaks
    hist/avg/stats ties by them.  Without it they are synthesized (ints as
    8-byte little-endian, strings NUL-padded), which is exact for such keys.
    """

    key: tuple[Any, ...]
    value: Any
    raw_key: bytes | None = None


@dataclass
class MapSnapshot:
    """Everything needed to print one map.  ``kind`` is required only when the
    map is empty (bpftrace still prints blank lines whose count depends on it)."""

    name: str
    entries: list[MapEntry] = field(default_factory=list)
    kind: ValueKind | None = None
    keyed: bool | None = None

    def __post_init__(self) -> None:
        if self.kind is None and self.entries:
            self.kind = kind_of(self.entries[0].value)
        if self.keyed is None:
            self.keyed = bool(self.entries and self.entries[0].key)

    @property
    def resolved_kind(self) -> ValueKind:
        return self.kind or ValueKind.COUNT


EntriesLike = Mapping[Any, Any] | Iterable[MapEntry | tuple[Any, Any]]


def _as_key(key: Any) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


def snapshot(
    name: str, entries: EntriesLike, kind: ValueKind | str | None = None, keyed: bool | None = None
) -> MapSnapshot:
    """Normalize user input: a dict {key: value}, or (key, value) pairs, or MapEntry.

    A bare (non-tuple) key means a single-part key; use () for a key-less map.
    """
    items: Iterable[Any] = entries.items() if isinstance(entries, Mapping) else entries
    norm = [e if isinstance(e, MapEntry) else MapEntry(_as_key(e[0]), e[1]) for e in items]
    return MapSnapshot(name, norm, ValueKind(kind) if kind is not None else None, keyed)


def _raw_key(entry: MapEntry) -> tuple[bytes, ...]:
    if entry.raw_key is not None:
        return (entry.raw_key,)
    parts = []
    for k in entry.key:
        if isinstance(k, bool | int):
            parts.append((int(k) & U64).to_bytes(8, "little"))
        elif isinstance(k, str):
            parts.append(k.encode("utf-8", "surrogateescape"))
        else:  # stack ids etc. are unknowable here: compare equal
            parts.append(b"")
    return tuple(parts)


def sort_value(kind: ValueKind, value: Any) -> int:
    """The number bpftrace sorts a map entry by (for value-sorted kinds)."""
    if kind is ValueKind.MAX:
        return int(value) & U64  # reduced and compared as u64
    if kind in HIST_KINDS:
        return value.total & U64  # an (overflowing) int64 sum stored in a u64
    if kind in STATS_KINDS:
        return value.value
    return int(value)


def _int_part(i: int, e: MapEntry) -> int:
    return int(e.key[i]) & U64


def _str_part(i: int, e: MapEntry) -> bytes:
    return str(e.key[i]).encode("utf-8", "surrogateescape")


def _sort_by_key(entries: list[MapEntry]) -> list[MapEntry]:
    if not entries:
        return entries
    out = list(entries)
    for i in reversed(range(len(entries[0].key))):
        sample = entries[0].key[i]
        if isinstance(sample, bool | int):
            out.sort(key=partial(_int_part, i))
        elif isinstance(sample, str) and not isinstance(sample, Symbol):
            # strncmp: bytewise, unsigned
            out.sort(key=partial(_str_part, i))
        # other key types (stacks, symbols) are not sorted by bpftrace
    return out


def ordered_entries(snap: MapSnapshot, top: int = 0) -> list[MapEntry]:
    """The entries bpftrace would print, in order, after applying ``top``."""
    kind = snap.resolved_kind
    entries = list(snap.entries)
    if kind in HIST_KINDS or kind in STATS_KINDS:
        entries.sort(key=_raw_key)
        entries.sort(key=lambda e: sort_value(kind, e.value))
        # stats() ignores top (bpftrace warns and prints everything)
        if kind is ValueKind.STATS:
            top = 0
    elif kind in _BY_VALUE:
        entries.sort(key=lambda e: sort_value(kind, e.value))
    else:
        entries = _sort_by_key(entries)
    if top and len(entries) > top:
        entries = entries[len(entries) - top :]
    return entries


def exit_order(maps: Sequence[MapSnapshot]) -> list[MapSnapshot]:
    """bpftrace prints maps at exit sorted by name, bytewise (a std::map)."""
    return sorted(maps, key=lambda m: m.name.encode("utf-8", "surrogateescape"))
