"""The Renderer interface shared by compact, json and table output."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo

from beholder.flows.lost import LostEvent
from beholder.flows.model import Flow


def closing_summary(shown: int, lost: int) -> str:
    """The line printed when observe ends (Ctrl-C or --last reached)."""
    flows = "flow" if shown == 1 else "flows"
    events = "event" if lost == 1 else "events"
    return f"Shown {shown} {flows}, lost {lost} {events}"


class Renderer:
    """Turns flows into lines of text; one line per call so output can stream.

    The CLI prints ``header()`` once (if not None), then ``flow()``/``lost()``
    per event, then ``closing()`` -- to stderr for json, so stdout stays JSON.
    """

    name = "base"

    def __init__(self, *, tz: tzinfo | None = None) -> None:
        self.tz = tz  # None = local time; JSON output is always UTC

    def header(self) -> str | None:
        return None

    def flow(self, flow: Flow) -> str:
        raise NotImplementedError

    def lost(self, event: LostEvent) -> str:
        raise NotImplementedError

    def batch(self, flows: Iterable[Flow]) -> list[str]:
        """All lines for a finished set of flows, header included."""
        head = self.header()
        return ([head] if head is not None else []) + [self.flow(f) for f in flows]

    def closing(self, shown: int, lost: int) -> str:
        return closing_summary(shown, lost)
