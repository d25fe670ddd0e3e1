"""Parsing of C-ish type names in casts and sizeof: '(uint32)', '(struct task_struct *)'."""

from __future__ import annotations

from beholder.trace import ast
from beholder.trace.token_cursor import TokenCursor
from beholder.trace.tokens import T

INT_TYPES = frozenset(
    f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)
) | frozenset({"bool", "string", "inet", "buffer", "usym_t", "ksym_t", "timestamp"})
C_TYPE_WORDS = frozenset(
    {"char", "short", "int", "long", "unsigned", "signed", "void", "float", "double"}
)


class TypeParser(TokenCursor):
    def try_type_in_parens(self) -> ast.TypeName | None:
        """At '(', parse '(type)' if that is what follows; otherwise leave the position alone."""
        saved = self.i
        self.advance()
        ty = self.type_name(require_marker=True)
        if ty is not None and self.at_op(")"):
            self.advance()
            return ty
        self.i = saved
        return None

    def type_name(self, require_marker: bool = False) -> ast.TypeName | None:
        start, first = self.i, self.tok
        words: list[str] = []
        if first.is_kw("struct", "union", "enum"):
            self.advance()
            if self.tok.kind not in (T.IDENT, T.BUILTIN):
                self.i = start
                return None
            words = [first.text, self.advance().text]
        else:
            while self.tok.kind is T.IDENT and (
                self.tok.text in C_TYPE_WORDS or (not words and self.tok.text in INT_TYPES)
            ):
                words.append(self.advance().text)
            if not words and self.tok.kind is T.IDENT and self.peek().is_op("*"):
                # A typedef name is only recognisable by the '*' that follows it.
                words.append(self.advance().text)
        if not words:
            self.i = start
            return None
        depth = 0
        while self.at_op("*"):
            self.advance()
            depth += 1
        array_len = None
        if self.at_op("[") and self.peek().kind is T.INT and self.peek(2).is_op("]"):
            self.advance()
            array_len = int(self.advance().value or 0)
            self.advance()
        if require_marker and words[0] not in ("struct", "union", "enum") and not depth:
            if words[0] not in INT_TYPES and words[0] not in C_TYPE_WORDS:
                self.i = start
                return None
        return ast.TypeName(" ".join(words), depth, array_len, loc=self.span(first))
