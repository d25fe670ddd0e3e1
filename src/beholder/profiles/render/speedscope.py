"""speedscope JSON ("sampled" profiles sharing one frame table), for www.speedscope.app."""

from __future__ import annotations

import json
from typing import Any

from beholder import __version__
from beholder.profiles.model import Frame, Profile, Sample

SCHEMA = "https://www.speedscope.app/file-format-schema.json"
EXTENSIONS = (".speedscope.json", ".json")
BINARY = False


def _process_key(s: Sample) -> tuple[str, str]:
    return s.labels.get("comm", "[unknown]"), s.labels.get("pid", "")


def render(profile: Profile, per_process: bool = True, name: str | None = None) -> str:
    """One speedscope profile per (comm, pid) when ``per_process``, else one merged.

    Weights are nanoseconds (count * period) when the period is known, else raw counts.
    Stacks are root-first, as speedscope expects; frame names match the other renderers.
    """
    fname = profile.namer()
    frames: dict[tuple[str, str | None, int | None], int] = {}
    shared: list[dict[str, Any]] = []

    def frame_index(f: Frame) -> int:
        # speedscope keys frames by name+file+line; merging by that key keeps the table small.
        key = (fname(f), f.file, f.line)
        i = frames.get(key)
        if i is None:
            i = frames[key] = len(shared)
            entry: dict[str, Any] = {"name": key[0]}
            if f.file:
                entry["file"] = f.file
            if f.line:
                entry["line"] = f.line
            shared.append(entry)
        return i

    groups: dict[tuple[str, str], list[Sample]] = {}
    for s in profile.samples:
        groups.setdefault(_process_key(s) if per_process else ("all", ""), []).append(s)

    unit = "nanoseconds" if profile.period_ns else "none"
    weight = profile.period_ns or 1
    profiles = []
    for (comm, pid), samples in sorted(groups.items(), key=lambda kv: -sum(s.count for s in kv[1])):
        stacks = [[frame_index(f) for f in s.stack] for s in samples]
        weights = [s.count * weight for s in samples]
        profiles.append(
            {
                "type": "sampled",
                "name": f"{comm} ({pid})" if pid else comm,
                "unit": unit,
                "startValue": 0,
                "endValue": sum(weights),
                "samples": stacks,
                "weights": weights,
            }
        )
    doc = {
        "$schema": SCHEMA,
        "shared": {"frames": shared},
        "profiles": profiles,
        "name": name or profile.meta.get("title") or "beholder cpu profile",
        "activeProfileIndex": 0,
        "exporter": f"beholder {__version__}",
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
