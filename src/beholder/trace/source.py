"""Program text with offset-to-line/column mapping for diagnostics."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Loc:
    """A span on one line: 1-based line and col, end_col exclusive."""

    filename: str
    line: int
    col: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col}"


NO_LOC = Loc("<unknown>", 0, 0, 0)


@dataclass(frozen=True)
class Source:
    text: str
    filename: str = "-e"
    _line_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        object.__setattr__(self, "_line_starts", tuple(starts))

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of a character offset; offsets past the end clamp to EOF."""
        offset = max(0, min(offset, len(self.text)))
        idx = bisect.bisect_right(self._line_starts, offset) - 1
        return idx + 1, offset - self._line_starts[idx] + 1

    def line_text(self, line: int) -> str:
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]

    def loc(self, start: int, end: int | None = None) -> Loc:
        """Loc for [start, end); a span crossing lines is cut at the first line's end."""
        line, col = self.line_col(start)
        if end is None or end <= start:
            return Loc(self.filename, line, col, col + 1)
        end_line, end_col = self.line_col(end)
        if end_line != line:
            end_col = len(self.line_text(line)) + 1
        return Loc(self.filename, line, col, max(end_col, col + 1))
