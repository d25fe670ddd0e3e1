"""bpftrace 0.17's ``-f json`` rendering (src/output.cpp JsonOutput), byte for byte.

One object per line, hand-assembled by bpftrace (so the spacing is fixed:
``{"type": "map", "data": {"@x": {"k": 1, "k2": 2}}}``).  Quirks kept on
purpose because consumers of bpftrace's output may depend on them:

* multi-part keys are joined with "," into one JSON string: ``"1,a"``;
* tuples print as ``[1,"two"]`` (no spaces);
* json_escape() escapes each *byte* <= 0x1f as ``\\u00XX`` -- and since C++
  ``char`` is signed, every byte >= 0x80 too, as ``\\uffffffXX`` (yes, invalid
  JSON for non-ASCII text; that is what bpftrace 0.17 emits);
* empty maps print nothing at all; log2 bucket bounds are computed in 32-bit
  ``int`` (so ``[2G, 4G)`` reads ``{"min": -2147483648, "max": 0}``).
"""

from __future__ import annotations

from typing import Any

from beholder.trace.output.cint import shl32, to_s32
from beholder.trace.output.histograms import Histogram, LinearHistogram
from beholder.trace.output.maps import (
    HIST_KINDS,
    STATS_KINDS,
    MapSnapshot,
    ValueKind,
    ordered_entries,
)
from beholder.trace.output.text import key_part_text, value_text
from beholder.trace.output.values import Avg, Stats, Unquoted


def json_escape(text: str) -> str:
    out = []
    for b in text.encode("utf-8", "surrogateescape"):
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif b <= 0x1F:
            out.append(f"\\u{b:04x}")
        elif b >= 0x80:
            out.append(f"\\uffffff{b:02x}")  # (int)(signed char)b printed in hex
        else:
            out.append(chr(b))
    return "".join(out)


def _quoted(text: str) -> str:
    return '"' + json_escape(text) + '"'


def value_json(value: Any, div: int = 1) -> str:
    """JSON for one non-histogram value (JsonOutput::value_to_str)."""
    if isinstance(value, Stats):
        return f'{{"count": {value.count}, "average": {value.average}, "total": {value.total}}}'
    if isinstance(value, Unquoted):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ",".join(value_json(v, div) for v in value) + "]"
    if isinstance(value, Avg) or isinstance(value, int):
        return value_text(value, div)
    # strings, stacks, symbols, buffers: bpftrace's is_quoted_type()
    return _quoted(value_text(value, div))


def hist_json(h: Histogram, div: int = 1) -> str:
    counts = h.counts
    nz = [i for i, c in enumerate(counts) if to_s32(c) > 0]
    if not nz:
        return "[]"
    items = []
    for i in range(nz[0], nz[-1] + 1):
        if i == 0:
            bounds = '"max": -1, '
        elif i == 1:
            bounds = '"min": 0, "max": 0, '
        elif i == 2:
            bounds = '"min": 1, "max": 1, '
        else:
            low = shl32(i - 2)
            high = to_s32(shl32(i - 1) - 1)
            bounds = f'"min": {low}, "max": {high}, '
        items.append("{" + bounds + f'"count": {counts[i] // div}' + "}")
    return "[" + ", ".join(items) + "]"


def lhist_json(h: LinearHistogram) -> str:
    counts = h.counts

    def at(i: int) -> int:
        return counts[i] if i < len(counts) else 0

    if not any(to_s32(c) != 0 for c in counts):
        return "[]"
    buckets = h.n_buckets
    used = [i for i in range(buckets + 2) if at(i) > 0]
    start, end = (used[0], used[-1]) if used else (0, 0)
    items = []
    for i in range(start, end + 1):
        if i == 0:
            bounds = f'"max": {h.min - 1}, '
        elif i == buckets + 1:
            bounds = f'"min": {h.max}, '
        else:
            low = (i - 1) * h.step + h.min
            bounds = f'"min": {low}, "max": {i * h.step + h.min - 1}, '
        items.append("{" + bounds + f'"count": {at(i)}' + "}")
    return "[" + ", ".join(items) + "]"


def _type_of(kind: ValueKind) -> str:
    if kind in HIST_KINDS:
        return "hist"
    if kind in STATS_KINDS:
        return "stats"
    return "map"


def map_json(snap: MapSnapshot, top: int = 0, div: int = 0) -> str:
    """One map as a JSON line ("" for an empty map: bpftrace prints nothing)."""
    entries = ordered_entries(snap, top)
    if not snap.entries:
        return ""
    kind = snap.resolved_kind
    div = div or 1
    elems = []
    for e in entries:
        if kind is ValueKind.HIST:
            val = hist_json(e.value, div)
        elif kind is ValueKind.LHIST:
            val = lhist_json(e.value)
        elif kind is ValueKind.STATS:
            val = value_json(e.value)
        else:
            val = value_json(e.value, div)
        # every key part, stringified as in text mode, joined by "," and quoted
        key = _quoted(",".join(key_part_text(p) for p in e.key)) if e.key else ""
        elems.append(f"{key}: {val}" if key else val)
    body = ", ".join(elems)
    if snap.keyed:
        body = "{" + body + "}"
    return f'{{"type": "{_type_of(kind)}", "data": {{{_quoted(snap.name)}: {body}}}}}\n'


def message_json(type_: str, text: str) -> str:
    """printf / time / cat / join / syscall messages."""
    return f'{{"type": "{type_}", "data": {_quoted(text)}}}\n'


def counter_json(type_: str, field: str, n: int) -> str:
    """attached_probes {"probes": N} and lost_events {"events": N}."""
    return f'{{"type": "{type_}", "data": {{"{field}": {n}}}}}\n'


def print_value_json(value: Any) -> str:
    return f'{{"type": "value", "data": {value_json(value)}}}\n'
