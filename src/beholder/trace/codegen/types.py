"""Concrete types of the code generator: sizes and byte layouts shared by the kernel and user space.

The front-end's SType says *what* a value is; a CType also says how many bytes it takes in a
map key, a map value or an event record, so codegen and the decoder agree byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds that live in one 64-bit register; everything else lives in memory (stack or record).
SCALAR_KINDS = frozenset({"int", "ptr", "ksym", "probe", "username", "kstack", "record"})


@dataclass(frozen=True)
class CType:
    # int ptr str tuple inet bytes kstack ustack ksym usym probe username strftime none, and
    # record: the kernel address of a struct reached through a pointer (for further '.f')
    kind: str
    size: int = 8
    signed: bool = True
    elems: tuple[CType, ...] = ()
    # For ptr: the C type pointed to, when known from BTF or a cast ('struct task_struct').
    pointee: str = ""
    offsets: tuple[int, ...] = field(default=(), compare=False)

    @property
    def scalar(self) -> bool:
        return self.kind in SCALAR_KINDS

    def __str__(self) -> str:
        if self.kind == "int":
            return f"{'' if self.signed else 'u'}int{self.size * 8}"
        if self.kind == "str":
            return f"string[{self.size}]"
        if self.kind == "tuple":
            return "(" + ", ".join(str(e) for e in self.elems) + ")"
        return self.kind


def align8(n: int) -> int:
    return (n + 7) // 8 * 8


INT64 = CType("int")
UINT64 = CType("int", signed=False)
NONE = CType("none", size=0)
PROBE = CType("probe")
KSYM = CType("ksym")
USERNAME = CType("username")
KSTACK = CType("kstack")
USTACK = CType("ustack", size=16)  # stack id + pid, so user space knows whose maps to use
USYM = CType("usym", size=16)  # address + pid
INET = CType("inet", size=24)  # u64 family + 16 address bytes, as bpftrace's ntop()
STRFTIME = CType("strftime", size=16)  # format id + nanoseconds


def string(size: int) -> CType:
    return CType("str", size=size)


def raw_bytes(size: int) -> CType:
    return CType("bytes", size=size)


def pointer(pointee: str = "") -> CType:
    return CType("ptr", signed=False, pointee=pointee)


def tuple_of(elems: list[CType]) -> CType:
    offsets, off = [], 0
    for e in elems:
        offsets.append(off)
        off += align8(e.size)
    return CType("tuple", size=off, elems=tuple(elems), offsets=tuple(offsets))


def layout(types: list[CType]) -> tuple[list[int], int]:
    """Offsets of consecutive fields, each 8-byte aligned (map keys, event records)."""
    offsets, off = [], 0
    for t in types:
        offsets.append(off)
        off += align8(t.size)
    return offsets, off


def unify(a: CType, b: CType) -> CType | None:
    """The type that holds both, or None if they cannot share a map slot."""
    if a == b:
        return a
    if a.scalar and b.scalar and a.kind == b.kind:
        return a
    if {a.kind, b.kind} <= {"int", "ptr"}:
        return INT64
    if a.kind == b.kind == "str":
        return string(max(a.size, b.size))
    if a.kind == b.kind == "tuple" and len(a.elems) == len(b.elems):
        elems = [unify(x, y) for x, y in zip(a.elems, b.elems, strict=True)]
        if all(e is not None for e in elems):
            return tuple_of([e for e in elems if e is not None])
    return None
