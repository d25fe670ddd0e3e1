"""bpftrace 0.17's plain-text rendering (src/output.cpp TextOutput), byte for byte.

Layout rules reproduced here, all verified against the real binary:

* ``@name[k1, k2]: value``; a key-less map prints ``@name: value``.
* count/sum/int/min/max/string/tuple maps: entries joined by "\\n", then one
  "\\n" -- no blank line after them.  Maps holding stacks/ksym/usym/inet
  values are joined with *nothing* (stack text already ends in "\\n"; for
  symbols this glues entries together, as bpftrace does).
* avg/stats maps end with an extra blank line; hist/lhist entries are
  ``@h[k]: `` + newline + bar lines, separated and followed by a blank line.
* An empty map still prints its terminator: "\\n" (or "\\n\\n" for avg/stats).
"""

from __future__ import annotations

from typing import Any

from beholder.trace.output.cint import U64, cdiv, f32, to_s32, to_s64
from beholder.trace.output.histograms import Histogram, LinearHistogram
from beholder.trace.output.maps import (
    STATS_KINDS,
    MapSnapshot,
    ValueKind,
    ordered_entries,
)
from beholder.trace.output.values import Avg, Buffer, Count, Max, Stack, Stats

BAR_WIDTH = 52  # bpftrace's max_width
KEY_STACK_INDENT = 4  # stacks inside map keys are indented 4 spaces ...
VALUE_STACK_INDENT = 8  # ... stacks printed as values / printf args 8


def bar_width(count: int, max_value: int) -> int:
    # C++: int bar_width = values.at(i)/(float)max_value*max_width;
    # Every operand is a float (see cint.f32); in double, 15/52*52 gives 14.
    if max_value <= 0:  # only reachable once counts wrap past 2**31 (C: UB); draw no bar
        return 0
    q = f32(f32(float(count)) / f32(float(max_value)))
    return int(f32(q * BAR_WIDTH))


def hist_index_label(power: int) -> str:
    suffix = ""
    for limit, s in ((40, "T"), (30, "G"), (20, "M"), (10, "K")):
        if power >= limit:
            power -= limit
            suffix = s
            break
    return f"{to_s32(1 << power)}{suffix}"


def lhist_index_label(number: int) -> str:
    if number == 0:
        return "0"
    if number % 1048576 == 0:
        return f"{cdiv(number, 1048576)}M"
    if number % 1024 == 0:
        return f"{cdiv(number, 1024)}K"
    return str(number)


def _bar_line(header: str, shown: int, count: int, max_value: int) -> str:
    bar = "@" * max(0, bar_width(count, max_value))
    return f"{header:<16}{shown:>8} |{bar:<{BAR_WIDTH}}|\n"


def hist_text(h: Histogram, div: int = 1) -> str:
    """The bar lines of one hist() value, trimmed to its non-empty range."""
    counts = h.counts
    # hist_prepare() reads counts into an int (wraps above 2**31, as in C).
    nz = [i for i, c in enumerate(counts) if to_s32(c) > 0]
    if not nz:
        return ""
    max_value = max(0, *(to_s32(c) for c in counts))
    lines = []
    for i in range(nz[0], nz[-1] + 1):
        if i == 0:
            header = "(..., 0)"
        elif i == 1:
            header = "[0]"
        elif i == 2:
            header = "[1]"
        else:
            header = f"[{hist_index_label(i - 2)}, {hist_index_label(i - 1)})"
        lines.append(_bar_line(header, counts[i] // div, counts[i], max_value))
    return "".join(lines)


def lhist_text(h: LinearHistogram) -> str:
    """The bar lines of one lhist() value (bpftrace ignores print()'s div here)."""
    counts = h.counts
    buckets = h.n_buckets

    def at(i: int) -> int:
        return counts[i] if i < len(counts) else 0

    if not any(to_s32(c) != 0 for c in counts):
        return ""
    max_value = max(0, *(to_s32(c) for c in counts))
    used = [i for i in range(buckets + 2) if at(i) > 0]
    start, end = (used[0], used[-1]) if used else (0, 0)
    lines = []
    for i in range(start, end + 1):
        if i == 0:
            header = f"(..., {lhist_index_label(h.min)})"
        elif i == buckets + 1:
            header = f"[{lhist_index_label(h.max)}, ...)"
        else:
            lo = lhist_index_label((i - 1) * h.step + h.min)
            header = f"[{lo}, {lhist_index_label(i * h.step + h.min)})"
        lines.append(_bar_line(header, at(i), at(i), max_value))
    return "".join(lines)


def stack_text(stack: Stack, indent: int) -> str:
    """bpftrace's get_stack(): "\\n" then one line per frame; "" if empty."""
    if not stack.frames:
        return ""
    if stack.mode == "perf":
        lines = [f"\t{a:x} {f}\n" for a, f in zip(stack.addrs, stack.frames, strict=False)]
    else:
        lines = [" " * indent + f + "\n" for f in stack.frames]
    return "\n" + "".join(lines)


def value_text(value: Any, div: int = 1) -> str:
    """A scalar/tuple/stack value as bpftrace's value_to_str() prints it."""
    if isinstance(value, Stats):
        return f"count {value.count}, average {value.average}, total {value.total}"
    if isinstance(value, Avg):
        return str(cdiv(value.value, div))
    if isinstance(value, Count | Max):
        return str((int(value) & U64) // div)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(cdiv(int(value), div))
    if isinstance(value, Stack):
        return stack_text(value, VALUE_STACK_INDENT)
    if isinstance(value, Buffer):
        return value.hex_format()
    if isinstance(value, tuple):
        return "(" + ", ".join(value_text(v, div) for v in value) + ")"
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"cannot print {value!r}")


def key_part_text(part: Any) -> str:
    """One key part: ints are read back as int64, stacks indented 4."""
    if isinstance(part, Stack):
        return stack_text(part, KEY_STACK_INDENT)
    if isinstance(part, bool | int):
        return str(to_s64(int(part)))
    if isinstance(part, Buffer):
        return part.hex_format()
    return str(part)


def key_text(name: str, key: tuple[Any, ...]) -> str:
    if not key:
        return name
    return name + "[" + ", ".join(key_part_text(p) for p in key) + "]"


def map_text(snap: MapSnapshot, top: int = 0, div: int = 0) -> str:
    """One print(@map[, top[, div]]) -- or one map of the exit dump -- as text."""
    kind = snap.resolved_kind
    div = div or 1  # bpftrace: "if (div == 0) div = 1"
    elems = []
    for e in ordered_entries(snap, top):
        head = key_text(snap.name, e.key) + ": "
        if kind is ValueKind.HIST:
            elems.append(head + "\n" + hist_text(e.value, div))
        elif kind is ValueKind.LHIST:
            elems.append(head + "\n" + lhist_text(e.value))
        elif kind is ValueKind.STATS:
            elems.append(head + value_text(e.value))  # stats ignores div
        else:
            elems.append(head + value_text(e.value, div))
    glue = "" if kind in (ValueKind.STACK, ValueKind.SYMBOL) else "\n"
    tail = "\n\n" if kind in STATS_KINDS else "\n"
    return glue.join(elems) + tail


def attached_probes_text(n: int) -> str:
    return f"Attaching {n} probe...\n" if n == 1 else f"Attaching {n} probes...\n"


def lost_events_text(n: int) -> str:
    return f"Lost {n} events\n"
