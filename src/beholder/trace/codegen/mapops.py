"""Map reads and writes: keys, plain values, ++/+=, and the aggregates (count ... lhist)."""

from __future__ import annotations

from llvmlite import ir

from beholder.trace import ast

from . import helpers as h
from .core import I8P, CodegenError, V, const
from .expr import ExprEmitter
from .plan import BUCKETED_KINDS, PERCPU_KINDS, MapPlan
from .types import INT64, UINT64, CType, layout, unify

AGGREGATES = ("count", "sum", "min", "max", "avg", "stats", "hist", "lhist")


class MapEmitter(ExprEmitter):
    dry: bool

    # -- plans (learned in the dry run, fixed in the real one) --

    def map_plan(self, node: ast.Map, key_types: list[CType]) -> MapPlan:
        plan = self.plan.maps.get(node.display)
        if plan is None:
            if not self.dry:
                raise CodegenError(f"internal: map {node.display} has no plan", node)
            plan = self.plan.maps[node.display] = MapPlan(node.display, list(key_types),
                                                          index=len(self.plan.maps))
            return plan
        if self.dry:
            if len(plan.keys) != len(key_types):
                raise CodegenError(f"{node.display} is used with {len(key_types)} keys here and "
                                   f"{len(plan.keys)} elsewhere", node)
            merged = []
            for old, new in zip(plan.keys, key_types, strict=True):
                u = unify(old, new)
                if u is None:
                    raise CodegenError(f"{node.display}: key of type {new} here, {old} elsewhere", node)
                merged.append(u)
            plan.keys = merged
        return plan

    def set_kind(self, plan: MapPlan, kind: str, value: CType | None, node: ast.Node) -> None:
        if not self.dry:
            return
        if plan.kind in PERCPU_KINDS or kind in PERCPU_KINDS:
            if plan.value is not None or (plan.kind != kind and plan.kind != "int") or (
                    plan.kind == "int" and plan.value is not None):
                if plan.kind != kind:
                    raise CodegenError(f"type mismatch for {plan.name}: {kind}() here, "
                                       f"{plan.kind} elsewhere", node)
            plan.kind, plan.value = kind, None
            return
        if plan.value is None:
            plan.kind, plan.value = kind, value
            return
        assert value is not None
        u = unify(plan.value, value)
        if u is None:
            raise CodegenError(f"type mismatch for {plan.name}: {value} here, {plan.value} elsewhere", node)
        plan.value = u
        plan.kind = u.kind if u.kind in ("str", "tuple") else "int" if u.kind == "int" else u.kind

    def key(self, node: ast.Map, bucket: ir.Value | None = None) -> tuple[MapPlan, ir.Value]:
        vals = [self.expr(k) for k in node.keys]
        plan = self.map_plan(node, [v.ty for v in vals])
        p = self.alloca(plan.key_size)
        self.zero(p, plan.key_size)
        if vals:
            offsets, _ = layout(plan.keys)
            for v, off, t in zip(vals, offsets, plan.keys, strict=True):
                self.store_value(p, off, v, t)
        if bucket is not None:
            self.store64(p, plan.user_key_size, bucket)
        return plan, p

    def lookup(self, plan: MapPlan, key: ir.Value) -> ir.Value:
        return self.b.inttoptr(self.call(h.MAP_LOOKUP_ELEM, self.map_of(plan), key), I8P)

    def update(self, plan: MapPlan, key: ir.Value, value: ir.Value) -> None:
        self.call(h.MAP_UPDATE_ELEM, self.map_of(plan), key, value, const(h.BPF_ANY))

    # -- reads --

    def read_map(self, node: ast.Map) -> V:
        plan, key = self.key(node)
        if plan.kind in BUCKETED_KINDS:
            raise CodegenError(f"{node.display} holds {plan.kind}(); it can be printed, not read", node)
        vty = plan.value if plan.value is not None else INT64
        if plan.kind in PERCPU_KINDS:
            vty = INT64
        out = self.alloca(max(8, vty.size))
        self.zero(out, max(8, vty.size))
        found = self.lookup(plan, key)
        with self.b.if_then(self.b.not_(self.is_null(found))):
            if plan.kind == "min":  # stored as 0xffffffff - v, so that max() finds the min
                raw = self.load_int(found, 0, 8, False)
                self.store64(out, 0, self.b.sub(const(0xFFFFFFFF), raw))
            else:
                self.copy(out, found, max(8, vty.size))
        if vty.scalar or vty.kind == "int":
            return V(vty, self.load_int(out, 0, 8, False))
        return V(vty, out)

    # -- writes --

    def assign_map(self, node: ast.AssignMap) -> None:
        target = node.map
        value = node.value
        if isinstance(value, ast.Call) and value.name in AGGREGATES and node.op is None:
            self.aggregate(target, value)
            return
        if node.op is not None:
            current = self.read_map(target)
            rhs = self.expr(value)
            combined = self.binop(node.op, current, rhs, node)
            self.store_map(target, combined, node)
            return
        self.store_map(target, self.expr(value), node)

    def store_map(self, target: ast.Map, val: V, node: ast.Node) -> None:
        plan, key = self.key(target)
        self.set_kind(plan, val.ty.kind if val.ty.kind in ("str", "tuple") else
                      ("int" if val.ty.kind == "int" else val.ty.kind), val.ty, node)
        vty = plan.value or val.ty
        buf = self.alloca(plan.value_size if not self.dry else max(8, val.ty.size))
        self.zero(buf, max(8, vty.size))
        self.store_value(buf, 0, val, vty)
        self.update(plan, key, buf)

    def incdec(self, node: ast.Unop) -> V:
        delta = const(1 if node.op == "++" else -1)
        target = node.operand
        if isinstance(target, ast.Map):
            old = self.read_map(target)
            new = V(old.ty, self.b.add(self.as_int(old), delta))
            self.store_map(target, new, node)
        elif isinstance(target, ast.Variable):
            var = self.variables.get(target.name)
            if var is None:
                var = self.variables[target.name] = V(INT64, self.alloca(8))
                self.store64(var.v, 0, const(0))
            old = V(var.ty, self.load_int(var.v, 0, 8, False))
            new = V(var.ty, self.b.add(old.v, delta))
            self.store64(var.v, 0, new.v)
        else:
            raise CodegenError(f"{node.op} needs a map or a variable", node)
        return new if not node.postfix else old

    def aggregate(self, target: ast.Map, call: ast.Call) -> None:
        fn, args = call.name, [self.expr(a) for a in call.args]
        bucket: ir.Value | None = None
        if fn in ("hist", "lhist"):
            if fn == "lhist":
                lo, hi, step = self._lhist_consts(call)
                bucket = self.lhist_index(self.as_int(args[0]), lo, hi, step)
            else:
                bucket = self.hist_index(self.as_int(args[0]))
        if fn in ("avg", "stats"):
            for slot, inc in ((0, const(1)), (1, self.as_int(args[0]))):
                plan, key = self.key(target, const(slot))
                self.set_kind(plan, fn, None, call)
                self.percpu_add(plan, key, inc)
            return
        plan, key = self.key(target, bucket)
        self.set_kind(plan, fn, None, call)
        if fn == "lhist" and self.dry:
            plan.lhist_args = self._lhist_consts(call)
        if fn in ("count", "hist", "lhist"):
            self.percpu_add(plan, key, const(1))
        elif fn == "sum":
            self.percpu_add(plan, key, self.as_int(args[0]))
        elif fn in ("min", "max"):
            v = self.as_int(args[0])
            if fn == "min":
                v = self.b.sub(const(0xFFFFFFFF), v)
            self.percpu_max(plan, key, v)

    def _lhist_consts(self, call: ast.Call) -> tuple[int, int, int]:
        vals = []
        for a in call.args[1:4]:
            if not isinstance(a, ast.Integer):
                raise CodegenError("lhist() min, max and step must be integer literals", a)
            vals.append(a.value)
        lo, hi, step = vals
        if step <= 0 or hi <= lo:
            raise CodegenError("lhist() needs min < max and step > 0", call)
        if (hi - lo) // step > 1000:
            raise CodegenError("lhist() would have more than 1000 buckets", call)
        return lo, hi, step

    def percpu_add(self, plan: MapPlan, key: ir.Value, inc: ir.Value) -> None:
        found = self.lookup(plan, key)
        with self.b.if_else(self.is_null(found)) as (absent, present):
            with absent:
                buf = self.alloca(8)
                self.store64(buf, 0, inc)
                self.update(plan, key, buf)
            with present:
                self.store64(found, 0, self.b.add(self.load_int(found, 0, 8, False), inc))

    def percpu_max(self, plan: MapPlan, key: ir.Value, v: ir.Value) -> None:
        found = self.lookup(plan, key)
        with self.b.if_else(self.is_null(found)) as (absent, present):
            with absent:
                buf = self.alloca(8)
                self.store64(buf, 0, v)
                self.update(plan, key, buf)
            with present:
                old = self.load_int(found, 0, 8, False)
                with self.b.if_then(self.b.icmp_signed(">", v, old)):
                    self.store64(found, 0, v)

    def hist_index(self, v: ir.Value) -> ir.Value:
        """bpftrace 0.17's log2 bucket: 0 for v<0, 1 for 0, else 2+log2(v), capped at 33."""
        b = self.b
        n = v
        result = const(2)
        for i in range(4, -1, -1):
            width = 1 << i
            big = b.icmp_signed(">=", n, const(1 << width))
            shift = b.select(big, const(width), const(0))
            n = b.lshr(n, shift)
            result = b.add(result, shift)
        result = b.select(b.icmp_signed("==", v, const(0)), const(1), result)
        return b.select(b.icmp_signed("<", v, const(0)), const(0), result)

    def lhist_index(self, v: ir.Value, lo: int, hi: int, step: int) -> ir.Value:
        b = self.b
        inside = b.add(b.udiv(b.sub(v, const(lo)), const(step)), const(1))
        idx = b.select(b.icmp_signed(">", v, const(hi)), const(1 + (hi - lo) // step), inside)
        return b.select(b.icmp_signed("<", v, const(lo)), const(0), idx)

    def delete(self, node: ast.Map) -> None:
        plan, key = self.key(node)
        if plan.kind in BUCKETED_KINDS:
            raise CodegenError(f"delete() of one {plan.kind}() entry is not supported; use clear()", node)
        self.call(h.MAP_DELETE_ELEM, self.map_of(plan), key)


__all__ = ["MapEmitter", "UINT64"]
