"""Renderers for ``beholder observe``: pick one by name with get_renderer()."""

from __future__ import annotations

from datetime import tzinfo

from beholder.flows.render.base import Renderer, closing_summary
from beholder.flows.render.compact import CompactRenderer
from beholder.flows.render.json import JsonRenderer, parse_response
from beholder.flows.render.table import TableRenderer

_RENDERERS: dict[str, type[Renderer]] = {
    "compact": CompactRenderer,
    "json": JsonRenderer,
    "jsonpb": JsonRenderer,  # hubble's name for the same output
    "table": TableRenderer,
}
RENDERER_NAMES: tuple[str, ...] = ("compact", "json", "table")


def get_renderer(name: str = "compact", *, tz: tzinfo | None = None) -> Renderer:
    """Renderer for ``-o NAME``; ``tz`` None prints local time (tests pass UTC)."""
    try:
        cls = _RENDERERS[name.lower()]
    except KeyError:
        raise ValueError(
            f"unknown output '{name}': choose one of {', '.join(RENDERER_NAMES)}"
        ) from None
    return cls(tz=tz)


__all__ = [
    "RENDERER_NAMES",
    "CompactRenderer",
    "JsonRenderer",
    "Renderer",
    "TableRenderer",
    "closing_summary",
    "get_renderer",
    "parse_response",
]
