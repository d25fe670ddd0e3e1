"""Self-contained interactive HTML flame graph (canvas, zoom, search, tooltips)."""

from __future__ import annotations

from beholder.profiles.model import Profile
from beholder.profiles.render.page import base_payload, fill, flat_nodes
from beholder.profiles.tree import DEFAULT_MIN_FRACTION, StackTable

EXTENSIONS = (".html", ".htm")
BINARY = False


def render(
    profile: Profile, title: str | None = None, min_fraction: float = DEFAULT_MIN_FRACTION
) -> str:
    """One HTML page; frames under ``min_fraction`` of all samples fold into their parent.

    The tree is merged and pruned here, not in the browser, so even 100,000 distinct
    stacks become a few thousand nodes of compact JSON.
    """
    title = title or profile.meta.get("title") or "beholder CPU flame graph"
    tree = StackTable(profile).tree(min_fraction)
    _, flat = flat_nodes(tree)
    payload = base_payload("flame", title, profile, tree)
    payload["nodes"] = flat
    return fill(title, payload)
