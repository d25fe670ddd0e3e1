"""Compact JSON encoding of a Profile (frames, stacks and label sets interned by index)."""

from __future__ import annotations

import json
from typing import Any

from beholder.profiles.model import FRAME_KINDS, Frame, Mapping, Profile, Sample, Stack

FORMAT = "beholder.profile"
VERSION = 1
_KIND_INDEX = {k: i for i, k in enumerate(FRAME_KINDS)}
_ROW_DEFAULTS: tuple[Any, ...] = (None, None, 0)


def _frame_row(f: Frame) -> list[Any]:
    # Trailing defaults are trimmed: most frames carry no file/line/inline info.
    row: list[Any] = [
        f.function,
        f.module,
        f.address,
        _KIND_INDEX[f.kind],
        f.file,
        f.line,
        int(f.inlined),
    ]
    while len(row) > 4 and row[-1] == _ROW_DEFAULTS[len(row) - 5]:
        row.pop()
    return row


def _frame_from_row(row: list[Any]) -> Frame:
    row = row + list(_ROW_DEFAULTS[len(row) - 4 :])
    return Frame(
        function=row[0],
        module=row[1],
        address=int(row[2]),
        kind=FRAME_KINDS[row[3]],
        file=row[4],
        line=row[5],
        inlined=bool(row[6]),
    )


def encode(p: Profile) -> str:
    """Serialize; identical frames, stacks and label sets are stored once."""
    frames: dict[Frame, int] = {}
    stacks: dict[Stack, int] = {}
    labelsets: dict[tuple[tuple[str, str], ...], int] = {}
    rows: list[list[int]] = []
    for s in p.samples:
        si = stacks.get(s.stack)
        if si is None:
            si = stacks[s.stack] = len(stacks)
            for f in s.stack:
                frames.setdefault(f, len(frames))
        lk = tuple(sorted(s.labels.items()))
        li = labelsets.setdefault(lk, len(labelsets))
        rows.append([si, s.count, li])
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "period_ns": p.period_ns,
        "frequency_hz": p.frequency_hz,
        "start_ns": p.start_ns,
        "duration_ns": p.duration_ns,
        "idle_samples": p.idle_samples,
        "lost": p.lost,
        "meta": p.meta,
        "mappings": [[m.start, m.limit, m.offset, m.file, m.build_id] for m in p.mappings],
        "frames": [_frame_row(f) for f in frames],
        "stacks": [list(map(frames.__getitem__, st)) for st in stacks],
        "labelsets": [dict(ls) for ls in labelsets],
        "samples": rows,
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def decode(data: str | bytes) -> Profile:
    doc = json.loads(data)
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise ValueError(f"not a {FORMAT} v{VERSION} document")
    frames = [_frame_from_row(r) for r in doc["frames"]]
    stacks = [tuple(map(frames.__getitem__, st)) for st in doc["stacks"]]
    labelsets: list[dict[str, str]] = doc["labelsets"]
    return Profile(
        samples=[Sample(stacks[si], n, dict(labelsets[li])) for si, n, li in doc["samples"]],
        period_ns=doc["period_ns"],
        frequency_hz=doc["frequency_hz"],
        start_ns=doc["start_ns"],
        duration_ns=doc["duration_ns"],
        mappings=[Mapping(*m) for m in doc["mappings"]],
        meta=doc["meta"],
        lost=doc["lost"],
        idle_samples=doc["idle_samples"],
    )
