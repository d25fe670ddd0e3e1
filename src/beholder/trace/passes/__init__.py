"""Pass framework: an ordered list of named passes sharing one PassContext."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from beholder.trace.ast import Program
from beholder.trace.diagnostics import Diagnostics
from beholder.trace.source import Source

if TYPE_CHECKING:
    # catalog imports passes.format_parse, so a runtime import here would be circular.
    from beholder.trace.catalog import Catalog


@dataclass
class PassContext:
    source: Source
    diagnostics: Diagnostics
    options: dict[str, Any] = field(default_factory=dict)
    catalog: Catalog | None = None
    ast: Program | None = None
    # Free-form products for later passes, e.g. results["maps"] from the semantic pass.
    results: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_text(
        cls,
        text: str,
        filename: str = "-e",
        catalog: Catalog | None = None,
        options: dict[str, Any] | None = None,
    ) -> PassContext:
        source = Source(text, filename)
        return cls(source, Diagnostics(source), dict(options or {}), catalog)

    @property
    def program(self) -> Program:
        """The AST, for passes that run after parsing."""
        if self.ast is None:
            raise RuntimeError("no AST yet: the parse pass has not run")
        return self.ast


class Pass(NamedTuple):
    name: str
    fn: Callable[[PassContext], None]


class PassManager:
    def __init__(self, passes: Iterable[Pass | tuple[str, Callable[[PassContext], None]]] = ()):
        self.passes: list[Pass] = [Pass(*p) for p in passes]

    def add(self, name: str, fn: Callable[[PassContext], None]) -> PassManager:
        self.passes.append(Pass(name, fn))
        return self

    def run(self, ctx: PassContext) -> PassContext:
        """Run passes in order, stopping after the first that records an error.

        Later passes assume a well-formed input, so running them over a broken one
        would only pile confusing follow-on errors onto the real one.
        """
        ran: list[str] = ctx.results.setdefault("passes_run", [])
        for p in self.passes:
            try:
                p.fn(ctx)
            except RecursionError:
                # Pathological nesting (e.g. a 5000-term '+' chain) must surface as a
                # diagnostic, not a crash; passes recurse over the tree.
                ctx.diagnostics.error(f"program is nested too deeply to compile ({p.name} pass)")
            ran.append(p.name)
            if ctx.diagnostics.has_errors:
                break
        return ctx
