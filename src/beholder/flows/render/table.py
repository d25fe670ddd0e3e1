"""``-o table``: plain aligned columns, content-sized for a batch, fixed-width for --follow."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo

from beholder.flows.enums import ConnState
from beholder.flows.lost import LostEvent
from beholder.flows.model import Flow
from beholder.flows.render.base import Renderer
from beholder.flows.render.compact import CompactRenderer
from beholder.flows.render.text import (
    address_text,
    counters_text,
    direction_text,
    owner_process_text,
    safe,
    stamp,
    type_text,
)

# SUMMARY is last and unbounded so that the fixed columns stay aligned.
COLUMNS = ("TIMESTAMP", "SOURCE", "DESTINATION", "TYPE", "VERDICT", "PROCESS", "BYTES", "SUMMARY")
# Streaming widths: fit "Nov 25 19:20:01.123", "255.255.255.255:65535 (name)", and so on.
# Longer cells (IPv6, long names) push the row out rather than being cut: a
# misaligned row is better than a wrong address.
STREAM_WIDTHS = (19, 30, 30, 20, 9, 26, 15)
GAP = "  "


def _join(cells: Iterable[str], widths: tuple[int, ...]) -> str:
    cells = list(cells)
    padded = [c.ljust(w) for c, w in zip(cells, widths, strict=False)] + cells[len(widths) :]
    return GAP.join(padded).rstrip()


class TableRenderer(Renderer):
    name = "table"

    def __init__(self, *, tz: tzinfo | None = None) -> None:
        super().__init__(tz=tz)
        self._compact = CompactRenderer(tz=tz)

    def cells(self, flow: Flow) -> list[str]:
        """The row of one flow, unpadded, in COLUMNS order."""
        kind = type_text(flow)
        direction = direction_text(flow)
        summary = flow.summary_text()
        if flow.state is not ConnState.STATE_UNKNOWN:
            summary = f"{summary} [{flow.state.value}]".strip()
        cells = [
            stamp(flow.time_ns, self.tz),
            address_text(flow, "source"),
            address_text(flow, "destination"),
            f"{kind}/{direction}" if direction else kind,
            flow.verdict.value,
            owner_process_text(flow),
            counters_text(flow),
            summary,
        ]
        # Escape before measuring, so batch widths match what is printed.
        return [safe(c) for c in cells]

    def header(self) -> str:
        return _join(COLUMNS, STREAM_WIDTHS)

    def flow(self, flow: Flow) -> str:
        return _join(self.cells(flow), STREAM_WIDTHS)

    def lost(self, event: LostEvent) -> str:
        return self._compact.lost(event)

    def batch(self, flows: Iterable[Flow]) -> list[str]:
        rows = [self.cells(f) for f in flows]
        # Size every column but the last to its widest cell (or header).
        widths = tuple(
            max([len(COLUMNS[i])] + [len(r[i]) for r in rows]) for i in range(len(COLUMNS) - 1)
        )
        return [_join(COLUMNS, widths)] + [_join(r, widths) for r in rows]
