"""'-d ast' style indented dump of a parsed program, one node per line like bpftrace's."""

from __future__ import annotations

from beholder.trace import ast


def _escape(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')


class _Dumper:
    def __init__(self, show_types: bool) -> None:
        self.lines: list[str] = []
        self.show_types = show_types

    def line(self, depth: int, text: str, node: ast.Node | None = None) -> None:
        if self.show_types and isinstance(node, ast.Expr) and node.ty is not None:
            text += f" :: {node.ty}"
        self.lines.append(" " * depth + text)

    def program(self, prog: ast.Program) -> None:
        self.line(0, "Program")
        for directive in prog.directives:
            self.line(1, directive)
        if prog.config is not None:
            self.line(1, "config")
            for entry in prog.config:
                self.line(2, f"{entry.key} =")
                self.expr(entry.value, 3)
        for probe in prog.probes:
            for point in probe.attach_points:
                text = point.spec.canonical() if point.spec else point.raw
                self.line(1, text)
            if probe.predicate is not None:
                self.line(2, "pred")
                self.expr(probe.predicate, 3)
            self.stmts(probe.block.stmts, 2)

    def stmts(self, stmts: list[ast.Stmt], depth: int) -> None:
        for s in stmts:
            self.stmt(s, depth)

    def stmt(self, s: ast.Stmt, d: int) -> None:
        if isinstance(s, ast.ExprStmt):
            self.expr(s.expr, d)
        elif isinstance(s, ast.AssignMap | ast.AssignVar):
            self.line(d, f"{s.op or ''}=")
            self.expr(s.map if isinstance(s, ast.AssignMap) else s.var, d + 1)
            self.expr(s.value, d + 1)
        elif isinstance(s, ast.VarDecl):
            self.line(d, "let" + (f" : {s.type}" if s.type else ""))
            self.expr(s.var, d + 1)
            if s.value is not None:
                self.expr(s.value, d + 1)
        elif isinstance(s, ast.If):
            self.line(d, "if")
            self.expr(s.cond, d + 1)
            self.line(d + 1, "then")
            self.stmts(s.then.stmts, d + 2)
            if s.other is not None:
                self.line(d + 1, "else")
                self.stmts(s.other.stmts, d + 2)
        elif isinstance(s, ast.While):
            self.line(d, "while")
            self.expr(s.cond, d + 1)
            self.stmts(s.body.stmts, d + 1)
        elif isinstance(s, ast.For):
            self.line(d, "for")
            self.expr(s.var, d + 1)
            self.expr(s.iterable, d + 1)
            if s.end is not None:
                self.expr(s.end, d + 1)
            self.stmts(s.body.stmts, d + 1)
        elif isinstance(s, ast.Unroll):
            self.line(d, "unroll")
            self.expr(s.count, d + 1)
            self.stmts(s.body.stmts, d + 1)
        elif isinstance(s, ast.Return):
            self.line(d, "return")
            if s.value is not None:
                self.expr(s.value, d + 1)
        elif isinstance(s, ast.Jump):
            self.line(d, s.kind)
        elif isinstance(s, ast.Block):
            self.line(d, "block")
            self.stmts(s.stmts, d + 1)

    def expr(self, e: ast.Expr, d: int) -> None:
        kids: tuple[ast.Expr, ...] = ()
        if isinstance(e, ast.Integer):
            text = f"int: {e.value}"
        elif isinstance(e, ast.String):
            text = f'string: "{_escape(e.value)}"'
        elif isinstance(e, ast.Builtin):
            text = f"builtin: {e.name}"
        elif isinstance(e, ast.Identifier):
            text = f"identifier: {e.name}"
        elif isinstance(e, ast.PositionalParam):
            text = f"param: ${e.index}"
        elif isinstance(e, ast.ParamCount):
            text = "param: $#"
        elif isinstance(e, ast.Variable):
            text = f"variable: ${e.name}"
        elif isinstance(e, ast.Map):
            text, kids = f"map: {e.display}", e.keys
        elif isinstance(e, ast.Call):
            text, kids = f"call: {e.name}", e.args
        elif isinstance(e, ast.Binop):
            text, kids = e.op, (e.left, e.right)
        elif isinstance(e, ast.Unop):
            text, kids = (f"{e.op} (post)" if e.postfix else e.op), (e.operand,)
        elif isinstance(e, ast.Ternary):
            text, kids = "?:", (e.cond, e.then, e.other)
        elif isinstance(e, ast.FieldAccess):
            text, kids = ("->" if e.arrow else ".") + f" {e.field}", (e.expr,)
        elif isinstance(e, ast.ArrayAccess):
            text, kids = "[]", (e.expr, e.index)
        elif isinstance(e, ast.Cast):
            text, kids = f"({e.type})", (e.expr,)
        elif isinstance(e, ast.Tuple):
            text, kids = "tuple:", e.elems
        elif isinstance(e, ast.Sizeof):
            arg = e.arg
            text = f"sizeof: {arg}" if isinstance(arg, ast.TypeName) else "sizeof:"
            kids = () if isinstance(arg, ast.TypeName) else (arg,)
        elif isinstance(e, ast.Offsetof):
            what = str(e.type) if isinstance(e.type, ast.TypeName) else "expr"
            text = f"offsetof: {what} {'.'.join(e.fields)}"
        else:
            text = type(e).__name__
        self.line(d, text, e)
        for kid in kids:
            self.expr(kid, d + 1)


def dump(program: ast.Program, show_types: bool = False) -> str:
    """Indented tree, one space per level; show_types appends ':: type' after semantic ran."""
    dumper = _Dumper(show_types)
    dumper.program(program)
    return "\n".join(dumper.lines) + "\n"
