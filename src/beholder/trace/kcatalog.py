"""The kernel-backed Catalog: tracepoints and their fields from tracefs, probe kinds from features."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from functools import cache, cached_property

from beholder.ebpf import env, features
from beholder.trace.passes.format_parse import FormatField, parse_format

_FEATURE_OF = {"kprobe": "kprobe", "kretprobe": "kretprobe", "fentry": "fentry", "fexit": "fexit",
               "uprobe": "uprobe", "uretprobe": "uprobe", "tracepoint": "tracepoint",
               "rawtracepoint": "raw_tracepoint", "profile": "perf_event",
               "interval": "perf_event", "software": "perf_event"}


class KernelCatalog:
    """Reads the running kernel; every answer is cached for the life of the object."""

    @cached_property
    def tracefs(self) -> str:
        return env.tracefs()

    @cached_property
    def _events(self) -> list[str]:
        with open(os.path.join(self.tracefs, "available_events")) as f:
            return sorted(line.strip() for line in f if ":" in line)

    def tracepoints(self, pattern: str) -> list[str]:
        if not any(c in pattern for c in "*?["):
            cat, _, name = pattern.partition(":")
            return [pattern] if os.path.isdir(os.path.join(self.tracefs, "events", cat, name)) else []
        return [e for e in self._events if fnmatch.fnmatchcase(e, pattern)]

    def supports(self, feature: str) -> bool:
        name = _FEATURE_OF.get(feature, feature)
        try:
            return features.probe(name).available
        except KeyError:
            return True

    def why_not(self, feature: str) -> str:
        f = features.probe(_FEATURE_OF.get(feature, feature))
        return f.detail or "not supported by this kernel"

    @cache  # noqa: B019 - one catalog per compile; the cache dies with it
    def tracepoint_fields(self, name: str) -> Mapping[str, FormatField] | None:
        cat, _, event = name.partition(":")
        path = os.path.join(self.tracefs, "events", cat, event, "format")
        try:
            with open(path) as f:
                fmt = parse_format(f.read())
        except OSError:
            return None
        return {f.name: f for f in fmt.fields}
