"""Compiler diagnostics: collection and clang-style rendering with source excerpts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from beholder.trace.source import NO_LOC, Loc, Source

__all__ = ["CompileError", "Diagnostic", "Diagnostics", "Loc", "Severity"]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    message: str
    loc: Loc = NO_LOC

    def render(self, source: Source | None = None) -> str:
        if self.loc.line <= 0:
            # Whole-program problems: name the file but point nowhere.
            name = source.filename if source is not None else self.loc.filename
            return f"{name}: {self.severity}: {self.message}"
        head = f"{self.loc}: {self.severity}: {self.message}"
        if source is None or self.loc.line > source.line_count:
            return head
        text = source.line_text(self.loc.line)
        # Reuse the line's own tabs in the marker prefix so the marker lines up
        # however the terminal expands them.
        prefix = "".join(ch if ch == "\t" else " " for ch in text[: self.loc.col - 1])
        width = max(1, self.loc.end_col - self.loc.col)
        marker = "^" if width == 1 else "~" * width
        return f"{head}\n{text}\n{prefix}{marker}"


class Diagnostics:
    """Ordered collector; compilation keeps going after errors so users see them all at once."""

    def __init__(self, source: Source | None = None) -> None:
        self.source = source
        self._items: list[Diagnostic] = []

    def add(self, severity: Severity, message: str, loc: Loc = NO_LOC) -> Diagnostic:
        diag = Diagnostic(severity, message, loc)
        # Recovery can revisit a spot; one message per place is enough.
        if diag not in self._items:
            self._items.append(diag)
        return diag

    def error(self, message: str, loc: Loc = NO_LOC) -> Diagnostic:
        return self.add(Severity.ERROR, message, loc)

    def warning(self, message: str, loc: Loc = NO_LOC) -> Diagnostic:
        return self.add(Severity.WARNING, message, loc)

    def note(self, message: str, loc: Loc = NO_LOC) -> Diagnostic:
        return self.add(Severity.NOTE, message, loc)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self._items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self._items if d.severity is Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self._items)

    def error_count(self) -> int:
        return len(self.errors)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def render(self) -> str:
        return "\n".join(d.render(self.source) for d in self._items)


class CompileError(Exception):
    """Raised with every diagnostic collected so far; str() is the rendered report."""

    def __init__(self, diagnostics: Diagnostics) -> None:
        super().__init__(diagnostics.render())
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        return self.diagnostics.render()
