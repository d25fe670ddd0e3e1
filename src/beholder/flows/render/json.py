"""``-o json``: one GetFlowsResponse-shaped object per line, as ``hubble observe -o json``."""

from __future__ import annotations

import json
from typing import Any

from beholder.flows.lost import LostEvent
from beholder.flows.model import Flow
from beholder.flows.render.base import Renderer


def _line(obj: dict[str, Any]) -> str:
    # Compact separators like Go's encoder. ASCII-only because names come from
    # the network: C1 controls would otherwise reach the terminal unescaped.
    return json.dumps(obj, separators=(",", ":"))


def flow_response(flow: Flow) -> dict[str, Any]:
    """``{"flow": {...}, "node_name": ..., "time": ...}`` -- Hubble's GetFlowsResponse."""
    out: dict[str, Any] = {"flow": flow.to_dict()}
    if flow.node_name:
        out["node_name"] = flow.node_name
    if flow.time_ns:
        out["time"] = flow.time
    return out


def lost_response(event: LostEvent) -> dict[str, Any]:
    """``{"lost_events": {...}, "node_name": ..., "time": ...}``."""
    out: dict[str, Any] = {"lost_events": event.to_dict()}
    if event.node_name:
        out["node_name"] = event.node_name
    if event.time_ns:
        out["time"] = event.time
    return out


def parse_response(line: str) -> Flow | LostEvent:
    """Read one line of ``-o json`` back (ours or hubble's); ValueError for other kinds."""
    obj = json.loads(line)
    if "flow" in obj:
        return Flow.from_dict(obj["flow"])
    if "lost_events" in obj:
        return LostEvent.from_dict(
            obj["lost_events"], time=obj.get("time", ""), node_name=obj.get("node_name", "")
        )
    raise ValueError(f"not a flow or lost_events response: {sorted(obj)}")


class JsonRenderer(Renderer):
    """Timestamps are UTC RFC3339 regardless of ``tz``: JSON is for machines."""

    name = "json"

    def flow(self, flow: Flow) -> str:
        return _line(flow_response(flow))

    def lost(self, event: LostEvent) -> str:
        return _line(lost_response(event))
