"""Statements and function calls: control flow, variables, printf and the other async actions."""

from __future__ import annotations

import os

from llvmlite import ir

from beholder.trace import ast

from . import helpers as h
from .core import CodegenError, V, const
from .mapops import AGGREGATES, MapEmitter
from .plan import Action
from .types import INET, INT64, KSYM, STRFTIME, UINT64, USYM, CType, layout, raw_bytes, string


class StmtEmitter(MapEmitter):
    def block(self, block: ast.Block) -> None:
        for stmt in block.stmts:
            if self.b.block.is_terminated:
                return  # code after return/exit/break is unreachable
            self.stmt(stmt)

    def stmt(self, node: ast.Stmt) -> None:
        method = getattr(self, f"_s_{type(node).__name__}", None)
        if method is None:
            raise CodegenError(f"{type(node).__name__} statements are not supported yet", node)
        method(node)

    def _s_Block(self, node: ast.Block) -> None:
        self.block(node)

    def _s_ExprStmt(self, node: ast.ExprStmt) -> None:
        if isinstance(node.expr, ast.Call) and node.expr.name in AGGREGATES:
            raise CodegenError(f"{node.expr.name}() must be assigned to a map, as in "
                               f"@x = {node.expr.name}(...)", node.expr)
        self.expr(node.expr)

    def _s_AssignMap(self, node: ast.AssignMap) -> None:
        self.assign_map(node)

    def _s_AssignVar(self, node: ast.AssignVar) -> None:
        if node.op is not None:
            rhs = ast.Binop(node.op, node.var, node.value, loc=node.loc)
            val = self.expr(rhs)
        else:
            val = self.expr(node.value)
        self.set_var(node.var.name, val, node)

    def _s_VarDecl(self, node: ast.VarDecl) -> None:
        if node.value is not None:
            self.set_var(node.var.name, self.expr(node.value), node)

    def set_var(self, name: str, val: V, node: ast.Node) -> None:
        var = self.variables.get(name)
        if var is None:
            size = max(8, val.ty.size)
            var = self.variables[name] = V(val.ty, self.alloca(size))
            self.zero(var.v, size)
        elif (var.ty.scalar or var.ty.kind == "int") != (val.ty.scalar or val.ty.kind == "int"):
            raise CodegenError(f"${name} holds {var.ty}; cannot assign {val.ty}", node)
        self.store_value(var.v, 0, val, var.ty)

    def _s_If(self, node: ast.If) -> None:
        cond = self.truthy(self.expr(node.cond))
        if node.other is None:
            with self.b.if_then(cond):
                self.block(node.then)
            return
        with self.b.if_else(cond) as (then, other):
            with then:
                self.block(node.then)
            with other:
                self.block(node.other)

    def _s_While(self, node: ast.While) -> None:
        head = self.b.append_basic_block("while.cond")
        body = self.b.append_basic_block("while.body")
        done = self.b.append_basic_block("while.done")
        self.b.branch(head)
        self.b.position_at_end(head)
        self.b.cbranch(self.truthy(self.expr(node.cond)), body, done)
        self.b.position_at_end(body)
        self._loops.append((head, done))
        self.block(node.body)
        self._loops.pop()
        if not self.b.block.is_terminated:
            self.b.branch(head)
        self.b.position_at_end(done)

    def _s_Unroll(self, node: ast.Unroll) -> None:
        if not isinstance(node.count, ast.Integer) or not 1 <= node.count.value <= 100:
            raise CodegenError("unroll count must be an integer literal from 1 to 100", node.count)
        for _ in range(node.count.value):
            self.block(node.body)

    def _s_Jump(self, node: ast.Jump) -> None:
        if not self._loops:
            raise CodegenError(f"'{node.kind}' outside a loop", node)
        head, done = self._loops[-1]
        self.b.branch(done if node.kind == "break" else head)
        self.b.position_at_end(self.b.append_basic_block("after.jump"))

    def _s_Return(self, node: ast.Return) -> None:
        self.b.ret(ir.Constant(ir.IntType(32), 0))
        self.b.position_at_end(self.b.append_basic_block("after.return"))

    # -- calls --

    def call_function(self, node: ast.Call) -> V:
        method = getattr(self, f"_f_{node.name}", None)
        if method is None:
            if node.name in AGGREGATES:
                raise CodegenError(f"{node.name}() must be assigned to a map", node)
            raise CodegenError(f"function {node.name}() is not supported yet", node)
        return method(node)

    def emit_action(self, kind: str, fmt: str, values: list[V], **extra: object) -> int:
        action = Action(kind, fmt, [v.ty for v in values], dict(extra))
        aid = self.plan.action(action)
        offsets, size = layout(action.args)
        rec = self.ringbuf_record(8 + size)
        with self.b.if_then(self.b.not_(self.is_null(rec))):
            self.store64(rec, 0, const(aid))
            for v, off in zip(values, offsets, strict=True):
                self.store_value(rec, 8 + off, v, v.ty)
            self.submit(rec)
        return aid

    def _fmt_args(self, node: ast.Call, name: str) -> tuple[str, list[V]]:
        if not node.args or not isinstance(node.args[0], ast.String):
            raise CodegenError(f"{name}() needs a format string literal first", node)
        return node.args[0].value, [self.expr(a) for a in node.args[1:]]

    def _f_printf(self, node: ast.Call) -> V:
        fmt, vals = self._fmt_args(node, "printf")
        self.emit_action("printf", fmt, vals)
        return V(INT64, const(0))

    def _f_system(self, node: ast.Call) -> V:
        if not self.options.get("unsafe"):
            raise CodegenError("system() is unsafe; run with --unsafe", node)
        fmt, vals = self._fmt_args(node, "system")
        self.emit_action("system", fmt, vals)
        return V(INT64, const(0))

    def _f_cat(self, node: ast.Call) -> V:
        fmt, vals = self._fmt_args(node, "cat")
        self.emit_action("cat", fmt, vals)
        return V(INT64, const(0))

    def _f_time(self, node: ast.Call) -> V:
        fmt = "%H:%M:%S\n"
        if node.args:
            if not isinstance(node.args[0], ast.String):
                raise CodegenError("time() takes a format string literal", node)
            fmt = node.args[0].value
        self.emit_action("time", fmt, [])
        return V(INT64, const(0))

    def _f_exit(self, node: ast.Call) -> V:
        code = self.expr(node.args[0]) if node.args else V(INT64, const(0))
        self.emit_action("exit", "", [code])
        self.b.ret(ir.Constant(ir.IntType(32), 0))  # nothing after exit() runs, as in bpftrace
        self.b.position_at_end(self.b.append_basic_block("after.exit"))
        return V(INT64, const(0))

    def _map_arg(self, node: ast.Call, i: int = 0) -> ast.Map:
        arg = node.args[i] if len(node.args) > i else None
        if not isinstance(arg, ast.Map):
            raise CodegenError(f"{node.name}() expects a map such as @x", node)
        return arg

    def _map_action(self, kind: str, node: ast.Call, **extra: int) -> V:
        m = self._map_arg(node)
        if m.keys:
            raise CodegenError(f"{node.name}() takes a whole map (@x), not one entry", node)
        plan = self.map_plan(m, self.plan.maps[m.display].keys if m.display in self.plan.maps else [])
        self.emit_action(kind, "", [], map=plan.name, **extra)
        return V(INT64, const(0))

    def _f_print(self, node: ast.Call) -> V:
        if node.args and isinstance(node.args[0], ast.Map) and not node.args[0].keys:
            consts = []
            for a in node.args[1:3]:
                if not isinstance(a, ast.Integer):
                    raise CodegenError("print(@map, top, div): top and div must be integer literals", a)
                consts.append(a.value)
            top, div = (consts + [0, 0])[:2]
            return self._map_action("print_map", node, top=top, div=div)
        self.emit_action("print_value", "", [self.expr(node.args[0])])
        return V(INT64, const(0))

    def _f_clear(self, node: ast.Call) -> V:
        return self._map_action("clear", node)

    def _f_zero(self, node: ast.Call) -> V:
        return self._map_action("zero", node)

    def _f_delete(self, node: ast.Call) -> V:
        m = self._map_arg(node)
        if len(node.args) == 2:  # delete(@m, key): the newer spelling
            m = ast.Map(m.name, (node.args[1],), loc=m.loc)
        self.delete(m)
        return V(INT64, const(0))

    def _f_has_key(self, node: ast.Call) -> V:
        m = self._map_arg(node)
        plan, key = self.key(ast.Map(m.name, (node.args[1],), loc=m.loc))
        return V(INT64, self.bool64(self.b.not_(self.is_null(self.lookup(plan, key)))))

    def _f_str(self, node: ast.Call) -> V:
        val = self.expr(node.args[0])
        if val.ty.kind == "str":
            return val
        size = self.strlen
        if len(node.args) == 2:
            if not isinstance(node.args[1], ast.Integer) or node.args[1].value <= 0:
                raise CodegenError("str(ptr, n): n must be a positive integer literal", node)
            size = min(size, node.args[1].value + 1)
        p = self.alloca(size)
        self.zero(p, size)
        self.call(h.PROBE_READ_STR, p, const(size), self.as_int(val))
        return V(string(size), p)

    def _f_buf(self, node: ast.Call) -> V:
        n = 64
        if len(node.args) == 2 and isinstance(node.args[1], ast.Integer):
            n = min(64, node.args[1].value)
        val = self.expr(node.args[0])
        p = self.alloca(n)
        self.zero(p, n)
        self.call(h.PROBE_READ, p, const(n), self.as_int(val))
        return V(raw_bytes(n), p)

    def _f_ntop(self, node: ast.Call) -> V:
        args = [self.expr(a) for a in node.args]
        addr = args[-1]
        p = self.alloca(INET.size)
        self.zero(p, INET.size)
        if addr.ty.kind == "bytes" and addr.ty.size in (4, 16):
            family = 2 if addr.ty.size == 4 else 10
            self.copy(self.gep(p, 8), addr.v, addr.ty.size)
        elif addr.ty.kind == "int" or addr.ty.scalar:
            family = 2
            word = self.b.trunc(self.as_int(addr), ir.IntType(32))
            self.b.store(word, self.b.bitcast(self.gep(p, 8), ir.IntType(32).as_pointer()))
        else:
            raise CodegenError(f"ntop() takes a 4- or 16-byte address or an integer, not {addr.ty}", node)
        fam = self.as_int(args[0]) if len(args) == 2 else const(family)
        self.store64(p, 0, fam)
        return V(INET, p)

    def _f_ksym(self, node: ast.Call) -> V:
        return V(KSYM, self.as_int(self.expr(node.args[0])))

    def _f_usym(self, node: ast.Call) -> V:
        p = self.alloca(16)
        self.store64(p, 0, self.as_int(self.expr(node.args[0])))
        self.store64(p, 8, self.b.lshr(self.call(h.GET_CURRENT_PID_TGID), const(32)))
        return V(USYM, p)

    def _f_kstack(self, node: ast.Call) -> V:
        return self.stack(False)

    def _f_ustack(self, node: ast.Call) -> V:
        return self.stack(True)

    def _f_cgroupid(self, node: ast.Call) -> V:
        if not node.args or not isinstance(node.args[0], ast.String):
            raise CodegenError("cgroupid() takes a cgroup path literal", node)
        try:
            return V(UINT64, const(os.stat(node.args[0].value).st_ino))
        except OSError as e:
            raise CodegenError(f"cgroupid(\"{node.args[0].value}\"): {e.strerror}", node) from e

    def _f_strftime(self, node: ast.Call) -> V:
        if not node.args or not isinstance(node.args[0], ast.String):
            raise CodegenError("strftime() needs a format string literal first", node)
        self.plan.strftime_formats.append(node.args[0].value)
        p = self.alloca(16)
        self.store64(p, 0, const(len(self.plan.strftime_formats) - 1))
        self.store64(p, 8, self.as_int(self.expr(node.args[1])))
        return V(STRFTIME, p)

    def _f_strncmp(self, node: ast.Call) -> V:
        a, b = self.expr(node.args[0]), self.expr(node.args[1])
        if not isinstance(node.args[2], ast.Integer):
            raise CodegenError("strncmp(a, b, n): n must be an integer literal", node)
        n = min(node.args[2].value, a.ty.size, b.ty.size)
        eq = self.bytes_equal(a.v, b.v, n, stop_at_nul=True)
        return V(INT64, self.bool64(self.b.not_(eq)))  # 0 when equal, as in C

    def _f_strcontains(self, node: ast.Call) -> V:
        hay = self.expr(node.args[0])
        if not isinstance(node.args[1], ast.String):
            raise CodegenError("strcontains(s, needle): the needle must be a string literal", node)
        needle = node.args[1].value.encode()
        if hay.ty.kind != "str":
            raise CodegenError(f"strcontains() needs a string, not {hay.ty}", node)
        result = self.alloca(8)
        self.store64(result, 0, const(0 if needle else 1))
        if needle and len(needle) < hay.ty.size:
            done = self.b.append_basic_block("strc.done")
            for start in range(hay.ty.size - len(needle)):
                # a NUL before the window means the string ended: stop looking
                end_bb = self.b.append_basic_block("strc.check")
                self.b.cbranch(self.b.icmp_unsigned("==", self.load_int(hay.v, start, 1, False),
                                                    const(0)), done, end_bb)
                self.b.position_at_end(end_bb)
                match = ir.Constant(ir.IntType(1), 1)
                for j, ch in enumerate(needle):
                    c = self.load_int(hay.v, start + j, 1, False)
                    match = self.b.and_(match, self.b.icmp_unsigned("==", c, const(ch)))
                with self.b.if_then(match):
                    self.store64(result, 0, const(1))
                    self.b.branch(done)
                    self.b.position_at_end(self.b.append_basic_block("strc.dead"))
            self.b.branch(done)
            self.b.position_at_end(done)
        return V(INT64, self.load_int(result, 0, 8, False))

    def _f_signal(self, node: ast.Call) -> V:
        if not self.options.get("unsafe"):
            raise CodegenError("signal() is unsafe; run with --unsafe", node)
        arg = node.args[0]
        if isinstance(arg, ast.String):
            import signal as _signal

            name = arg.value.upper()
            name = name if name.startswith("SIG") else "SIG" + name
            try:
                num = int(getattr(_signal, name))
            except AttributeError:
                raise CodegenError(f"unknown signal {arg.value}", arg) from None
            sig = const(num)
        else:
            sig = self.as_int(self.expr(arg))
        self.call(h.SEND_SIGNAL, sig)
        return V(INT64, const(0))

    JOIN_ARGS, JOIN_ARGLEN = 16, 64

    def _f_join(self, node: ast.Call) -> V:
        """join(argv[, delim]): read up to 16 strings of a char ** straight into the record."""
        delim = " "
        if len(node.args) == 2:
            if not isinstance(node.args[1], ast.String):
                raise CodegenError("join(array, delim): delim must be a string literal", node)
            delim = node.args[1].value
        argv = self.as_int(self.expr(node.args[0]))
        n, size = self.JOIN_ARGS, self.JOIN_ARGLEN
        aid = self.plan.action(Action("join", delim, [string(size)] * n))
        rec = self.ringbuf_record(8 + n * size)
        with self.b.if_then(self.b.not_(self.is_null(rec))):
            self.store64(rec, 0, const(aid))
            for i in range(n):  # empty slots; a full memset would become a libcall BPF lacks
                self.b.store(ir.Constant(ir.IntType(8), 0), self.gep(rec, 8 + i * size))
            slot = self.alloca(8)
            done = self.b.append_basic_block("join.done")
            for i in range(n):
                self.store64(slot, 0, const(0))
                self.call(h.PROBE_READ, slot, const(8), self.b.add(argv, const(8 * i)))
                ptr = self.load_int(slot, 0, 8, False)
                more = self.b.append_basic_block("join.arg")
                self.b.cbranch(self.b.icmp_unsigned("==", ptr, const(0)), done, more)
                self.b.position_at_end(more)
                self.call(h.PROBE_READ_STR, self.gep(rec, 8 + i * size), const(size), ptr)
            self.b.branch(done)
            self.b.position_at_end(done)
            self.submit(rec)
        return V(INT64, const(0))

    def _f_len(self, node: ast.Call) -> V:
        raise CodegenError("len() is not supported yet", node)


__all__ = ["StmtEmitter", "CType"]
