"""LostEvent: how many flow events were dropped, and where (Hubble's LostEvent)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from beholder.flows.enums import LostEventSource, parse_enum
from beholder.flows.timestamps import format_rfc3339_ns, parse_rfc3339_ns
from beholder.flows.wire import JSONDict, as_int, compact, u64


@dataclass(slots=True)
class LostEvent:
    """Emitted instead of flows that could not be delivered."""

    source: LostEventSource = LostEventSource.UNKNOWN_LOST_EVENT_SOURCE
    num_events_lost: int = 0
    cpu: int | None = None  # only meaningful for PERF_EVENT_RING_BUFFER
    # Not in Hubble's LostEvent (it rides on the response); kept here so one
    # object carries everything a renderer needs.
    time_ns: int = 0
    node_name: str = ""

    def to_dict(self) -> JSONDict:
        source = (
            None if self.source is LostEventSource.UNKNOWN_LOST_EVENT_SOURCE else self.source.value
        )
        d = compact({"source": source, "num_events_lost": u64(self.num_events_lost)})
        if self.cpu is not None:
            d["cpu"] = self.cpu  # Int32Value wrapper: printed even when 0
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, time: str = "", node_name: str = "") -> LostEvent:
        cpu = d.get("cpu")
        return cls(
            source=parse_enum(
                LostEventSource, d.get("source"), LostEventSource.UNKNOWN_LOST_EVENT_SOURCE
            ),
            num_events_lost=as_int(d.get("num_events_lost")),
            cpu=None if cpu is None else as_int(cpu),
            time_ns=parse_rfc3339_ns(time) if time else 0,
            node_name=node_name,
        )

    @property
    def time(self) -> str:
        return format_rfc3339_ns(self.time_ns) if self.time_ns else ""
