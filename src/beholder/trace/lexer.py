"""Tokenizer for the bpftrace language, with bpftrace's separate rules for probe headers."""

from __future__ import annotations

from enum import Enum

from beholder.trace.diagnostics import Diagnostics
from beholder.trace.functions import BUILTINS
from beholder.trace.literals import U64_MAX, decode_escape, parse_int_literal
from beholder.trace.source import Source
from beholder.trace.tokens import KEYWORDS, T, Token

__all__ = ["KEYWORDS", "Lexer", "T", "Token", "tokenize"]


_OPS3 = ("<<=", ">>=")
_OPS2 = frozenset("== != <= >= && || << >> += -= *= /= %= &= |= ^= ++ -- -> ..".split())
_OPS1 = frozenset("!~+-*/%&|^=<>.?:,;(){}[]")
# Ends a probe header word; '/' is excluded because uprobe paths contain it.
_ATTACH_STOP = frozenset(" \t\r\n,{};")


class _Mode(Enum):
    TOP = 1  # between probes: attach points, directives, config
    PRED = 2  # inside /predicate/
    CODE = 3  # inside { ... }


def _is_ident_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_")


def _is_ident(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


class Lexer:
    def __init__(self, source: Source, diags: Diagnostics) -> None:
        self.src = source
        self.text = source.text
        self.diags = diags
        self.pos = 0
        self.mode = _Mode.TOP
        self.depth = 0  # brace depth in CODE, paren depth in PRED
        self.out: list[Token] = []

    def tokenize(self) -> list[Token]:
        while True:
            self._skip_trivia()
            if self.pos >= len(self.text):
                break
            if self.mode is _Mode.TOP:
                self._lex_top()
            else:
                self._lex_code()
        self.out.append(Token(T.EOF, "", len(self.text), len(self.text)))
        return self.out

    def _error(self, msg: str, start: int, end: int | None = None) -> None:
        self.diags.error(msg, self.src.loc(start, end))

    def _emit(self, kind: T, start: int, value: int | str | None = None) -> Token:
        tok = Token(kind, self.text[start : self.pos], start, self.pos, value)
        self.out.append(tok)
        return tok

    def _skip_trivia(self) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r\n\f\v":
                self.pos += 1
            elif text.startswith("//", self.pos):
                nl = text.find("\n", self.pos)
                self.pos = len(text) if nl < 0 else nl
            elif text.startswith("/*", self.pos):
                close = text.find("*/", self.pos + 2)
                if close < 0:
                    self._error("unterminated comment", self.pos, self.pos + 2)
                    self.pos = len(text)
                else:
                    self.pos = close + 2
            else:
                return

    def _lex_top(self) -> None:
        text, start = self.text, self.pos
        ch = text[start]
        if ch == "#":
            nl = text.find("\n", start)
            self.pos = len(text) if nl < 0 else nl
            self._emit(T.DIRECTIVE, start, text[start : self.pos].strip())
        elif ch == "{":
            self.pos += 1
            self._emit(T.PUNCT, start)
            self.mode, self.depth = _Mode.CODE, 1
        elif ch == "/":
            self.pos += 1
            self._emit(T.PUNCT, start)
            self.mode, self.depth = _Mode.PRED, 0
        elif ch in ",;}=()":
            self.pos += 1
            self._emit(T.PUNCT, start)
        elif text.startswith("config", start) and self._config_follows(start + 6):
            self.pos += 6
            self._emit(T.KEYWORD, start)
        else:
            self._lex_attach()

    def _config_follows(self, pos: int) -> bool:
        rest = self.text[pos:].lstrip(" \t\r\n")
        return rest.startswith("=") and not rest.startswith("==")

    def _lex_attach(self) -> None:
        text, start = self.text, self.pos
        while self.pos < len(text) and text[self.pos] not in _ATTACH_STOP:
            if text[self.pos] == '"':
                # Quoted parts may hold ':' or spaces (C++ symbols, odd paths).
                close = text.find('"', self.pos + 1)
                nl = text.find("\n", self.pos + 1)
                if close < 0 or (0 <= nl < close):
                    self._error("unterminated string in attach point", self.pos, self.pos + 1)
                    self.pos = len(text) if nl < 0 else nl
                    break
                self.pos = close + 1
            else:
                self.pos += 1
        self._emit(T.ATTACH, start, text[start : self.pos])

    def _lex_code(self) -> None:
        text, start = self.text, self.pos
        ch = text[start]
        if _is_ident_start(ch):
            self._lex_word()
        elif ch.isdigit():
            self._lex_int()
        elif ch == '"':
            self._lex_string()
        elif ch == "$":
            self._lex_dollar()
        elif ch == "@":
            self.pos += 1
            while self.pos < len(text) and _is_ident(text[self.pos]):
                self.pos += 1
            self._emit(T.MAP, start, text[start + 1 : self.pos])
        else:
            self._lex_op()

    def _lex_word(self) -> None:
        start = self.pos
        while self.pos < len(self.text) and _is_ident(self.text[self.pos]):
            self.pos += 1
        word = self.text[start : self.pos]
        kind = T.KEYWORD if word in KEYWORDS else T.BUILTIN if word in BUILTINS else T.IDENT
        self._emit(kind, start, word)

    def _lex_dollar(self) -> None:
        text, start = self.text, self.pos
        self.pos += 1
        if self.pos < len(text) and text[self.pos] == "#":
            self.pos += 1
            self._emit(T.PARAM_COUNT, start)
        elif self.pos < len(text) and text[self.pos].isdigit():
            while self.pos < len(text) and text[self.pos].isdigit():
                self.pos += 1
            self._emit(T.PARAM, start, int(text[start + 1 : self.pos]))
        elif self.pos < len(text) and _is_ident_start(text[self.pos]):
            while self.pos < len(text) and _is_ident(text[self.pos]):
                self.pos += 1
            self._emit(T.VAR, start, text[start + 1 : self.pos])
        else:
            self._error("expected a variable name after '$'", start, self.pos)

    def _lex_int(self) -> None:
        text, start = self.text, self.pos
        while self.pos < len(text) and _is_ident(text[self.pos]):
            self.pos += 1
        raw = text[start : self.pos]
        value = parse_int_literal(raw)
        if value is None:
            self._error(f"invalid integer literal '{raw}'", start, self.pos)
            value = 0
        elif value > U64_MAX:
            self._error(f"integer literal '{raw}' does not fit in 64 bits", start, self.pos)
            value = 0
        self._emit(T.INT, start, value)

    def _lex_string(self) -> None:
        text, start = self.text, self.pos
        self.pos += 1
        chars: list[str] = []
        while True:
            if self.pos >= len(text) or text[self.pos] == "\n":
                self._error("unterminated string", start, self.pos)
                break
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                break
            if ch == "\\":
                chars.append(self._escape())
            else:
                chars.append(ch)
                self.pos += 1
        self._emit(T.STRING, start, "".join(chars))

    def _escape(self) -> str:
        esc = decode_escape(self.text, self.pos)
        if esc.error:
            self._error(esc.error, self.pos, esc.end)
        self.pos = esc.end
        return esc.text

    def _lex_op(self) -> None:
        text, start = self.text, self.pos
        if text.startswith(_OPS3, start):
            op = text[start : start + 3]
        elif text[start : start + 2] in _OPS2:
            op = text[start : start + 2]
        elif text[start] in _OPS1:
            op = text[start]
        else:
            self.pos += 1
            self._error(f"unexpected character '{text[start]}'", start, self.pos)
            return
        self.pos += len(op)
        self._emit(T.PUNCT, start)
        self._track_nesting(op)

    def _track_nesting(self, op: str) -> None:
        if self.mode is _Mode.CODE:
            if op == "{":
                self.depth += 1
            elif op == "}":
                self.depth -= 1
                if self.depth <= 0:
                    self.mode = _Mode.TOP
            return
        # Predicate: a '/' outside any parentheses closes it; that is the only way to
        # tell the closing slash from division, which must therefore be parenthesized.
        if op in "([":
            self.depth += 1
        elif op in ")]":
            self.depth = max(0, self.depth - 1)
        elif op == "/" and self.depth == 0:
            self.mode = _Mode.TOP
        elif op == "{" and self.depth == 0:
            # Unclosed predicate: treat the brace as the body so the parser can recover.
            self.mode, self.depth = _Mode.CODE, 1


def tokenize(source: Source, diags: Diagnostics) -> list[Token]:
    return Lexer(source, diags).tokenize()
