"""Token cursor with error helpers: the shared base of the type, expression and statement parsers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from beholder.trace.diagnostics import Diagnostics
from beholder.trace.source import Loc, Source
from beholder.trace.tokens import T, Token

MAX_NESTING = 100
_R = TypeVar("_R")


class ParseBail(Exception):
    """Unwinds to the nearest recovery point after an error has been recorded."""


class TokenCursor:
    def __init__(self, tokens: list[Token], source: Source, diags: Diagnostics) -> None:
        self.toks = tokens
        self.src = source
        self.diags = diags
        self.i = 0
        # >0 while parsing a /predicate/ outside parentheses, where '/' ends it.
        self.no_div = 0
        self.depth = 0

    # --- token helpers ---------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, n: int = 1) -> Token:
        return self.toks[min(self.i + n, len(self.toks) - 1)]

    def advance(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind is not T.EOF:
            self.i += 1
        return tok

    def at_op(self, *ops: str) -> bool:
        return self.tok.is_op(*ops)

    def accept(self, op: str) -> Token | None:
        return self.advance() if self.at_op(op) else None

    def loc(self, tok: Token) -> Loc:
        return self.src.loc(tok.start, tok.end)

    def span(self, first: Token, last: Token | None = None) -> Loc:
        last = last or self.toks[max(self.i - 1, 0)]
        return self.src.loc(first.start, max(last.end, first.end))

    def describe(self, tok: Token) -> str:
        return "end of input" if tok.kind is T.EOF else f"'{tok.text}'"

    def fail(self, msg: str, tok: Token | None = None) -> ParseBail:
        tok = tok or self.tok
        self.diags.error(msg, self.loc(tok))
        return ParseBail()

    def expect(self, op: str, context: str = "") -> Token:
        if self.at_op(op):
            return self.advance()
        where = f" {context}" if context else ""
        raise self.fail(f"expected '{op}'{where}, got {self.describe(self.tok)}")

    @contextmanager
    def nesting(self) -> Iterator[None]:
        """Bound recursion so absurd nesting is a diagnostic, not a RecursionError."""
        if self.depth >= MAX_NESTING:
            raise self.fail(f"nesting is too deep (more than {MAX_NESTING} levels)")
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def nested(self, parse: Callable[[], _R]) -> _R:
        """Run parse() where '/' means division again (inside brackets)."""
        saved, self.no_div = self.no_div, 0
        try:
            return parse()
        finally:
            self.no_div = saved
