"""The emitter's base: one BPF function per attach point, with memory, helper and map primitives.

Values are `V(type, ir_value)`: scalars are i64 SSA values, everything else is an i8* to
8-byte-aligned stack memory (or a ring buffer record) holding `type.size` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llvmlite import ir

from . import helpers as h
from .plan import MapPlan, Plan
from .types import CType, align8

I8, I32, I64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
I8P = I8.as_pointer()


class CodegenError(Exception):
    """A program the code generator cannot compile; carries the AST node for the location."""

    def __init__(self, message: str, node: Any = None) -> None:
        super().__init__(message)
        self.node = node


@dataclass
class V:
    ty: CType
    v: Any  # ir.Value: i64 for scalars, i8* for memory


def const(n: int) -> ir.Constant:
    return ir.Constant(I64, n & 0xFFFFFFFFFFFFFFFF)


class Emitter:
    """State for one function. Subclasses add expressions and statements."""

    def __init__(self, module: ir.Module, plan: Plan, name: str, section: str,
                 pseudo: ir.Function) -> None:
        self.module, self.plan = module, plan
        fn = ir.Function(module, ir.FunctionType(I32, [I8P]), name=name)
        fn.section = section
        self.fn = fn
        self.ctx = fn.args[0]
        self._entry = fn.append_basic_block("entry")
        self._alloca_builder = ir.IRBuilder(self._entry)
        body = fn.append_basic_block("body")
        self.b = ir.IRBuilder(body)
        self._pseudo = pseudo
        self._loops: list[tuple[ir.Block, ir.Block]] = []  # (continue target, break target)

    def finish(self) -> None:
        self._alloca_builder.branch(self.fn.blocks[1])
        if not self.b.block.is_terminated:
            self.b.ret(ir.Constant(I32, 0))

    # -- memory --

    def alloca(self, size: int) -> ir.Value:
        """8-byte aligned stack memory, zeroed where it is used (the verifier insists)."""
        slot = self._alloca_builder.alloca(ir.ArrayType(I64, max(1, align8(size) // 8)))
        return self.b.bitcast(slot, I8P)

    def gep(self, p: ir.Value, off: int) -> ir.Value:
        return self.b.gep(p, [ir.Constant(I64, off)]) if off else p

    def store64(self, p: ir.Value, off: int, v: ir.Value) -> None:
        self.b.store(v, self.b.bitcast(self.gep(p, off), I64.as_pointer()))

    def load_int(self, p: ir.Value, off: int, size: int, signed: bool) -> ir.Value:
        t = ir.IntType(size * 8)
        v = self.b.load(self.b.bitcast(self.gep(p, off), t.as_pointer()))
        if size == 8:
            return v
        return self.b.sext(v, I64) if signed else self.b.zext(v, I64)

    def load_ctx_u64(self, off: int) -> ir.Value:
        """One 8-byte load from the context that LLVM may not split or narrow: fentry/fexit
        contexts accept only whole, 8-byte aligned words (the verifier says "offset is not
        multiple of 8" otherwise). llvm.bpf.passthrough hides the value's later uses."""
        ptr = self.b.bitcast(self.gep(self.ctx, off), I64.as_pointer())
        v = self.b.load(ptr, align=8)
        name = "llvm.bpf.passthrough.i64.i64"
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(I64, [I32, I64]), name=name)
        self._passthrough_seq = getattr(self, "_passthrough_seq", 0) + 1
        return self.b.call(fn, [ir.Constant(I32, self._passthrough_seq), v])

    def zero(self, p: ir.Value, size: int) -> None:
        for off in range(0, align8(size), 8):
            self.store64(p, off, const(0))

    def copy(self, dst: ir.Value, src: ir.Value, size: int) -> None:
        """Copy `size` bytes between 8-byte aligned buffers (both padded to 8)."""
        for off in range(0, align8(size), 8):
            self.store64(dst, off, self.load_int(src, off, 8, False))

    def store_value(self, dst: ir.Value, off: int, val: V, ty: CType) -> None:
        """Store `val` as type `ty` (its slot) at dst+off, padding or truncating memory values."""
        if ty.scalar or ty.kind == "int":
            self.store64(dst, off, self.as_int(val))
            return
        if val.ty.scalar:
            raise CodegenError(f"cannot store {val.ty} where {ty} is expected")
        target = self.gep(dst, off)
        n = min(align8(val.ty.size), align8(ty.size))
        self.copy(target, val.v, n)
        if align8(ty.size) > n:
            self.zero(self.gep(target, n), align8(ty.size) - n)

    def as_int(self, val: V) -> ir.Value:
        if val.ty.scalar or val.ty.kind == "int":
            return val.v
        raise CodegenError(f"a {val.ty} cannot be used as a number")

    def to_memory(self, val: V) -> ir.Value:
        """Pointer to the value's bytes (scalars get a stack slot)."""
        if not val.ty.scalar:
            return val.v
        p = self.alloca(8)
        self.store64(p, 0, val.v)
        return p

    # -- helpers and maps --

    def call(self, helper: int, *args: ir.Value) -> ir.Value:
        fnty = ir.FunctionType(I64, [a.type for a in args])
        fp = self.b.inttoptr(const(helper), fnty.as_pointer())
        return self.b.call(fp, list(args))

    def map_ptr(self, fd: int) -> ir.Value:
        # ld_pseudo with BPF_PSEUDO_MAP_FD: the kernel swaps the fd for the map at load.
        return self.b.inttoptr(self.b.call(self._pseudo, [const(1), const(fd)]), I8P)

    def map_of(self, plan: MapPlan) -> ir.Value:
        return self.map_ptr(plan.fd)

    def if_then(self, cond: ir.Value) -> Any:
        return self.b.if_then(cond)

    def is_null(self, p: ir.Value) -> ir.Value:
        return self.b.icmp_unsigned("==", p, ir.Constant(I8P, None))

    def bool64(self, cond: ir.Value) -> ir.Value:
        return self.b.zext(cond, I64)

    def truthy(self, val: V) -> ir.Value:
        return self.b.icmp_unsigned("!=", self.as_int(val), const(0))

    def ringbuf_record(self, size: int) -> ir.Value:
        """Reserve a record; when the ring is full count the loss and return NULL."""
        rec = self.b.inttoptr(self.call(h.RINGBUF_RESERVE, self.map_ptr(self.plan.ring_fd),
                                        const(size), const(0)), I8P)
        with self.b.if_then(self.is_null(rec)):
            key = self.alloca(8)
            self.store64(key, 0, const(0))
            lost = self.b.inttoptr(self.call(h.MAP_LOOKUP_ELEM, self.map_ptr(self.plan.lost_fd),
                                             key), I8P)
            with self.b.if_then(self.b.not_(self.is_null(lost))):
                self.store64(lost, 0, self.b.add(self.load_int(lost, 0, 8, False), const(1)))
        return rec

    def submit(self, rec: ir.Value) -> None:
        self.call(h.RINGBUF_SUBMIT, rec, const(0))
