"""The parse pass: source text to AST, with parse errors recorded on the context."""

from __future__ import annotations

from beholder.trace.parser import parse
from beholder.trace.passes import PassContext


def run(ctx: PassContext) -> None:
    ctx.ast = parse(ctx.source, ctx.diagnostics)
