"""Recursive-descent parser for bpftrace programs that recovers after errors to report many at once."""

from __future__ import annotations

from beholder.trace import ast
from beholder.trace.diagnostics import Diagnostics
from beholder.trace.expr_parser import ExprParser, ParseBail
from beholder.trace.lexer import tokenize
from beholder.trace.probes import ProbeSpecError, parse_attach_point
from beholder.trace.source import Source
from beholder.trace.tokens import T, Token

ASSIGN_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="})
_COMPOUND = (ast.If, ast.While, ast.For, ast.Unroll, ast.Block)


class Parser(ExprParser):
    def parse_program(self) -> ast.Program:
        prog = ast.Program(loc=self.loc(self.tok))
        while self.tok.kind is not T.EOF:
            tok = self.tok
            try:
                if tok.kind is T.DIRECTIVE:
                    prog.directives.append(str(self.advance().value))
                elif tok.is_kw("config"):
                    self.config(prog)
                elif tok.kind is T.ATTACH:
                    prog.probes.append(self.probe())
                else:
                    raise self.fail(f"expected a probe, got {self.describe(tok)}")
            except ParseBail:
                self.sync_top()
        return prog

    def sync_top(self) -> None:
        """Skip to the next probe header, stepping over whole { } bodies."""
        start = self.i
        while self.tok.kind is not T.EOF:
            if self.tok.kind is T.ATTACH and self.i > start:
                return
            if self.tok.is_op("{"):
                self.skip_braces()
                continue
            self.advance()

    def skip_braces(self) -> None:
        depth = 0
        while self.tok.kind is not T.EOF:
            tok = self.advance()
            if tok.is_op("{"):
                depth += 1
            elif tok.is_op("}"):
                depth -= 1
                if depth <= 0:
                    return

    def config(self, prog: ast.Program) -> None:
        kw = self.advance()
        self.expect("=", "after 'config'")
        self.expect("{", "to open the config block")
        entries: list[ast.ConfigEntry] = []
        while not self.at_op("}") and self.tok.kind is not T.EOF:
            if self.accept(";"):
                continue
            key = self.tok
            if key.kind not in (T.IDENT, T.BUILTIN, T.KEYWORD):
                raise self.fail(f"expected a config key, got {self.describe(key)}")
            self.advance()
            self.expect("=", f"after config key '{key.text}'")
            entries.append(ast.ConfigEntry(key.text, self.expr(), loc=self.loc(key)))
            if not self.at_op("}"):
                self.expect(";", "between config entries")
        self.expect("}", "to close the config block")
        if prog.config is not None:
            self.diags.error("duplicate config block", self.loc(kw))
        prog.config = entries

    def probe(self) -> ast.Probe:
        first = self.tok
        points = [self.attach_point(self.advance())]
        while self.accept(","):
            if self.tok.kind is not T.ATTACH:
                raise self.fail(
                    f"expected an attach point after ',', got {self.describe(self.tok)}"
                )
            points.append(self.attach_point(self.advance()))
        predicate = None
        if self.at_op("/"):
            self.advance()
            self.no_div = 1
            try:
                predicate = self.expr()
            finally:
                self.no_div = 0
            self.expect("/", "to close the predicate")
        if not self.at_op("{"):
            want = "'{'" if predicate else "'{' or a predicate"
            raise self.fail(
                f"expected {want} after the attach point, got {self.describe(self.tok)}"
            )
        return ast.Probe(points, predicate, self.block(), loc=self.loc(first))

    def attach_point(self, tok: Token) -> ast.AttachPoint:
        try:
            spec = parse_attach_point(tok.text)
        except ProbeSpecError as err:
            self.diags.error(f"{tok.text}: {err}", self.loc(tok))
            spec = None
        return ast.AttachPoint(tok.text, spec, loc=self.loc(tok))

    # --- statements ------------------------------------------------------

    def block(self) -> ast.Block:
        with self.nesting():
            return self._block()

    def _block(self) -> ast.Block:
        open_tok = self.expect("{", "to open a block")
        stmts: list[ast.Stmt] = []
        while not self.at_op("}") and self.tok.kind not in (T.EOF, T.ATTACH):
            if self.accept(";"):
                continue
            try:
                stmt = self.statement()
            except ParseBail:
                self.sync_stmt()
                continue
            stmts.append(stmt)
            if isinstance(stmt, _COMPOUND) or self.accept(";") or self.at_op("}"):
                continue
            # Report and carry on as if the ';' were there: one message, not a cascade.
            prev = self.toks[self.i - 1]
            self.diags.error(
                f"expected ';' after statement, got {self.describe(self.tok)}",
                self.src.loc(prev.end, prev.end + 1),
            )
        if not self.at_op("}"):
            self.diags.error("unterminated block: expected '}'", self.loc(open_tok))
        else:
            self.advance()
        return ast.Block(stmts, loc=self.loc(open_tok))

    def sync_stmt(self) -> None:
        """Skip past the next ';' or up to the '}' closing the current block."""
        depth = 0
        while self.tok.kind not in (T.EOF, T.ATTACH):
            tok = self.tok
            if tok.is_op("{"):
                depth += 1
            elif tok.is_op("}"):
                if depth == 0:
                    return
                depth -= 1
            elif tok.is_op(";") and depth == 0:
                self.advance()
                return
            self.advance()

    def statement(self) -> ast.Stmt:
        tok = self.tok
        if tok.is_kw("if"):
            return self.if_stmt()
        if tok.is_kw("while"):
            self.advance()
            cond = self.paren_expr("while")
            return ast.While(cond, self.block(), loc=self.loc(tok))
        if tok.is_kw("for"):
            return self.for_stmt()
        if tok.is_kw("unroll"):
            self.advance()
            count = self.paren_expr("unroll")
            return ast.Unroll(count, self.block(), loc=self.loc(tok))
        if tok.is_kw("return"):
            self.advance()
            value = None if self.at_op(";", "}") else self.expr()
            return ast.Return(value, loc=self.span(tok))
        if tok.is_kw("break", "continue"):
            self.advance()
            return ast.Jump(tok.text, loc=self.loc(tok))
        if tok.is_kw("let"):
            return self.let_stmt()
        if tok.is_op("{"):
            return self.block()
        return self.expr_or_assign()

    def paren_expr(self, what: str) -> ast.Expr:
        self.expect("(", f"after '{what}'")
        cond = self.nested(self.expr)
        self.expect(")", f"to close the '{what}' condition")
        return cond

    def if_stmt(self) -> ast.If:
        tok = self.advance()
        cond = self.paren_expr("if")
        then = self.block()
        other = None
        if self.tok.is_kw("else"):
            else_tok = self.advance()
            if self.tok.is_kw("if"):
                other = ast.Block([self.if_stmt()], loc=self.loc(else_tok))
            else:
                other = self.block()
        return ast.If(cond, then, other, loc=self.loc(tok))

    def for_stmt(self) -> ast.For:
        tok = self.advance()
        self.expect("(", "after 'for'")
        if self.tok.kind is not T.VAR:
            raise self.fail(f"expected a $variable after 'for (', got {self.describe(self.tok)}")
        vtok = self.advance()
        self.expect(":", "after the loop variable")
        iterable = self.nested(self.expr)
        end = self.nested(self.expr) if self.accept("..") else None
        self.expect(")", "to close the 'for' header")
        var = ast.Variable(str(vtok.value), loc=self.loc(vtok))
        return ast.For(var, iterable, self.block(), end, loc=self.loc(tok))

    def let_stmt(self) -> ast.VarDecl:
        tok = self.advance()
        if self.tok.kind is not T.VAR:
            raise self.fail(f"expected a $variable after 'let', got {self.describe(self.tok)}")
        vtok = self.advance()
        var = ast.Variable(str(vtok.value), loc=self.loc(vtok))
        type_name = None
        if self.accept(":"):
            type_name = self.type_name()
            if type_name is None:
                raise self.fail(f"expected a type after ':', got {self.describe(self.tok)}")
        value = self.expr() if self.accept("=") else None
        return ast.VarDecl(var, type_name, value, loc=self.span(tok))

    def expr_or_assign(self) -> ast.Stmt:
        first = self.tok
        target = self.expr()
        op_tok = self.tok
        if not (op_tok.kind is T.PUNCT and op_tok.text in ASSIGN_OPS):
            return ast.ExprStmt(target, loc=self.span(first))
        self.advance()
        value = self.expr()
        op = op_tok.text[:-1] or None
        if isinstance(target, ast.Map):
            return ast.AssignMap(target, value, op, loc=self.span(first))
        if isinstance(target, ast.Variable):
            return ast.AssignVar(target, value, op, loc=self.span(first))
        self.diags.error(
            "cannot assign to this expression; only @maps and $variables can be assigned",
            target.loc,
        )
        return ast.ExprStmt(value, loc=self.span(first))


def parse(source: Source, diags: Diagnostics | None = None) -> ast.Program:
    """Parse a whole program; errors go to diags (read diags.has_errors), never raised."""
    diags = diags if diags is not None else Diagnostics(source)
    tokens = tokenize(source, diags)
    return Parser(tokens, source, diags).parse_program()
