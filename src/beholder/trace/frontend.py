"""Front-end driver: parse plus the kernel-free passes, raising CompileError on any error."""

from __future__ import annotations

from typing import Any

from beholder.trace.catalog import Catalog
from beholder.trace.diagnostics import CompileError
from beholder.trace.passes import PassContext, PassManager, probe_expand, semantic
from beholder.trace.passes import parse as parse_pass


def front_passes() -> PassManager:
    """The front-end pipeline; codegen passes get appended to a copy of this list."""
    return PassManager(
        [
            ("parse", parse_pass.run),
            ("probe_expand", probe_expand.run),
            ("semantic", semantic.run),
        ]
    )


def compile_front(
    text: str,
    filename: str = "-e",
    catalog: Catalog | None = None,
    options: dict[str, Any] | None = None,
) -> PassContext:
    """Run the front-end; returns the context (ast, results) or raises CompileError.

    options: 'unsafe' (bool), 'positional' (list of str for $1..$N).
    Warnings do not raise; they stay in ctx.diagnostics.
    """
    ctx = PassContext.for_text(text, filename, catalog, options)
    front_passes().run(ctx)
    if ctx.diagnostics.has_errors:
        raise CompileError(ctx.diagnostics)
    return ctx
