"""Expressions: builtins, literals, arithmetic, comparisons, casts, tracepoint args, tuples."""

from __future__ import annotations

import time
from typing import Any

from llvmlite import ir

from beholder.trace import ast

from . import helpers as h
from .btfaccess import FuncArgs
from .core import I8, I64, CodegenError, V, const
from .types import (
    INT64,
    KSTACK,
    PROBE,
    UINT64,
    USERNAME,
    USTACK,
    CType,
    pointer,
    raw_bytes,
    string,
    tuple_of,
)

PROBE_FUNC = CType("probe")  # a name from the probe table, printed as is
UNSET_PARAM = CType("int", pointee="$unset")  # an int 0 that becomes "" next to a string
_INT_CASTS = {f"{s}int{b}": (b // 8, s == "") for s in ("", "u") for b in (8, 16, 32, 64)}
_INT_CASTS.update({"char": (1, True), "short": (2, True), "int": (4, True), "long": (8, True),
                   "u8": (1, False), "u16": (2, False), "u32": (4, False), "u64": (8, False),
                   "s8": (1, True), "s16": (2, True), "s32": (4, True), "s64": (8, True)})
_ARITH = {"+": "add", "-": "sub", "*": "mul", "&": "and_", "|": "or_", "^": "xor", "<<": "shl"}
_CMP = ("==", "!=", "<", ">", "<=", ">=")


class ExprEmitter(FuncArgs):
    probe_ast: ast.Probe
    provider: str
    tp_fields: dict[str, Any]
    probe_name: str
    options: dict[str, Any]
    variables: dict[str, V]
    start_ns: int

    # implemented in stmt.py / mapops.py
    def call_function(self, node: ast.Call) -> V:
        raise NotImplementedError

    def read_map(self, node: ast.Map) -> V:
        raise NotImplementedError

    def incdec(self, node: ast.Unop) -> V:
        raise NotImplementedError

    @property
    def strlen(self) -> int:
        return int(self.options.get("strlen", 64))

    def expr(self, node: ast.Expr) -> V:
        method = getattr(self, f"_e_{type(node).__name__}", None)
        if method is None:
            raise CodegenError(f"{type(node).__name__} expressions are not supported yet", node)
        return method(node)

    # -- leaves --

    def _e_Integer(self, node: ast.Integer) -> V:
        return V(INT64 if node.value < (1 << 63) else UINT64, const(node.value))

    def string_literal(self, text: str) -> V:
        data = text.encode() + b"\0"
        p = self.alloca(len(data))
        self.zero(p, len(data))
        for i in range(0, len(data), 8):
            chunk = data[i:i + 8].ljust(8, b"\0")
            self.store64(p, i, const(int.from_bytes(chunk, "little")))
        return V(string(len(data)), p)

    def _e_String(self, node: ast.String) -> V:
        return self.string_literal(node.value)

    def _e_PositionalParam(self, node: ast.PositionalParam) -> V:
        params = self.options.get("positional") or []
        if node.index > len(params):
            return V(UNSET_PARAM, const(0))
        text = params[node.index - 1]
        try:
            return V(INT64, const(int(text, 0)))
        except ValueError:
            return self.string_literal(text)

    def _e_ParamCount(self, node: ast.ParamCount) -> V:
        return V(INT64, const(len(self.options.get("positional") or [])))

    def _e_Variable(self, node: ast.Variable) -> V:
        var = self.variables.get(node.name)
        if var is None:
            raise CodegenError(f"${node.name} is used before it is assigned", node)
        if var.ty.scalar:
            return V(var.ty, self.load_int(var.v, 0, 8, False))
        return var

    def _e_Map(self, node: ast.Map) -> V:
        return self.read_map(node)

    def _e_Call(self, node: ast.Call) -> V:
        return self.call_function(node)

    def _e_Identifier(self, node: ast.Identifier) -> V:
        raise CodegenError(f"unknown identifier '{node.name}'", node)

    # -- builtins --

    def _e_Builtin(self, node: ast.Builtin) -> V:
        name = node.name
        if name in ("pid", "tid"):
            v = self.call(h.GET_CURRENT_PID_TGID)
            return V(UINT64, self.b.lshr(v, const(32)) if name == "pid" else
                     self.b.and_(v, const(0xFFFFFFFF)))
        if name in ("uid", "gid", "username"):
            v = self.call(h.GET_CURRENT_UID_GID)
            v = self.b.lshr(v, const(32)) if name == "gid" else self.b.and_(v, const(0xFFFFFFFF))
            return V(USERNAME if name == "username" else UINT64, v)
        if name == "nsecs":
            return V(UINT64, self.call(h.KTIME_GET_NS))
        if name == "elapsed":
            return V(UINT64, self.b.sub(self.call(h.KTIME_GET_NS), const(self.start_ns)))
        if name == "cpu":
            return V(UINT64, self.call(h.GET_SMP_PROCESSOR_ID))
        if name == "cgroup":
            return V(UINT64, self.call(h.GET_CURRENT_CGROUP_ID))
        if name == "rand":
            return V(UINT64, self.call(h.GET_PRANDOM_U32))
        if name == "curtask":
            return V(pointer("struct task_struct"), self.call(h.GET_CURRENT_TASK))
        if name == "comm":
            p = self.alloca(16)
            self.zero(p, 16)
            self.call(h.GET_CURRENT_COMM, p, const(16))
            return V(string(16), p)
        if name == "probe":
            return V(PROBE, const(self.plan.probe_id(self.probe_name)))
        if name in ("kstack", "ustack"):
            return self.stack(name == "ustack")
        if name == "func":
            return self.func_value()
        if name == "retval" and self.provider == "fexit":
            return self.func_retval(node)
        if name == "retval":
            self._need_regs(node, "retval", ("uretprobe", "kretprobe"))
            return V(INT64, self.load_int(self.ctx, h.PT_REGS_RC, 8, True))
        if name.startswith(("arg", "sarg")) and name[-1].isdigit():
            return self.arg(node, int(name.lstrip("sarg")), name.startswith("s"))
        if name == "cpid":
            if "cpid" not in self.options:
                raise CodegenError("'cpid' needs a command to trace: use -c CMD", node)
            return V(UINT64, const(int(self.options["cpid"])))
        if name == "ncpus":
            import os

            return V(UINT64, const(os.cpu_count() or 1))
        if name == "args":
            raise CodegenError("'args' must be followed by a field, as in args.filename", node)
        raise CodegenError(f"builtin '{name}' is not supported yet", node)

    def _need_regs(self, node: ast.Node, what: str, providers: tuple[str, ...]) -> None:
        if self.provider not in providers:
            raise CodegenError(f"'{what}' is only available in {', '.join(providers)} probes "
                               f"(this is {self.provider})", node)

    def arg(self, node: ast.Node, n: int, stack: bool) -> V:
        if self.provider == "rawtracepoint" and not stack:
            return V(UINT64, self.load_int(self.ctx, 8 * n, 8, False))
        self._need_regs(node, f"arg{n}", ("uprobe", "uretprobe", "kprobe", "kretprobe"))
        if stack:  # sargN: the Nth 8-byte slot above the return address
            sp = self.load_int(self.ctx, h.PT_REGS_SP, 8, False)
            p = self.alloca(8)
            self.zero(p, 8)
            self.call(h.PROBE_READ_USER, p, const(8), self.b.add(sp, const(8 * (n + 1))))
            return V(UINT64, self.load_int(p, 0, 8, False))
        if n >= len(h.PT_REGS_ARGS):
            raise CodegenError(f"arg{n}: x86_64 passes only 6 arguments in registers", node)
        return V(UINT64, self.load_int(self.ctx, h.PT_REGS_ARGS[n], 8, False))

    def stack(self, user: bool) -> V:
        stack_map = self.map_ptr(self.plan.stack_map_fd)
        flags = h.BPF_F_USER_STACK if user else 0
        sid = self.call(h.GET_STACKID, self.ctx, stack_map, const(flags))
        self.plan.needs_stacks = True
        if not user:
            return V(KSTACK, sid)
        p = self.alloca(16)
        self.store64(p, 0, sid)
        self.store64(p, 8, self.b.lshr(self.call(h.GET_CURRENT_PID_TGID), const(32)))
        return V(USTACK, p)

    def func_value(self) -> V:
        from .types import KSYM, USYM

        if self.provider in ("uprobe", "uretprobe") and self.func_name:
            # The attach point names the function: no need to symbolize an address of a
            # process that may be gone by the time the record is read.
            return V(PROBE_FUNC, const(self.plan.probe_id(self.func_name)))
        if self.provider in ("uprobe", "uretprobe"):
            p = self.alloca(16)
            self.store64(p, 0, self.load_int(self.ctx, h.PT_REGS_IP, 8, False))
            self.store64(p, 8, self.b.lshr(self.call(h.GET_CURRENT_PID_TGID), const(32)))
            return V(USYM, p)
        if self.provider in ("kprobe", "kretprobe"):
            return V(KSYM, self.load_int(self.ctx, h.PT_REGS_IP, 8, False))
        raise CodegenError(f"'func' is not available in {self.provider} probes")

    # -- tracepoint args and field access --

    def _e_FieldAccess(self, node: ast.FieldAccess) -> V:
        if isinstance(node.expr, ast.Builtin) and node.expr.name == "args":
            return self.tp_arg(node)
        base = self.expr(node.expr)
        if base.ty.kind == "tuple" and node.field.isdigit():
            i = int(node.field)
            if i >= len(base.ty.elems):
                raise CodegenError(f"tuple has {len(base.ty.elems)} elements; .{i} is out of range", node)
            et = base.ty.elems[i]
            p = self.gep(base.v, base.ty.offsets[i])
            return V(et, self.load_int(p, 0, 8, False)) if et.scalar or et.kind == "int" else V(et, p)
        return self.member_access(base, node)

    def tp_arg(self, node: ast.FieldAccess) -> V:
        if self.provider in ("fentry", "fexit"):
            return self.func_arg(node)
        if self.provider != "tracepoint":
            raise CodegenError(f"args.{node.field}: 'args' fields exist in tracepoint probes only "
                               f"(this is {self.provider})", node)
        f = self.tp_fields.get(node.field)
        if f is None:
            names = ", ".join(n for n, x in self.tp_fields.items() if not n.startswith("common_"))
            raise CodegenError(f"{self.probe_name} has no field '{node.field}'; fields are: {names}", node)
        if f.is_data_loc or f.is_rel_loc:
            loc = self.load_int(self.ctx, f.offset, 4, False)
            off = self.b.and_(loc, const(0xFFFF))
            if f.is_rel_loc:  # relative to the end of the field itself
                off = self.b.add(off, const(f.offset + 4))
            src = self.b.add(self.b.ptrtoint(self.ctx, I64), off)
            p = self.alloca(self.strlen)
            self.zero(p, self.strlen)
            self.call(h.PROBE_READ_KERNEL_STR, p, const(self.strlen), src)
            return V(string(self.strlen), p)
        if f.is_array:
            ty = string(f.size) if f.is_string else raw_bytes(f.size)
            p = self.alloca(f.size)
            self.zero(p, f.size)
            self.call(h.PROBE_READ_KERNEL, p, const(f.size), self.gep(self.ctx, f.offset))
            return V(ty, p)
        if "*" in f.c_type:
            base = f.c_type.replace("const ", "").replace("*", "").strip()
            return V(pointer(base), self.load_int(self.ctx, f.offset, 8, False))
        size = f.size if f.size in (1, 2, 4, 8) else 8
        return V(INT64 if f.signed else UINT64, self.load_int(self.ctx, f.offset, size, f.signed))

    def _e_ArrayAccess(self, node: ast.ArrayAccess) -> V:
        base = self.expr(node.expr)
        if not isinstance(node.index, ast.Integer):
            raise CodegenError("array index must be a constant", node.index)
        i = node.index.value
        if base.ty.kind in ("bytes", "str"):
            if not 0 <= i < base.ty.size:
                raise CodegenError(f"index {i} is out of bounds for {base.ty}", node)
            return V(UINT64, self.load_int(base.v, i, 1, False))
        if base.ty.kind == "ptr":
            p = self.alloca(8)
            self.zero(p, 8)
            self.call(h.PROBE_READ, p, const(8), self.b.add(base.v, const(8 * i)))
            return V(UINT64, self.load_int(p, 0, 8, False))
        raise CodegenError(f"cannot index a {base.ty}", node)

    # -- operators --

    def _e_Binop(self, node: ast.Binop) -> V:
        op = node.op
        if op in ("&&", "||"):
            return self.logical(node)
        return self.binop(op, self.expr(node.left), self.expr(node.right), node)

    def binop(self, op: str, left: V, right: V, node: ast.Node) -> V:
        # An unset $N reads as "" beside a string and as 0 beside a number.
        if left.ty is UNSET_PARAM and right.ty.kind == "str":
            left = self.string_literal("")
        if right.ty is UNSET_PARAM and left.ty.kind == "str":
            right = self.string_literal("")
        if left.ty.kind == "str" or right.ty.kind == "str":
            if op not in ("==", "!="):
                raise CodegenError(f"operator {op} does not apply to strings", node)
            eq = self.str_equal(left, right, node)
            return V(INT64, self.bool64(eq if op == "==" else self.b.not_(eq)))
        a, b = self.as_int(left), self.as_int(right)
        signed = left.ty.signed and right.ty.signed
        rty = INT64 if signed else UINT64
        if op in _ARITH:
            return V(rty, getattr(self.b, _ARITH[op])(a, b))
        if op == ">>":
            return V(rty, self.b.ashr(a, b) if left.ty.signed else self.b.lshr(a, b))
        if op in ("/", "%"):
            # BPF has unsigned division only (before cpu v4); x/0 is 0, as in the kernel.
            return V(rty, self.b.udiv(a, b) if op == "/" else self.b.urem(a, b))
        if op in _CMP:
            cmp = self.b.icmp_signed if signed else self.b.icmp_unsigned
            return V(INT64, self.bool64(cmp(op, a, b)))
        raise CodegenError(f"operator {op} is not supported", node)

    def logical(self, node: ast.Binop) -> V:
        result = self.alloca(8)
        left = self.truthy(self.expr(node.left))
        short = const(0 if node.op == "&&" else 1)
        self.store64(result, 0, short)
        go_on = left if node.op == "&&" else self.b.not_(left)
        with self.b.if_then(go_on):
            self.store64(result, 0, self.bool64(self.truthy(self.expr(node.right))))
        return V(INT64, self.load_int(result, 0, 8, False))

    def _e_Unop(self, node: ast.Unop) -> V:
        if node.op in ("++", "--"):
            return self.incdec(node)
        val = self.expr(node.operand)
        if node.op == "!":
            return V(INT64, self.bool64(self.b.not_(self.truthy(val))))
        if node.op == "~":
            return V(val.ty, self.b.not_(self.as_int(val)))
        if node.op == "-":
            return V(INT64, self.b.neg(self.as_int(val)))
        if node.op == "+":
            return val
        if node.op == "*":
            p = self.alloca(8)
            self.zero(p, 8)
            self.call(h.PROBE_READ, p, const(8), self.as_int(val))
            return V(UINT64, self.load_int(p, 0, 8, False))
        raise CodegenError(f"unary {node.op} is not supported", node)

    def _e_Ternary(self, node: ast.Ternary) -> V:
        cond = self.truthy(self.expr(node.cond))
        # Evaluate into a shared slot so memory values (strings, tuples) work as well as ints.
        then_bb = self.b.append_basic_block("tern.then")
        else_bb = self.b.append_basic_block("tern.else")
        done_bb = self.b.append_basic_block("tern.done")
        self.b.cbranch(cond, then_bb, else_bb)
        self.b.position_at_end(then_bb)
        a = self.expr(node.then)
        slot_size = 64 if not a.ty.scalar and a.ty.kind != "int" else 8
        slot_size = max(slot_size, a.ty.size)
        slot = self._alloca_builder.alloca(ir.ArrayType(I64, (slot_size + 7) // 8))
        slot_p = self.b.bitcast(slot, I8.as_pointer())
        self.store_value(slot_p, 0, a, a.ty)
        self.b.branch(done_bb)
        self.b.position_at_end(else_bb)
        bval = self.expr(node.other)
        slot_p2 = self.b.bitcast(slot, I8.as_pointer())
        self.store_value(slot_p2, 0, bval, a.ty)
        self.b.branch(done_bb)
        self.b.position_at_end(done_bb)
        out = self.b.bitcast(slot, I8.as_pointer())
        if a.ty.scalar or a.ty.kind == "int":
            return V(a.ty, self.load_int(out, 0, 8, False))
        return V(a.ty, out)

    def _e_Cast(self, node: ast.Cast) -> V:
        val = self.expr(node.expr)
        t = node.type
        if t.pointer_depth:
            return V(pointer(t.name), self.as_int(val))
        if t.name in _INT_CASTS and t.array_len is None:
            size, signed = _INT_CASTS[t.name]
            v = self.as_int(val)
            if size < 8:
                narrow = self.b.trunc(v, ir.IntType(size * 8))
                v = self.b.sext(narrow, I64) if signed else self.b.zext(narrow, I64)
            return V(INT64 if signed else UINT64, v)
        raise CodegenError(f"cast to '{t}' is not supported yet", node)

    def _e_Tuple(self, node: ast.Tuple) -> V:
        vals = [self.expr(e) for e in node.elems]
        ty = tuple_of([v.ty for v in vals])
        p = self.alloca(ty.size)
        for v, off in zip(vals, ty.offsets, strict=True):
            self.store_value(p, off, v, v.ty)
        return V(ty, p)

    def _e_Sizeof(self, node: ast.Sizeof) -> V:
        if isinstance(node.arg, ast.TypeName) and node.arg.name in _INT_CASTS:
            return V(UINT64, const(_INT_CASTS[node.arg.name][0]))
        if isinstance(node.arg, ast.Expr):
            return V(UINT64, const(self.expr(node.arg).ty.size))
        raise CodegenError(f"sizeof({node.arg}) needs BTF types, not supported yet", node)

    # -- strings --

    def str_equal(self, a: V, b: V, node: ast.Node) -> ir.Value:
        """bpftrace's string ==: equal up to and including the first NUL (within bounds)."""
        if a.ty.kind != "str" or b.ty.kind != "str":
            raise CodegenError(f"cannot compare {a.ty} with {b.ty}", node)
        n = min(a.ty.size, b.ty.size)
        return self.bytes_equal(a.v, b.v, n, stop_at_nul=True)

    def bytes_equal(self, pa: ir.Value, pb: ir.Value, n: int, stop_at_nul: bool) -> ir.Value:
        result = self.alloca(8)
        self.store64(result, 0, const(1))
        done = self.b.append_basic_block("streq.done")
        for i in range(n):
            ca = self.load_int(pa, i, 1, False)
            cb = self.load_int(pb, i, 1, False)
            differ = self.b.icmp_unsigned("!=", ca, cb)
            diff_bb = self.b.append_basic_block("streq.diff")
            next_bb = self.b.append_basic_block("streq.next")
            self.b.cbranch(differ, diff_bb, next_bb)
            self.b.position_at_end(diff_bb)
            self.store64(result, 0, const(0))
            self.b.branch(done)
            self.b.position_at_end(next_bb)
            if stop_at_nul:
                nul_bb = self.b.append_basic_block("streq.cont")
                self.b.cbranch(self.b.icmp_unsigned("==", ca, const(0)), done, nul_bb)
                self.b.position_at_end(nul_bb)
        self.b.branch(done)
        self.b.position_at_end(done)
        return self.b.icmp_unsigned("!=", self.load_int(result, 0, 8, False), const(0))


def now_ns() -> int:
    return time.monotonic_ns()
