"""Differential flame graph: B's tree, red where a frame's share grew since A, blue where it shrank."""

from __future__ import annotations

from beholder.profiles.model import Profile, frame_namer
from beholder.profiles.render.page import base_payload, fill, flat_nodes
from beholder.profiles.tree import DEFAULT_MIN_FRACTION, FrameInterner, StackTable

EXTENSIONS = (".html", ".htm")
BINARY = False
NEUTRAL = "#e6e6e6"


def color(delta: float, scale: float) -> str:
    """Red for growth, blue for shrinkage; saturation grows with |delta| / scale."""
    if scale <= 0 or abs(delta) < 1e-9:
        return NEUTRAL
    t = min(abs(delta) / scale, 1.0)
    hue = 0 if delta > 0 else 220
    # Lightness from ~92% (barely changed) down to ~55% (the largest change).
    return f"hsl({hue},{int(40 + 45 * t)}%,{int(92 - 37 * t)}%)"


def render(
    a: Profile,
    b: Profile,
    title: str | None = None,
    min_fraction: float = DEFAULT_MIN_FRACTION,
) -> str:
    """``a`` is the baseline ("before"), ``b`` the profile drawn ("after").

    Deltas compare inclusive shares (node total / profile total) so profiles of
    different lengths compare fairly. Frames only in A are not drawn (B's tree);
    their share is visible as the parents' shrinkage.
    """
    title = title or "beholder differential flame graph"
    # One interner for both sides so equal frames get equal keys, and paths compare.
    interner = FrameInterner(frame_namer([*a.mappings, *b.mappings]))
    ta = StackTable(a, interner)
    tb = StackTable(b, interner)
    tree = tb.tree(min_fraction)
    order, flat = flat_nodes(tree)
    a_counts = [ta.prefix_total(n.path) for n in order]
    fa, fb = 1 / (ta.total or 1), 1 / (tb.total or 1)
    deltas = [n.total * fb - ac * fa for n, ac in zip(order, a_counts, strict=True)]
    # Scale by the largest non-root change, so the hot spot is always fully saturated.
    scale = max((abs(d) for d in deltas[1:]), default=0.0)
    payload = base_payload("diff", title, b, tree)
    payload.update(
        nodes=flat,
        a=a_counts,
        aTotal=ta.total,
        delta=[round(d, 6) for d in deltas],
        colors=[color(d, scale) for d in deltas],
        summary=f"B: {tb.total:,} samples, A: {ta.total:,} samples \u00b7 "
        "red = larger share in B, blue = smaller",
    )
    return fill(title, payload)
