"""Struct member access through kernel BTF: `curtask->real_parent->pid`, `((struct sock *)x)->...`.

Each step reads kernel memory with bpf_probe_read_kernel at base + the member's offset, as
bpftrace does; nested structs stay addresses ("record") until a scalar member is read.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from llvmlite import ir

from beholder.trace import ast

from . import helpers as h
from .core import CodegenError, Emitter, V, const
from .types import INT64, UINT64, CType, pointer, raw_bytes, string


@cache
def kernel_btf() -> Any:
    from beholder.kernel.btf import KernelBTF

    try:
        return KernelBTF()
    except OSError as e:
        raise CodegenError(f"struct member access needs kernel BTF: {e.strerror}") from None


def record_type(name: str, node: ast.Node) -> int:
    tid = kernel_btf().find(name.strip())
    if tid is None:
        raise CodegenError(f"unknown type '{name}' in kernel BTF", node)
    desc = kernel_btf().describe(tid)
    if desc[0] != "record":
        raise CodegenError(f"'{name}' is not a struct or union", node)
    return int(desc[3])


class BTFAccess(Emitter):
    """The part of the expression emitter that walks kernel structs."""

    def member_access(self, base: V, node: ast.FieldAccess) -> V:
        em = self
        if base.ty.kind == "ptr":
            if not node.arrow:
                raise CodegenError(f"'{node.field}': use -> on a pointer", node)
            name = base.ty.pointee
        elif base.ty.kind == "record":
            name = base.ty.pointee
        else:
            raise CodegenError(f"cannot access field '{node.field}' of a {base.ty}", node)
        if not name or name in ("void", "char"):
            raise CodegenError(f"'{node.field}': the pointer has no struct type; cast it first, "
                               f"e.g. ((struct sock *)ptr)->{node.field}", node)
        tid = record_type(name, node)
        found = kernel_btf().member(tid, node.field)
        if found is None:
            fields = ", ".join(kernel_btf().fields(tid)[:12])
            raise CodegenError(f"{name} has no member '{node.field}' (bitfields are not "
                               f"readable); members include: {fields}", node)
        offset, desc = found
        addr = em.b.add(em.as_int(base), const(offset))
        return self._read_member(addr, desc, node)

    def _read_member(self, addr: Any, desc: tuple[Any, ...], node: ast.Node) -> V:
        em = self
        kind = desc[0]
        if kind == "record":
            return V(CType("record", pointee=desc[1]), addr)
        if kind in ("int", "enum", "ptr"):
            size = desc[1] if kind != "ptr" else 8
            if size not in (1, 2, 4, 8):
                raise CodegenError(f"a {size}-byte integer member cannot be read", node)
            p = em.alloca(8)
            em.zero(p, 8)
            em.call(h.PROBE_READ_KERNEL, p, const(size), addr)
            if kind == "ptr":
                return V(pointer(desc[1].removesuffix(" *").removesuffix("*").strip()),
                         em.load_int(p, 0, 8, False))
            signed = kind == "int" and desc[2]
            return V(INT64 if signed else UINT64, em.load_int(p, 0, size, signed))
        if kind == "array":
            elem, n, elem_name = desc[1], desc[2], desc[3]
            size = n * (elem[1] if elem[0] == "int" else 1)
            if elem[0] == "int" and elem[1] == 1 and elem_name in ("char", "unsigned char"):
                ty = string(n)
            else:
                ty = raw_bytes(min(size, 256))
            p = em.alloca(ty.size)
            em.zero(p, ty.size)
            em.call(h.PROBE_READ_KERNEL, p, const(ty.size), addr)
            return V(ty, p)
        raise CodegenError("this member's type cannot be read", node)


class FuncArgs(BTFAccess):
    """args->name and retval in fentry/fexit probes: the context is a u64 array of arguments."""

    provider: str
    func_name: str

    def func_arg(self, node: ast.FieldAccess) -> V:
        params, _ret = self._proto(node)
        for i, (pname, desc) in enumerate(params):
            if pname == node.field:
                return self._from_slot(i, desc, node)
        names = ", ".join(n for n, _ in params)
        raise CodegenError(f"{self.func_name}() has no parameter '{node.field}'; it has: {names}", node)

    def func_retval(self, node: ast.Node) -> V:
        params, ret = self._proto(node)
        return self._from_slot(len(params), ret, node)

    def _proto(self, node: ast.Node) -> Any:
        found = kernel_btf().func_params(self.func_name)
        if found is None:
            raise CodegenError(f"no kernel function '{self.func_name}' in BTF", node)
        return found

    def _from_slot(self, i: int, desc: tuple[Any, ...], node: ast.Node) -> V:
        raw = self.load_ctx_u64(8 * i)
        if desc[0] == "ptr":
            return V(pointer(desc[1].removesuffix(" *").removesuffix("*").strip()), raw)
        if desc[0] in ("int", "enum"):
            size = desc[1]
            signed = desc[0] == "int" and desc[2]
            if size < 8:
                narrow = self.b.trunc(raw, ir.IntType(size * 8))
                raw = self.b.sext(narrow, raw.type) if signed else self.b.zext(narrow, raw.type)
            return V(INT64 if signed else UINT64, raw)
        raise CodegenError(f"argument of type {desc[0]} cannot be read from a kfunc context", node)
