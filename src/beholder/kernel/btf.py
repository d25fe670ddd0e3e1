"""BTF types -> ctypes types, so map keys and values come out as typed structures."""

from __future__ import annotations

import ctypes as _c
from typing import Any

from .libbpf import lib

KIND_INT, KIND_PTR, KIND_ARRAY, KIND_STRUCT, KIND_UNION, KIND_ENUM = 1, 2, 3, 4, 5, 6
KIND_FWD, KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT = 7, 8, 9, 10, 11
KIND_FLOAT, KIND_TYPE_TAG, KIND_ENUM64 = 16, 18, 19
_MODIFIERS = {KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG}


class _BtfType(_c.Structure):
    _fields_ = [("name_off", _c.c_uint32), ("info", _c.c_uint32), ("size_or_type", _c.c_uint32)]


class _Member(_c.Structure):
    _fields_ = [("name_off", _c.c_uint32), ("type", _c.c_uint32), ("offset", _c.c_uint32)]


class _Array(_c.Structure):
    _fields_ = [("type", _c.c_uint32), ("index_type", _c.c_uint32), ("nelems", _c.c_uint32)]


class Unrepresentable(Exception):
    """A BTF type with no faithful ctypes form (bitfields, forward declarations)."""


_INTS = {(1, False): _c.c_uint8, (1, True): _c.c_int8, (2, False): _c.c_uint16,
         (2, True): _c.c_int16, (4, False): _c.c_uint32, (4, True): _c.c_int32,
         (8, False): _c.c_uint64, (8, True): _c.c_int64}


class Converter:
    """Build ctypes classes from one `struct btf *`; results are cached per type id."""

    def __init__(self, btf: int) -> None:
        self.btf = btf
        self._cache: dict[int, Any] = {}

    def _type(self, tid: int) -> _BtfType:
        ptr = lib.btf__type_by_id(self.btf, tid)
        if not ptr:
            raise Unrepresentable(f"no BTF type {tid}")
        return _BtfType.from_address(ptr)

    def _name(self, off: int) -> str:
        raw = lib.btf__name_by_offset(self.btf, off)
        return raw.decode() if raw else ""

    def ctype(self, tid: int) -> Any:
        if tid not in self._cache:
            self._cache[tid] = self._build(tid)
        return self._cache[tid]

    def _build(self, tid: int) -> Any:
        if tid == 0:
            raise Unrepresentable("void")
        t = self._type(tid)
        kind = (t.info >> 24) & 0x1F
        vlen = t.info & 0xFFFF
        if kind in _MODIFIERS:
            return self.ctype(t.size_or_type)
        if kind == KIND_INT:
            enc = _c.c_uint32.from_address(_c.addressof(t) + _c.sizeof(t)).value
            signed = bool((enc >> 24) & 1)
            if (enc >> 24) & 2 or t.size_or_type == 1 and not signed:  # char
                return _c.c_uint8
            return _INTS.get((t.size_or_type, signed)) or _c.c_uint8 * t.size_or_type
        if kind in (KIND_ENUM, KIND_ENUM64):
            return _INTS[(t.size_or_type, bool(t.info >> 31))]
        if kind == KIND_PTR:
            return _c.c_uint64
        if kind == KIND_FLOAT:
            return {4: _c.c_float, 8: _c.c_double}.get(t.size_or_type) or _c.c_uint8 * t.size_or_type
        if kind == KIND_ARRAY:
            arr = _Array.from_address(_c.addressof(t) + _c.sizeof(t))
            elem = self.ctype(arr.type)
            if self._is_char(arr.type):
                return _c.c_char * arr.nelems  # char[N] reads back as bytes
            return elem * arr.nelems
        if kind in (KIND_STRUCT, KIND_UNION):
            return self._record(tid, t, kind, vlen)
        raise Unrepresentable(f"BTF kind {kind}")

    def _is_char(self, tid: int) -> bool:
        t = self._type(tid)
        while (t.info >> 24) & 0x1F in _MODIFIERS:
            t = self._type(t.size_or_type)
        if (t.info >> 24) & 0x1F != KIND_INT:
            return False
        enc = _c.c_uint32.from_address(_c.addressof(t) + _c.sizeof(t)).value
        return bool((enc >> 24) & 2) or self._name(t.name_off) == "char"

    def _record(self, tid: int, t: _BtfType, kind: int, vlen: int) -> Any:
        kflag = bool(t.info >> 31)
        base = _c.addressof(t) + _c.sizeof(t)
        fields: list[tuple[str, Any]] = []
        anon: list[str] = []
        pos = 0
        for i in range(vlen):
            m = _Member.from_address(base + i * _c.sizeof(_Member))
            bit_off = m.offset & 0xFFFFFF if kflag else m.offset
            if kflag and m.offset >> 24:
                raise Unrepresentable("bitfield")
            if bit_off % 8:
                raise Unrepresentable("bitfield")
            off = bit_off // 8
            ctype = self.ctype(m.type)
            name = self._name(m.name_off) or f"_anon{i}"
            if not self._name(m.name_off):
                anon.append(name)
            if kind == KIND_STRUCT and off > pos:
                fields.append((f"_pad{pos}", _c.c_uint8 * (off - pos)))
            fields.append((name, ctype))
            pos = max(pos, off + _c.sizeof(ctype))
        if kind == KIND_STRUCT and t.size_or_type > pos:
            fields.append((f"_pad{pos}", _c.c_uint8 * (t.size_or_type - pos)))
        base_cls = _c.Structure if kind == KIND_STRUCT else _c.Union
        name = self._name(t.name_off) or f"anon_{tid}"
        cls = type(name, (base_cls,), {"_pack_": 1, "_anonymous_": anon, "_fields_": fields})
        if _c.sizeof(cls) != t.size_or_type:
            raise Unrepresentable(f"{name}: layout mismatch")
        return cls


def scalar(size: int, signed: bool = False) -> Any:
    return _INTS.get((size, signed)) or _c.c_uint8 * size


def sizeof(ctype: Any) -> int:
    return _c.sizeof(ctype)


KIND_VAR, KIND_DATASEC = 14, 15


class _VarSecinfo(_c.Structure):
    _fields_ = [("type", _c.c_uint32), ("offset", _c.c_uint32), ("size", _c.c_uint32)]


def datasec_vars(btf: int, section: str) -> dict[str, tuple[int, int, int]]:
    """Variables of a data section (.rodata, .bss): name -> (offset, size, type id)."""
    sid = lib.btf__find_by_name_kind(btf, section.encode(), KIND_DATASEC)
    if sid < 0:
        return {}
    sec = _BtfType.from_address(lib.btf__type_by_id(btf, sid))
    base = _c.addressof(sec) + _c.sizeof(sec)
    out: dict[str, tuple[int, int, int]] = {}
    for i in range(sec.info & 0xFFFF):
        info = _VarSecinfo.from_address(base + i * _c.sizeof(_VarSecinfo))
        var = _BtfType.from_address(lib.btf__type_by_id(btf, info.type))
        raw = lib.btf__name_by_offset(btf, var.name_off)
        out[raw.decode() if raw else ""] = (info.offset, info.size, var.size_or_type)
    return out


# --- kernel BTF for the trace compiler: member offsets and types of kernel structs ---

class KernelBTF:
    """The running kernel's BTF (/sys/kernel/btf/vmlinux), loaded once through libbpf."""

    def __init__(self) -> None:
        ptr = lib.btf__load_vmlinux_btf()
        if not ptr:
            raise OSError(_c.get_errno() or 2, "kernel BTF (/sys/kernel/btf/vmlinux) is unavailable")
        self.btf = ptr

    def close(self) -> None:
        if self.btf:
            lib.btf__free(self.btf)
            self.btf = 0

    def _t(self, tid: int) -> _BtfType:
        return _BtfType.from_address(lib.btf__type_by_id(self.btf, tid))

    def _name(self, off: int) -> str:
        raw = lib.btf__name_by_offset(self.btf, off)
        return raw.decode() if raw else ""

    def find(self, name: str) -> int | None:
        """Type id of 'struct X', 'union X', or a typedef/plain name."""
        for prefix, kinds in (("struct ", (KIND_STRUCT,)), ("union ", (KIND_UNION,))):
            if name.startswith(prefix):
                tid = lib.btf__find_by_name_kind(self.btf, name[len(prefix):].encode(), kinds[0])
                return tid if tid > 0 else None
        for kind in (KIND_STRUCT, KIND_TYPEDEF, KIND_UNION, KIND_INT, KIND_ENUM):
            tid = lib.btf__find_by_name_kind(self.btf, name.encode(), kind)
            if tid > 0:
                return tid
        return None

    def describe(self, tid: int) -> tuple[Any, ...]:
        """A plain descriptor: ('int', size, signed) | ('ptr', pointee) | ('array', elem, n,
        elem name) | ('record', 'struct X', size, type id) | ('enum', size) | ('void',)."""
        while True:
            if tid == 0:
                return ("void",)
            t = self._t(tid)
            kind = (t.info >> 24) & 0x1F
            if kind not in _MODIFIERS:
                break
            tid = t.size_or_type
        if kind == KIND_INT:
            enc = _c.c_uint32.from_address(_c.addressof(t) + _c.sizeof(t)).value
            return ("int", t.size_or_type, bool((enc >> 24) & 1))
        if kind in (KIND_ENUM, KIND_ENUM64):
            return ("enum", t.size_or_type)
        if kind == KIND_PTR:
            return ("ptr", self.type_name(t.size_or_type))
        if kind == KIND_ARRAY:
            arr = _Array.from_address(_c.addressof(t) + _c.sizeof(t))
            return ("array", self.describe(arr.type), arr.nelems, self.type_name(arr.type))
        if kind in (KIND_STRUCT, KIND_UNION):
            word = "struct" if kind == KIND_STRUCT else "union"
            return ("record", f"{word} {self._name(t.name_off)}".strip(), t.size_or_type, tid)
        return ("void",)

    def type_name(self, tid: int) -> str:
        """C spelling of a type, enough to look it up again ('struct sock', 'char', 'u32')."""
        if tid == 0:
            return "void"
        t = self._t(tid)
        kind = (t.info >> 24) & 0x1F
        if kind in (KIND_CONST, KIND_VOLATILE, KIND_RESTRICT, KIND_TYPE_TAG):
            return self.type_name(t.size_or_type)
        name = self._name(t.name_off)
        if kind == KIND_STRUCT:
            return f"struct {name}"
        if kind == KIND_UNION:
            return f"union {name}"
        if kind == KIND_PTR:
            return self.type_name(t.size_or_type) + " *"
        return name or f"type#{tid}"

    def member(self, record_tid: int, field: str) -> tuple[int, tuple[Any, ...]] | None:
        """(byte offset, descriptor) of `field`, searching anonymous members too."""
        t = self._t(record_tid)
        kflag = bool(t.info >> 31)
        base = _c.addressof(t) + _c.sizeof(t)
        for i in range(t.info & 0xFFFF):
            m = _Member.from_address(base + i * _c.sizeof(_Member))
            bit_off = m.offset & 0xFFFFFF if kflag else m.offset
            name = self._name(m.name_off)
            if name == field:
                if (kflag and m.offset >> 24) or bit_off % 8:
                    return None  # bitfields are not addressable bytes
                return bit_off // 8, self.describe(m.type)
            if not name:  # anonymous struct/union: its members belong to us
                inner = self.describe(m.type)
                if inner[0] == "record":
                    found = self.member(inner[3], field)
                    if found is not None:
                        return bit_off // 8 + found[0], found[1]
        return None

    def fields(self, record_tid: int) -> list[str]:
        t = self._t(record_tid)
        base = _c.addressof(t) + _c.sizeof(t)
        out = []
        for i in range(t.info & 0xFFFF):
            m = _Member.from_address(base + i * _c.sizeof(_Member))
            out.append(self._name(m.name_off))
        return [n for n in out if n]

    def func_params(self, name: str) -> tuple[list[tuple[str, tuple[Any, ...]]], tuple[Any, ...]] | None:
        """Parameters (name, descriptor) and return descriptor of a kernel function, for
        fentry/fexit programs, whose context is the u64 array of those arguments."""
        fid = lib.btf__find_by_name_kind(self.btf, name.encode(), KIND_FUNC)
        if fid <= 0:
            return None
        proto = self._t(self._t(fid).size_or_type)
        base = _c.addressof(proto) + _c.sizeof(proto)
        params = []
        for i in range(proto.info & 0xFFFF):
            p = _Param.from_address(base + i * _c.sizeof(_Param))
            params.append((self._name(p.name_off), self.describe(p.type)))
        return params, self.describe(proto.size_or_type)


KIND_FUNC = 12


class _Param(_c.Structure):
    _fields_ = [("name_off", _c.c_uint32), ("type", _c.c_uint32)]
