"""Decoding of bpftrace integer literals and string escape sequences."""

from __future__ import annotations

from typing import NamedTuple

INT_SUFFIXES = frozenset({"", "u", "l", "ul", "lu", "ll", "ull", "llu"})
U64_MAX = (1 << 64) - 1
SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'",
                  "a": "\a", "b": "\b", "f": "\f", "v": "\v", "e": "\x1b"}  # fmt: skip
_HEX = "0123456789abcdefABCDEF"
_OCT = "01234567"


class Escape(NamedTuple):
    text: str  # decoded characters ("" if invalid)
    end: int  # offset just past the sequence
    error: str | None = None


def parse_int_literal(raw: str) -> int | None:
    """Value of a literal like 42, 0x2a, 052, 1_000, 10ul; None if malformed."""
    body = raw.lower()
    base = 10
    if body.startswith("0x"):
        base, body = 16, body[2:]
    digits = body.rstrip("ul")
    if base == 10 and len(digits) > 1 and digits.startswith("0"):
        # C's rule: a leading zero means octal.
        base, digits = 8, digits[1:]
    suffix = body[len(body.rstrip("ul")) :]
    if suffix not in INT_SUFFIXES or not digits or "__" in digits:
        return None
    if digits.startswith("_") or digits.endswith("_"):
        return None
    try:
        return int(digits.replace("_", ""), base)
    except ValueError:
        return None


def _take(text: str, pos: int, alphabet: str, limit: int) -> str:
    end = pos
    while end < len(text) and end - pos < limit and text[end] in alphabet:
        end += 1
    return text[pos:end]


def decode_escape(text: str, pos: int) -> Escape:
    """Decode the escape whose backslash is at text[pos]: \\n \\t \\" \\\\ \\xNN \\NNN ..."""
    ch = text[pos + 1] if pos + 1 < len(text) else ""
    if ch and ch in SIMPLE_ESCAPES:
        return Escape(SIMPLE_ESCAPES[ch], pos + 2)
    if ch == "x":
        digits = _take(text, pos + 2, _HEX, 2)
        if not digits:
            return Escape("", pos + 2, "\\x used with no following hex digits")
        return Escape(chr(int(digits, 16)), pos + 2 + len(digits))
    if ch and ch in _OCT:
        digits = _take(text, pos + 1, _OCT, 3)
        # \777 would not fit a byte; C truncates, and so does bpftrace.
        return Escape(chr(int(digits, 8) & 0xFF), pos + 1 + len(digits))
    if not ch or ch == "\n":
        return Escape("", pos + 1, "unterminated escape sequence")
    return Escape("", pos + 2, f"invalid escape sequence '\\{ch}'")
