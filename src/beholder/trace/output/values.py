"""The value model: what a bpftrace map value *is* once it has left the kernel.

Renderers (text.py, json.py) and the Python API (`beholder.trace()`) both consume
these classes, so they are plain, immutable, comparable dataclasses / int
subclasses.  Nothing here touches the kernel.

Kernel-side layouts these values are reduced from (bpftrace 0.17, verified
against its source at tag v0.17.0 and against the real binary):

* ``count()`` / ``sum()``: one u64 / i64 per CPU (per-CPU hash), summed.
* ``min()``: bpftrace stores ``0xffffffff - v`` and keeps the max; see
  :func:`decode_bpftrace_min`.  ``max()`` keeps the max; CPUs are max-reduced
  as u64.  (Because the kernel compares against the 0 of a missing entry,
  bpftrace 0.17 never records a *first* negative ``max()`` value.)
* ``avg()`` / ``stats()``: the map key gets an extra u64 "bucket": bucket 0
  holds the count, bucket 1 the total (i64); both are summed over CPUs.
* ``hist()`` / ``lhist()``: the map key gets an extra u64 bucket index (see
  histograms.py); each value is a per-CPU u64 count, summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from beholder.trace.output.cint import U64, cdiv, to_s64
from beholder.trace.output.histograms import Histogram, LinearHistogram

__all__ = [
    "U64",
    "Avg",
    "Buffer",
    "Count",
    "Histogram",
    "LinearHistogram",
    "Max",
    "Min",
    "Stack",
    "Stats",
    "Sum",
    "Symbol",
    "Unquoted",
    "Value",
    "decode_bpftrace_min",
    "to_s64",
]


def decode_bpftrace_min(per_cpu: Iterable[int]) -> int:
    """Reduce per-CPU ``min()`` slots stored bpftrace-style (``0xffffffff - v``)."""
    best = max((to_s64(v) for v in per_cpu), default=0)
    if best == 0:  # zero() was applied (or nothing recorded)
        return 0
    if 0xFFFFFFFF - best <= 0:
        return -(best - 0xFFFFFFFF)
    return 0xFFFFFFFF - best


class Count(int):
    """count() result. An int, so ``Count(3) == 3`` and arithmetic just works."""

    def __repr__(self) -> str:
        return f"Count({int(self)})"


class Sum(int):
    """sum() result (signed)."""

    def __repr__(self) -> str:
        return f"Sum({int(self)})"


class Min(int):
    """min() result, already decoded (see :func:`decode_bpftrace_min`)."""

    def __repr__(self) -> str:
        return f"Min({int(self)})"


class Max(int):
    """max() result. bpftrace prints it as an unsigned u64."""

    def __repr__(self) -> str:
        return f"Max({int(self)})"


@dataclass(frozen=True)
class Avg:
    """avg(): bpftrace keeps (count, total) and divides when printing."""

    count: int
    total: int

    @property
    def value(self) -> int:
        # bpftrace: int64 total / int64 count, C truncation, 0 when empty
        return cdiv(self.total, self.count) if self.count else 0

    def __int__(self) -> int:
        return self.value


@dataclass(frozen=True)
class Stats(Avg):
    """stats(): same storage as avg(), printed as count/average/total."""

    @property
    def average(self) -> int:
        return self.value


@dataclass(frozen=True)
class Stack:
    """A kstack/ustack value: symbolized frames, innermost first.

    ``mode="perf"`` (``kstack(perf)``) prints ``\\t<hex addr> <frame>`` lines and
    needs ``addrs`` parallel to ``frames``.
    """

    frames: tuple[str, ...] = ()
    addrs: tuple[int, ...] = ()
    mode: str = "bpftrace"

    def __post_init__(self) -> None:
        object.__setattr__(self, "frames", tuple(self.frames))
        object.__setattr__(self, "addrs", tuple(self.addrs))


class Symbol(str):
    """A resolved ksym()/usym()/ntop() value: printed raw, JSON-quoted.

    Kept apart from plain strings because bpftrace 0.17 joins the entries of a
    map holding ksym/usym/inet values with *no* separator (a known quirk).
    probe, username() and other quoted text values behave exactly like str.
    """

    def __repr__(self) -> str:
        return f"Symbol({str.__repr__(self)})"


class Unquoted(str):
    """Text bpftrace 0.17 prints *unquoted* even in JSON: strftime(), strerror(),
    macaddr(), cgroup_path() values (so ``{"@t": 12:00:01}`` -- invalid JSON, faithfully)."""

    def __repr__(self) -> str:
        return f"Unquoted({str.__repr__(self)})"


@dataclass(frozen=True)
class Buffer:
    """A buf() value; rendered by bpftrace's hex_format_buffer()."""

    data: bytes

    def hex_format(self, keep_ascii: bool = True, escape_hex: bool = True) -> str:
        out = []
        for i, b in enumerate(self.data):
            if keep_ascii and 32 <= b <= 126:
                out.append(chr(b))
            elif escape_hex:
                out.append(f"\\x{b:02x}")
            else:
                out.append(f"{b:02x}" if i == len(self.data) - 1 else f"{b:02x} ")
        return "".join(out)


# What a map key part / value may be.  Plain ints, bools and strs are bpftrace
# integers and strings; tuples nest.
Value = (
    int
    | str
    | tuple
    | Count
    | Sum
    | Min
    | Max
    | Avg
    | Stats
    | Histogram
    | LinearHistogram
    | Stack
    | Symbol
    | Unquoted
    | Buffer
)
