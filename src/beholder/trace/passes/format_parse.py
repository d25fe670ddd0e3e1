"""Parser for tracefs event 'format' files (events/CAT/NAME/format); pure text in, fields out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FIELD_LINE = re.compile(
    r"^\s*field:(?P<decl>[^;]*);\s*offset:(?P<offset>\d+);\s*size:(?P<size>\d+);"
    r"(?:\s*signed:(?P<signed>-?\d+);)?"
)
_ARRAY = re.compile(r"^(?P<name>\w+)\s*\[(?P<len>[^\]]*)\]$")
# Element sizes for deriving array lengths written as macros (char comm[TASK_COMM_LEN]).
_ELEM_SIZES = {"char": 1, "unsigned char": 1, "u8": 1, "__u8": 1, "s8": 1, "u16": 2,
               "__u16": 2, "u32": 4, "__u32": 4, "int": 4, "u64": 8, "__u64": 8, "long": 8}  # fmt: skip


class FormatError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class FormatField:
    name: str
    c_type: str  # as declared, without the array suffix: 'char', 'const char *'
    offset: int
    size: int
    signed: bool
    is_array: bool = False
    array_len: int | None = None
    # __data_loc/__rel_loc: the u32 at offset holds (len << 16 | offset) of a dynamic array.
    is_data_loc: bool = False
    is_rel_loc: bool = False

    @property
    def is_common(self) -> bool:
        """common_* fields head every event; bpftrace hides them from args."""
        return self.name.startswith("common_")

    @property
    def is_string(self) -> bool:
        base = self.c_type.replace("const ", "").strip()
        return (self.is_data_loc or self.is_rel_loc or self.is_array) and base == "char"


@dataclass(frozen=True, slots=True)
class TracepointFormat:
    name: str
    id: int | None
    fields: list[FormatField] = field(default_factory=list)
    print_fmt: str = ""

    @property
    def event_fields(self) -> list[FormatField]:
        return [f for f in self.fields if not f.is_common]


def parse_field_decl(decl: str, offset: int, size: int, signed: bool) -> FormatField:
    """One 'field:' declaration, e.g. '__data_loc char[] filename' or 'char prev_comm[16]'."""
    decl = " ".join(decl.split())
    data_loc = rel_loc = False
    for prefix in ("__data_loc ", "__rel_loc "):
        if decl.startswith(prefix):
            decl = decl[len(prefix) :]
            data_loc, rel_loc = prefix == "__data_loc ", prefix == "__rel_loc "
    if data_loc or rel_loc:
        # Dynamic arrays put '[]' on the type: '__data_loc char[] filename'.
        ctype, _, name = decl.rpartition(" ")
        ctype = ctype.replace("[]", "").strip()
        if not name or not ctype:
            raise FormatError(f"malformed dynamic field '{decl}'")
        return FormatField(name, ctype, offset, size, signed, True, None, data_loc, rel_loc)
    ctype, _, last = decl.rpartition(" ")
    if last.startswith("*"):
        # 'char *name' spelt without a space after the star.
        stars = len(last) - len(last.lstrip("*"))
        ctype, last = f"{ctype} {'*' * stars}", last[stars:]
    if not ctype or not last:
        raise FormatError(f"malformed field declaration '{decl}'")
    array = _ARRAY.match(last)
    if array is None:
        return FormatField(last, ctype.strip(), offset, size, signed)
    length_text = array["len"].strip()
    length: int | None
    if length_text.isdigit():
        length = int(length_text)
    else:
        elem = _ELEM_SIZES.get(ctype.strip())
        length = size // elem if elem else None
    return FormatField(array["name"], ctype.strip(), offset, size, signed, True, length)


def parse_format(text: str) -> TracepointFormat:
    """Parse a whole format file; unknown lines are ignored so newer kernels still parse."""
    name, event_id, print_fmt = "", None, ""
    fields: list[FormatField] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("name:"):
            name = stripped[5:].strip()
        elif stripped.startswith("ID:"):
            try:
                event_id = int(stripped[3:].strip())
            except ValueError:
                raise FormatError(f"line {lineno}: bad ID '{stripped[3:].strip()}'") from None
        elif stripped.startswith("print fmt:"):
            print_fmt = stripped[len("print fmt:") :].strip()
        elif stripped.startswith("field:"):
            m = _FIELD_LINE.match(line)
            if m is None:
                raise FormatError(f"line {lineno}: malformed field line: {stripped}")
            signed = m["signed"] is not None and m["signed"] not in ("0",)
            fields.append(parse_field_decl(m["decl"], int(m["offset"]), int(m["size"]), signed))
    return TracepointFormat(name, event_id, fields, print_fmt)


def parse_format_fields(text: str) -> list[FormatField]:
    """Just the event's own fields (common_* dropped), in declaration order."""
    return parse_format(text).event_fields
