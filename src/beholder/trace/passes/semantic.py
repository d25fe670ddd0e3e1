"""Kernel-free semantic checks: statements, scopes and map assignments, over typed expressions."""

from __future__ import annotations

from beholder.trace import ast
from beholder.trace import typesys as ty
from beholder.trace.passes import PassContext
from beholder.trace.passes.expr_types import ExprTyper, ProbeScope, cast_type
from beholder.trace.passes.map_types import MapTypes
from beholder.trace.passes.tp_args import ArgsResolver


class Checker(ExprTyper):
    """One walk over the program; collects every error instead of stopping at the first."""

    def __init__(self, ctx: PassContext) -> None:
        self.ctx = ctx
        self.diags = ctx.diagnostics
        self.maps = MapTypes(ctx.diagnostics)
        self.map_uses: list[ast.Map] = []
        self.args = ArgsResolver(ctx)
        self.positional: list[str] = [str(p) for p in ctx.options.get("positional", ())]
        self.unsafe = bool(ctx.options.get("unsafe", False))
        self.scope: ProbeScope | None = None
        self.unresolved: list[ast.Identifier] = []

    # --- statements ------------------------------------------------------

    def program(self, prog: ast.Program) -> None:
        self.config(prog.config or [])
        for probe in prog.probes:
            specs = [p.spec for p in probe.attach_points]
            providers = frozenset(s.provider for s in specs if s is not None)
            self.scope = ProbeScope(probe, providers)
            if probe.predicate is not None:
                self.expr(probe.predicate)
            self.block(probe.block)
        self.ctx.results["maps"] = self.maps.finish(self.map_uses)
        self.ctx.results["positional"] = self.positional
        # Candidate enum constants for the BTF-backed pass to resolve.
        self.ctx.results["unresolved_identifiers"] = self.unresolved

    def config(self, entries: list[ast.ConfigEntry]) -> None:
        """Record config = { key = value } as plain values for the runtime to apply."""
        config: dict[str, int | str] = {}
        seen: set[str] = set()
        for entry in entries:
            value = entry.value
            if entry.key in seen:
                self.diags.error(f"config key '{entry.key}' is set twice", entry.loc)
            seen.add(entry.key)
            if isinstance(value, ast.Integer | ast.String):
                config[entry.key] = value.value
            elif isinstance(value, ast.Identifier):
                config[entry.key] = value.name  # stack_mode = perf
            else:
                self.diags.error(f"config value for '{entry.key}' must be a literal", value.loc)
        self.ctx.results["config"] = config

    def block(self, block: ast.Block) -> None:
        for stmt in block.stmts:
            self.stmt(stmt)

    def stmt(self, stmt: ast.Stmt) -> None:
        scope = self.scope
        assert scope is not None
        if isinstance(stmt, ast.ExprStmt):
            self.expr(stmt.expr)
        elif isinstance(stmt, ast.AssignMap):
            self.assign_map(stmt)
        elif isinstance(stmt, ast.AssignVar):
            self.assign_var(stmt.var, stmt.value, stmt.op)
        elif isinstance(stmt, ast.VarDecl):
            declared = ty.UNKNOWN if stmt.type is None else cast_type(stmt.type)
            if stmt.value is not None:
                declared = self.expr(stmt.value) if stmt.type is None else declared
            scope.vars[stmt.var.name] = declared
            stmt.var.ty = declared
        elif isinstance(stmt, ast.If):
            self.expr(stmt.cond)
            self.block(stmt.then)
            if stmt.other is not None:
                self.block(stmt.other)
        elif isinstance(stmt, ast.While):
            self.expr(stmt.cond)
            scope.loop_depth += 1
            self.block(stmt.body)
            scope.loop_depth -= 1
        elif isinstance(stmt, ast.For):
            self.for_stmt(stmt, scope)
        elif isinstance(stmt, ast.Unroll):
            count = stmt.count
            self.expr(count)
            if not isinstance(count, ast.Integer) or not 1 <= count.value <= 100:
                self.diags.error("unroll count must be an integer literal from 1 to 100", count.loc)
            self.block(stmt.body)
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self.expr(stmt.value)
        elif isinstance(stmt, ast.Jump):
            if scope.loop_depth == 0:
                self.diags.error(f"'{stmt.kind}' outside of a loop", stmt.loc)
        elif isinstance(stmt, ast.Block):
            self.block(stmt)

    def for_stmt(self, stmt: ast.For, scope: ProbeScope) -> None:
        if stmt.end is not None:
            for bound in (stmt.iterable, stmt.end):
                self.need_numeric(self.expr(bound), bound, "..")
            var_type = ty.INT
        elif isinstance(stmt.iterable, ast.Map) and not stmt.iterable.keys:
            # Each element is a (key, value) tuple; a multi-key map's key is itself a tuple.
            self.map_uses.append(stmt.iterable)
            value = stmt.iterable.ty = self.maps.read(stmt.iterable, None)
            info = self.maps.maps[stmt.iterable.display]
            keys = info.keys or ()
            key = keys[0] if len(keys) == 1 else ty.tuple_of(*keys) if keys else ty.UNKNOWN
            var_type = ty.tuple_of(key, value)
        else:
            self.diags.error(
                "for loops iterate over a whole @map or a range a..b", stmt.iterable.loc
            )
            var_type = ty.UNKNOWN
        previous = scope.vars.get(stmt.var.name)
        scope.vars[stmt.var.name] = stmt.var.ty = var_type
        scope.loop_depth += 1
        self.block(stmt.body)
        scope.loop_depth -= 1
        # The loop variable is scoped to the loop body.
        if previous is None:
            scope.vars.pop(stmt.var.name, None)
        else:
            scope.vars[stmt.var.name] = previous

    def assign_map(self, stmt: ast.AssignMap) -> None:
        keys = tuple(self.expr(k) for k in stmt.map.keys)
        value = self.expr(stmt.value, map_value=stmt.op is None)
        if stmt.op is not None:
            self.need_numeric(value, stmt.value, f"{stmt.op}=")
            value = ty.INT
        elif value.kind is ty.Kind.NONE:
            self.diags.error("this expression has no value to assign", stmt.value.loc)
            value = ty.UNKNOWN
        stmt.map.ty = self.maps.assign(stmt.map, keys, value).value

    def assign_var(self, var: ast.Variable, value_expr: ast.Expr, op: str | None) -> None:
        scope = self.scope
        assert scope is not None
        value = self.expr(value_expr)
        old = scope.vars.get(var.name)
        if op is not None:
            if old is None:
                self.diags.error(f"undefined variable ${var.name}", var.loc)
            self.need_numeric(value, value_expr, f"{op}=")
            value = ty.INT
        if value.kind is ty.Kind.NONE:
            self.diags.error("this expression has no value to assign", value_expr.loc)
            value = ty.UNKNOWN
        if old is not None and not ty.compatible(old, value):
            self.diags.error(
                f"type mismatch for ${var.name}: assigning {value} but ${var.name} holds {old}",
                var.loc,
            )
            return
        scope.vars[var.name] = value if old is None else ty.merge(old, value)
        var.ty = scope.vars[var.name]


def run(ctx: PassContext) -> None:
    Checker(ctx).program(ctx.program)
