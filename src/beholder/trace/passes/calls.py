"""Function-call checks: known names, arities, unsafe calls, aggregates, map and format arguments."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from beholder.trace import ast
from beholder.trace import typesys as ty
from beholder.trace.functions import FUNCTIONS, suggest
from beholder.trace.typesys import SType

if TYPE_CHECKING:
    # expr_types imports this module at runtime; the reverse is for typing only.
    from beholder.trace.passes.expr_types import ExprTyper as Checker

# Functions whose first argument is a format string that must be a literal.
FORMAT_FUNCS = frozenset({"printf", "system", "cat", "debugf", "errorf", "warnf"})
LITERAL_FIRST = FORMAT_FUNCS | {"time", "strftime"}
# A keyless map argument here means the whole map, not a zero-key lookup.
WHOLE_MAP_FUNCS = frozenset({"print", "clear", "zero", "delete", "len", "has_key"})
# Functions that take a bare keyword argument, e.g. kstack(perf, 5).
IDENT_ARGS = {
    "kstack": frozenset({"perf", "bpftrace", "raw"}),
    "ustack": frozenset({"perf", "bpftrace", "raw"}),
}
_SPEC = re.compile(r"%(?:%|[-+ #0]*(?:\d+|\*)?(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?[a-zA-Z])")


def format_arg_count(fmt: str) -> int:
    return sum(1 for m in _SPEC.finditer(fmt) if m.group() != "%%")


def check_call(chk: Checker, call: ast.Call, map_value: bool) -> SType:
    sig = FUNCTIONS.get(call.name)
    diags = chk.diags
    if sig is None:
        hint = suggest(call.name, FUNCTIONS)
        diags.error(f"unknown function '{call.name}'{hint}", call.loc)
        for arg in call.args:
            chk.expr(arg)
        return ty.UNKNOWN
    n = len(call.args)
    if n < sig.min_args or (sig.max_args is not None and n > sig.max_args):
        plural = "" if sig.arity_text().split()[-1] == "1" else "s"
        diags.error(f"{call.name}() takes {sig.arity_text()} argument{plural}, got {n}", call.loc)
    if sig.unsafe and not chk.unsafe:
        diags.error(f"{call.name}() is unsafe; run with --unsafe", call.loc)
    if sig.aggregate and not map_value:
        diags.error(
            f"{call.name}() must be assigned directly to a map, e.g. @x = {call.name}(...)",
            call.loc,
        )
    for i, arg in enumerate(call.args):
        _check_arg(chk, call, i, arg)
    if call.name in FORMAT_FUNCS and call.args and isinstance(call.args[0], ast.String):
        want, got = format_arg_count(call.args[0].value), n - 1
        if want != got:
            diags.error(
                f"{call.name}() format string expects {want} argument(s) but {got} given",
                call.args[0].loc,
            )
    if call.name == "lhist":
        for arg in call.args[1:]:
            if not _is_int_literal(arg):
                diags.error("lhist() min, max and step must be integer literals", arg.loc)
    return sig.result


def _check_arg(chk: Checker, call: ast.Call, i: int, arg: ast.Expr) -> None:
    sig = FUNCTIONS[call.name]
    if sig.map_arg == i and not isinstance(arg, ast.Map):
        chk.diags.error(f"{call.name}() expects a @map as argument {i + 1}", arg.loc)
    if i == 0 and call.name in LITERAL_FIRST and not isinstance(arg, ast.String):
        chk.diags.error(f"{call.name}() needs a string literal as its first argument", arg.loc)
    if isinstance(arg, ast.Identifier):
        _check_ident_arg(chk, call, arg)
        return
    if isinstance(arg, ast.Map) and not arg.keys and call.name in WHOLE_MAP_FUNCS and i == 0:
        chk.map_uses.append(arg)
        arg.ty = chk.maps.read(arg, None)
        return
    t = chk.expr(arg)
    if t.is_aggregate:
        chk.diags.error(f"cannot pass a {t} value to {call.name}()", arg.loc)


def _check_ident_arg(chk: Checker, call: ast.Call, arg: ast.Identifier) -> None:
    modes = IDENT_ARGS.get(call.name)
    if modes is None:
        arg.ty = chk.expr(arg)  # same rules as anywhere else
    elif arg.name not in modes:
        chk.diags.error(
            f"{call.name}() mode must be one of {', '.join(sorted(modes))}, got '{arg.name}'",
            arg.loc,
        )


def _is_int_literal(e: ast.Expr) -> bool:
    if isinstance(e, ast.Integer):
        return True
    return isinstance(e, ast.Unop) and e.op == "-" and isinstance(e.operand, ast.Integer)
