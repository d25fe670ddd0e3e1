"""Expression typing for the semantic pass: builtins, operators, fields, positional parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

from beholder.trace import ast
from beholder.trace import typesys as ty
from beholder.trace.diagnostics import Diagnostics
from beholder.trace.functions import BUILTIN_TYPES, suggest
from beholder.trace.passes.calls import check_call
from beholder.trace.passes.map_types import MapTypes
from beholder.trace.passes.tp_args import ArgsResolver
from beholder.trace.typesys import SType

# Probe kinds with no argument context at all.
NO_ARGS_PROVIDERS = frozenset(
    {"begin", "end", "profile", "interval", "software", "hardware", "watchpoint", "asyncwatchpoint"}
)
RETVAL_PROVIDERS = frozenset({"kretprobe", "uretprobe", "fexit"})
_INT_CASTS = frozenset(f"{s}int{b}" for s in ("", "u") for b in (8, 16, 32, 64))


@dataclass
class ProbeScope:
    probe: ast.Probe
    providers: frozenset[str]
    vars: dict[str, SType] = field(default_factory=dict)
    loop_depth: int = 0


class ExprTyper:
    """Infers and records (in Expr.ty) each expression's type, reporting misuse on the way."""

    diags: Diagnostics
    maps: MapTypes
    map_uses: list[ast.Map]
    args: ArgsResolver
    positional: list[str]
    unsafe: bool
    scope: ProbeScope | None
    unresolved: list[ast.Identifier]

    def expr(self, e: ast.Expr, map_value: bool = False) -> SType:
        t = self._expr(e, map_value)
        e.ty = t
        return t

    def _expr(self, e: ast.Expr, map_value: bool) -> SType:
        scope = self.scope
        assert scope is not None
        if isinstance(e, ast.Integer | ast.Sizeof | ast.Offsetof | ast.ParamCount):
            return ty.INT
        if isinstance(e, ast.String):
            return ty.STRING
        if isinstance(e, ast.Builtin):
            return self.builtin(e)
        if isinstance(e, ast.Identifier):
            return self.identifier(e)
        if isinstance(e, ast.PositionalParam):
            return self.positional_param(e)
        if isinstance(e, ast.Variable):
            if e.name not in scope.vars:
                self.diags.error(f"undefined variable ${e.name}", e.loc)
                return ty.UNKNOWN
            return scope.vars[e.name]
        if isinstance(e, ast.Map):
            self.map_uses.append(e)
            return self.maps.read(e, tuple(self.expr(k) for k in e.keys))
        if isinstance(e, ast.Call):
            return check_call(self, e, map_value)
        if isinstance(e, ast.Binop):
            return self.binop(e)
        if isinstance(e, ast.Unop):
            return self.unop(e)
        if isinstance(e, ast.Ternary):
            self.expr(e.cond)
            a, b = self.expr(e.then), self.expr(e.other)
            if not ty.compatible(a, b):
                self.diags.error(f"conditional branches have different types: {a} and {b}", e.loc)
            return ty.merge(a, b)
        if isinstance(e, ast.FieldAccess):
            return self.field_access(e)
        if isinstance(e, ast.ArrayAccess):
            self.expr(e.expr)
            self.need_numeric(self.expr(e.index), e.index, "[]")
            return ty.UNKNOWN
        if isinstance(e, ast.Cast):
            self.expr(e.expr)
            return cast_type(e.type)
        if isinstance(e, ast.Tuple):
            return ty.tuple_of(*(self.expr(x) for x in e.elems))
        return ty.UNKNOWN

    def builtin(self, e: ast.Builtin) -> SType:
        scope = self.scope
        assert scope is not None
        known = scope.providers
        if e.name == "args" and known and known <= NO_ARGS_PROVIDERS:
            kinds = ", ".join(sorted(known))
            self.diags.error(f"'args' is not available in {kinds} probes", e.loc)
        if e.name == "retval" and known and not known <= RETVAL_PROVIDERS:
            self.diags.error(
                "'retval' is only available in kretprobe, uretprobe and fexit probes", e.loc
            )
        return BUILTIN_TYPES.get(e.name, ty.UNKNOWN)

    def identifier(self, e: ast.Identifier) -> SType:
        """A bare name outside a function's argument list: an enum constant or a typo."""
        if e.name.isupper() or e.name[0].isupper():
            # Probably an enum constant (TCP_ESTABLISHED); only BTF can tell.
            self.unresolved.append(e)
            return ty.UNKNOWN
        hint = suggest(e.name, BUILTIN_TYPES)
        self.diags.error(f"unknown identifier '{e.name}'{hint}", e.loc)
        return ty.UNKNOWN

    def positional_param(self, e: ast.PositionalParam) -> SType:
        if e.index == 0:
            self.diags.error("positional parameters start at $1", e.loc)
            return ty.INT
        if e.index > len(self.positional):
            return ty.UNKNOWN  # unset: 0 next to numbers, "" next to strings (codegen decides)
        value = self.positional[e.index - 1]
        try:
            int(value, 0)
        except ValueError:
            return ty.STRING
        return ty.INT

    def binop(self, e: ast.Binop) -> SType:
        lt, rt = self.expr(e.left), self.expr(e.right)
        if e.op in ("==", "!=") and ty.Kind.STRING in (lt.kind, rt.kind) and (
                lt.kind in (ty.Kind.STRING, ty.Kind.UNKNOWN)
                and rt.kind in (ty.Kind.STRING, ty.Kind.UNKNOWN)):
            return ty.INT  # string ==; an unknown side (unset $N, args) is checked by codegen
        for t, side in ((lt, e.left), (rt, e.right)):
            self.need_numeric(t, side, e.op)
        return ty.INT

    def unop(self, e: ast.Unop) -> SType:
        if e.op in ("++", "--"):
            target = e.operand
            if isinstance(target, ast.Map):
                self.expr(target)
                keys = tuple(k.ty or ty.UNKNOWN for k in target.keys)
                self.maps.assign(target, keys, ty.INT)
                return ty.INT
            if isinstance(target, ast.Variable):
                self.need_numeric(self.expr(target), target, e.op)
                return ty.INT
            self.diags.error(f"'{e.op}' needs a @map or $variable", e.loc)
            return ty.INT
        t = self.expr(e.operand)
        if e.op == "*":
            return ty.UNKNOWN
        if e.op == "&":
            return ty.PTR
        self.need_numeric(t, e.operand, e.op)
        return ty.INT

    def field_access(self, e: ast.FieldAccess) -> SType:
        base = e.expr
        if isinstance(base, ast.Builtin) and base.name == "args":
            self.builtin(base)
            assert self.scope is not None
            return self.args.field(self.scope.probe, e)
        t = self.expr(base)
        if t.kind is ty.Kind.TUPLE:
            if not e.field.isdigit() or int(e.field) >= len(t.elems):
                self.diags.error(f"tuple {t} has no element '{e.field}'", e.loc)
                return ty.UNKNOWN
            return t.elems[int(e.field)]
        return ty.UNKNOWN

    def need_numeric(self, t: SType, e: ast.Expr, op: str) -> None:
        if t.is_numeric or not t.is_known:
            return
        if isinstance(e, ast.PositionalParam):
            given = self.positional[e.index - 1]
            self.diags.error(f'${e.index} used numerically but given "{given}"', e.loc)
        else:
            self.diags.error(f"'{op}' needs a number, got {t}", e.loc)


def cast_type(t: ast.TypeName) -> SType:
    if t.array_len is not None:
        return ty.UNKNOWN
    if t.pointer_depth:
        return ty.PTR
    if t.name in _INT_CASTS or t.name.split()[-1] in ("char", "short", "int", "long", "bool"):
        return ty.INT
    if t.name == "string":
        return ty.STRING
    return ty.UNKNOWN
