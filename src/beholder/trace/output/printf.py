"""bpftrace 0.17 printf()/format semantics, reimplemented without calling C.

bpftrace finds conversions with the regex ``%-?[0-9]*(\\.[0-9]+)?(<type>)``
(src/printf.h) -- only the '-' flag, a width (a leading 0 acts as the '0'
flag), a precision and a length+conversion from its table.  ``%i``, ``%+d``
and friends are *not* conversions.  It cuts the string after each conversion
and hands every piece, with its one argument, to snprintf(); the text after
the last conversion is copied verbatim.  Consequences kept here:

* ``%%`` becomes ``%`` only in a piece that carries an argument; trailing text
  keeps ``%%`` as is (``printf("100%%\\n")`` prints ``100%%``).
* integers are passed as 64-bit varargs and snprintf() reads what the length
  modifier says: ``%d``/``%x`` see the low 32 bits, ``%hhu`` the low 8,
  ``%ld``/``%lu``/``%lld``/``%zu``/``%jd``/``%td`` all 64; ``%c`` the low byte.
* ``%p`` is glibc's: ``(nil)`` for 0, else ``0x`` + hex.
* widths/precisions count bytes (UTF-8), not characters.

time()/strftime() live in timefmt.py.

Error messages match bpftrace's semantic analyser word for word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from beholder.trace.output.cint import U64
from beholder.trace.output.text import VALUE_STACK_INDENT, stack_text
from beholder.trace.output.values import Buffer, Stack

_LENGTHS = ("hh", "h", "ll", "l", "j", "z", "t", "")  # longest first: regex alternation order
_INT_CONVS = "duoxXp"
# bpftrace's table (printf_format_types.h): s, r, rx, rh, c, and length x int conversion.
CONVERSIONS: dict[str, str] = {
    "s": "string",
    "rx": "buffer",
    "rh": "buffer",
    "r": "buffer",
    "c": "integer",
}
for _l in _LENGTHS:
    for _c in _INT_CONVS:
        CONVERSIONS[_l + _c] = "integer"

_SPEC_RE = re.compile(
    r"%(-?)([0-9]*)(?:\.([0-9]+))?(" + "|".join(re.escape(k) for k in CONVERSIONS) + ")"
)


class FormatError(ValueError):
    """A printf()/format string problem, worded like bpftrace's errors."""


@dataclass(frozen=True)
class Conversion:
    """One ``%...`` conversion; ``piece`` is the full text handed to snprintf."""

    piece: str  # literal text before the conversion + the conversion itself
    start: int  # offset of the conversion's '%' inside piece
    left: bool
    zero: bool
    width: int
    precision: int | None
    length: str
    conv: str

    @property
    def arg_type(self) -> str:
        return CONVERSIONS[self.length + self.conv]


@dataclass(frozen=True)
class FormatString:
    """A format string parsed once; format() it many times."""

    fmt: str
    conversions: tuple[Conversion, ...]
    trailing: str

    def validate(self, arg_types: Sequence[str], func: str = "printf") -> str | None:
        """bpftrace's message for an argument mismatch, or None if fine.

        ``arg_types`` uses bpftrace's words: "integer", "string", "buffer"
        (symbols, stacks, usernames ... count as "string"; pointers as "integer").
        """
        n_args, n_conv = len(arg_types), len(self.conversions)
        if n_args < n_conv:
            return f"{func}: Not enough arguments for format string ({n_args} supplied, {n_conv} expected)"
        if n_args > n_conv:
            return f"{func}: Too many arguments for format string ({n_args} supplied, {n_conv} expected)"
        for conv, got in zip(self.conversions, arg_types, strict=True):
            want = conv.arg_type
            if got != want:
                token = conv.length + conv.conv
                return f"{func}: %{token} specifier expects a value of type {want} ({got} supplied)"
        return None

    def format(self, args: Sequence[Any]) -> str:
        """Render with already-decoded argument values (ints, strs, Stack, Buffer...)."""
        problem = self.validate([arg_type_of(a) for a in args])
        if problem:
            raise FormatError(problem)
        out = [_render_piece(c, a) for c, a in zip(self.conversions, args, strict=True)]
        return "".join(out) + self.trailing


# bpftrace resolves these to text before formatting, so %s accepts them.
_AS_STRING = {
    "string",
    "stack",
    "kstack",
    "ustack",
    "ksym",
    "usym",
    "probe",
    "username",
    "inet",
    "timestamp",
    "mac_address",
    "cgroup_path",
    "strerror",
}


def printf_arg_type(kind: str) -> str:
    """Map a static type name (typesys.Kind value, or a bpftrace Type name) to
    the word :meth:`FormatString.validate` expects; pointers print as integers."""
    if kind in ("int", "integer", "pointer"):
        return "integer"
    if kind in _AS_STRING:
        return "string"
    return kind  # "buffer", or a mismatch reported with bpftrace's type name


def arg_type_of(value: Any) -> str:
    if isinstance(value, Buffer):
        return "buffer"
    if isinstance(value, str | Stack):
        return "string"
    if isinstance(value, int):
        return "integer"
    return type(value).__name__


def parse_format(fmt: str) -> FormatString:
    """Split ``fmt`` the way bpftrace's FormatString::split() does, and check each
    piece has no other snprintf conversion (those would eat arguments in C)."""
    convs = []
    last = 0
    for m in _SPEC_RE.finditer(fmt):
        piece = fmt[last : m.end()]
        start = m.start() - last
        _check_literal(piece[:start])
        length = m.group(4)[:-1] if m.group(4) not in ("rx", "rh") else ""
        conv = m.group(4)[len(length) :]
        convs.append(
            Conversion(
                piece=piece,
                start=start,
                left=m.group(1) == "-",
                zero=m.group(2).startswith("0"),
                width=int(m.group(2) or 0),
                precision=int(m.group(3)) if m.group(3) is not None else None,
                length=length,
                conv=conv,
            )
        )
        last = m.end()
    return FormatString(fmt, tuple(convs), fmt[last:])


def _check_literal(text: str) -> None:
    # snprintf sees this text too; only "%%" pairs are safe.  The last '%' may
    # pair with the conversion's own '%' (bpftrace prints "%d" for "%%d").
    i = 0
    while i < len(text):
        if text[i] == "%":
            if i + 1 < len(text) and text[i + 1] == "%":
                i += 2
                continue
            if i + 1 == len(text):
                return
            raise FormatError(f"printf: unsupported format specifier '{text[i : i + 3]}...'")
        i += 1


def _unescape(text: str) -> str:
    return text.replace("%%", "%")


def _render_piece(c: Conversion, arg: Any) -> str:
    prefix = c.piece[: c.start]
    # Odd run of '%' right before the conversion: its '%' was swallowed by "%%".
    run = len(prefix) - len(prefix.rstrip("%"))
    if run % 2 == 1:
        return _unescape(prefix[:-1]) + "%" + c.piece[c.start + 1 :]
    return _unescape(prefix) + _convert(c, arg)


def _pad(body: bytes, c: Conversion, zero_ok: bool, sign: bytes = b"") -> str:
    fill = c.width - len(body) - len(sign)
    if fill <= 0:
        out = sign + body
    elif c.left:
        out = sign + body + b" " * fill
    elif c.zero and zero_ok:
        out = sign + b"0" * fill + body
    else:
        out = b" " * fill + sign + body
    return out.decode("utf-8", "surrogateescape")


def _convert(c: Conversion, arg: Any) -> str:
    if c.conv == "s" or c.conv.startswith("r"):
        if isinstance(arg, Buffer):
            text = arg.hex_format(keep_ascii=c.conv == "r", escape_hex=c.conv != "rh")
        elif isinstance(arg, Stack):
            text = stack_text(arg, VALUE_STACK_INDENT)
        else:
            text = str(arg)
        data = text.encode("utf-8", "surrogateescape")
        if c.precision is not None:
            data = data[: c.precision]
        return _pad(data, c, zero_ok=False)  # glibc ignores '0' for %s
    v = int(arg) & U64
    if c.conv == "c":
        return _pad(bytes([v & 0xFF]), c, zero_ok=False)
    if c.conv == "p":
        if v == 0:
            return _pad(b"(nil)", c, zero_ok=False)
        hexd = f"{v:x}".encode()
        if c.precision is not None:
            hexd = hexd.zfill(c.precision)
        return _pad(hexd, c, zero_ok=c.precision is None, sign=b"0x")
    bits = {"hh": 8, "h": 16, "": 32}.get(c.length, 64)
    v &= (1 << bits) - 1
    sign = b""
    if c.conv == "d":
        if v >> (bits - 1):
            v = (1 << bits) - v
            sign = b"-"
        digits = str(v)
    elif c.conv == "u":
        digits = str(v)
    elif c.conv == "o":
        digits = f"{v:o}"
    elif c.conv == "x":
        digits = f"{v:x}"
    else:
        digits = f"{v:X}"
    raw = digits.encode()
    if c.precision is not None:
        raw = b"" if (c.precision == 0 and v == 0) else raw.zfill(c.precision)
    return _pad(raw, c, zero_ok=c.precision is None, sign=sign)


def format_printf(fmt: str, args: Sequence[Any]) -> str:
    """One-shot convenience: parse_format(fmt).format(args)."""
    return parse_format(fmt).format(args)
