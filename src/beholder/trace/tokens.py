"""Token kinds and the Token record shared by the lexer and the parsers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class T(StrEnum):
    IDENT = "identifier"
    BUILTIN = "builtin"
    KEYWORD = "keyword"
    VAR = "variable"  # $x
    MAP = "map"  # @x, or bare @ (value "")
    PARAM = "positional parameter"  # $1
    PARAM_COUNT = "$#"
    INT = "integer"
    STRING = "string"
    PUNCT = "punctuation"
    ATTACH = "attach point"  # raw probe header text, e.g. uprobe:/bin/sh:main
    DIRECTIVE = "preprocessor line"  # #include / #define, kept but not interpreted
    EOF = "end of input"


KEYWORDS = frozenset(
    "if else while for unroll return break continue config sizeof offsetof struct union enum let".split()
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: T
    text: str
    start: int
    end: int
    value: int | str | None = None

    def is_op(self, *ops: str) -> bool:
        return self.kind is T.PUNCT and self.text in ops

    def is_kw(self, *words: str) -> bool:
        return self.kind is T.KEYWORD and self.text in words
