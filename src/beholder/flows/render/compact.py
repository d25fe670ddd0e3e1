"""The default one-line-per-flow output, laid out like ``hubble observe`` plus process info."""

from __future__ import annotations

from beholder.flows.enums import ConnState
from beholder.flows.lost import LostEvent
from beholder.flows.model import Flow
from beholder.flows.render.base import Renderer
from beholder.flows.render.text import (
    address_text,
    counters_text,
    direction_text,
    human_duration,
    process_text,
    safe,
    stamp,
    type_text,
)


class CompactRenderer(Renderer):
    """Layout (fields in [] only when known)::

        TIME: SRC [(PROC)] -> DST [(PROC)] TYPE [DIRECTION] VERDICT (SUMMARY) [STATE] [SENT/RECV] [DURATION]

    ``SRC``/``DST`` are ``ip:port`` followed by ``(pod)`` and ``(dns names)``;
    ``PROC`` is ``comm/pid`` with ``@container`` when containerised. Replies
    (``is_reply``) are printed destination-first with ``<-``, as hubble does,
    so the client is always on the left.
    """

    name = "compact"

    def _endpoint(self, flow: Flow, which: str) -> str:
        text = address_text(flow, which)
        ep = flow.source if which == "source" else flow.destination
        if ep.process is not None:
            text += f" ({process_text(ep.process)})"
        return text

    def flow(self, flow: Flow) -> str:
        src, dst = self._endpoint(flow, "source"), self._endpoint(flow, "destination")
        arrow = "->"
        if flow.is_reply:
            src, dst, arrow = dst, src, "<-"
        parts = [f"{stamp(flow.time_ns, self.tz)}:", src, arrow, dst, type_text(flow)]
        direction = direction_text(flow)
        if direction:
            parts.append(direction)
        parts.append(flow.verdict.value)
        summary = flow.summary_text()
        if summary:
            parts.append(f"({summary})")
        if flow.state is not ConnState.STATE_UNKNOWN:
            parts.append(flow.state.value)
        counters = counters_text(flow)
        if counters:
            parts.append(counters)
        if flow.duration_ns:
            parts.append(human_duration(flow.duration_ns))
        return safe(" ".join(parts))

    def lost(self, event: LostEvent) -> str:
        # Hubble's wording, so scripts grepping for "EVENTS LOST" keep working.
        prefix = f"{stamp(event.time_ns, self.tz)}: " if event.time_ns else ""
        cpu = f" CPU({event.cpu})" if event.cpu is not None else ""
        return safe(f"{prefix}EVENTS LOST: {event.source.value}{cpu} {event.num_events_lost}")
