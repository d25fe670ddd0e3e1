"""Pratt expression parser with bpftrace's operator precedence; the statement parser builds on it."""

from __future__ import annotations

from beholder.trace import ast
from beholder.trace.token_cursor import ParseBail
from beholder.trace.tokens import T
from beholder.trace.type_parser import TypeParser

__all__ = ["BINARY_PREC", "ExprParser", "ParseBail"]

# Binding powers, loosest first: ternary < || < && < | < ^ < & < ==,!= < relational
# < shifts < additive < multiplicative < unary < postfix.
BINARY_PREC: dict[str, int] = {
    "||": 2, "&&": 3, "|": 4, "^": 5, "&": 6, "==": 7, "!=": 7,
    "<": 8, ">": 8, "<=": 8, ">=": 8, "<<": 9, ">>": 9,
    "+": 10, "-": 10, "*": 11, "/": 11, "%": 11,
}  # fmt: skip
TERNARY_PREC = 1
UNARY_OPS = frozenset({"!", "~", "-", "+", "*", "&", "++", "--"})
INT_TYPES = frozenset(
    f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)
) | frozenset({"bool", "string", "inet", "buffer", "usym_t", "ksym_t", "timestamp"})
C_TYPE_WORDS = frozenset(
    {"char", "short", "int", "long", "unsigned", "signed", "void", "float", "double"}
)


class ExprParser(TypeParser):
    def expr(self, min_prec: int = 0) -> ast.Expr:
        with self.nesting():
            return self._expr(min_prec)

    def _expr(self, min_prec: int) -> ast.Expr:
        first = self.tok
        left = self.unary()
        while True:
            tok = self.tok
            if tok.is_op("?") and min_prec <= TERNARY_PREC:
                self.advance()
                then = self.nested(self.expr)
                self.expect(":", "in conditional expression")
                other = self.expr(TERNARY_PREC)  # right-associative
                left = ast.Ternary(left, then, other, loc=self.span(first))
                continue
            prec = BINARY_PREC.get(tok.text) if tok.kind is T.PUNCT else None
            if prec is None or prec <= min_prec or (tok.text == "/" and self.no_div):
                return left
            self.advance()
            right = self.expr(prec)
            left = ast.Binop(tok.text, left, right, loc=self.loc(tok))

    def unary(self) -> ast.Expr:
        tok = self.tok
        if tok.kind is T.PUNCT and tok.text in UNARY_OPS:
            self.advance()
            with self.nesting():
                operand = self.unary()
            return ast.Unop(tok.text, operand, loc=self.span(tok))
        if tok.is_op("(") and (cast_type := self.try_type_in_parens()) is not None:
            with self.nesting():
                operand = self.unary()
            return ast.Cast(cast_type, operand, loc=self.span(tok))
        return self.postfix(self.primary())

    def postfix(self, expr: ast.Expr) -> ast.Expr:
        while True:
            tok = self.tok
            if tok.is_op("["):
                self.advance()
                index = self.nested(self.expr)
                self.expect("]", "after array index")
                expr = ast.ArrayAccess(expr, index, loc=self.span(tok))
            elif tok.is_op(".", "->"):
                self.advance()
                name = self.tok
                if name.kind not in (T.IDENT, T.BUILTIN, T.KEYWORD, T.INT):
                    raise self.fail(
                        f"expected a field name after '{tok.text}', got {self.describe(name)}"
                    )
                self.advance()
                expr = ast.FieldAccess(expr, name.text, tok.text == "->", loc=self.loc(name))
            elif tok.is_op("++", "--"):
                self.advance()
                expr = ast.Unop(tok.text, expr, postfix=True, loc=self.loc(tok))
            else:
                return expr

    def primary(self) -> ast.Expr:
        tok = self.tok
        kind = tok.kind
        if kind is T.INT:
            self.advance()
            return ast.Integer(int(tok.value or 0), loc=self.loc(tok))
        if kind is T.STRING:
            self.advance()
            return ast.String(str(tok.value), loc=self.loc(tok))
        if kind in (T.IDENT, T.BUILTIN) and self.peek().is_op("("):
            return self.call()
        if kind is T.BUILTIN:
            self.advance()
            return ast.Builtin(tok.text, loc=self.loc(tok))
        if kind is T.IDENT:
            self.advance()
            return ast.Identifier(tok.text, loc=self.loc(tok))
        if kind is T.VAR:
            self.advance()
            return ast.Variable(str(tok.value), loc=self.loc(tok))
        if kind is T.PARAM:
            self.advance()
            return ast.PositionalParam(int(tok.value or 0), loc=self.loc(tok))
        if kind is T.PARAM_COUNT:
            self.advance()
            return ast.ParamCount(loc=self.loc(tok))
        if kind is T.MAP:
            return self.map_ref()
        if tok.is_kw("sizeof", "offsetof"):
            return self.sizeof_offsetof()
        if tok.is_op("("):
            return self.paren_or_tuple()
        raise self.fail(f"expected expression, got {self.describe(tok)}")

    def map_ref(self) -> ast.Map:
        tok = self.advance()
        keys: list[ast.Expr] = []
        if self.accept("["):
            keys = self.nested(lambda: self.expr_list("]"))
            if not keys:
                raise self.fail("map key list is empty; use @x, not @x[]", self.toks[self.i - 1])
        return ast.Map(str(tok.value), tuple(keys), loc=self.span(tok))

    def expr_list(self, close: str) -> list[ast.Expr]:
        items: list[ast.Expr] = []
        while not self.at_op(close):
            items.append(self.expr())
            if not self.accept(","):
                break
        self.expect(close, "to close the list")
        return items

    def call(self) -> ast.Call:
        name = self.advance()
        self.advance()  # '('
        args = self.nested(lambda: self.expr_list(")"))
        return ast.Call(name.text, tuple(args), loc=self.loc(name))

    def paren_or_tuple(self) -> ast.Expr:
        open_tok = self.advance()
        items = self.nested(lambda: self.expr_list(")"))
        if not items:
            raise self.fail("expected expression inside '()'", open_tok)
        if len(items) == 1 and self.toks[self.i - 2].text != ",":
            return items[0]
        return ast.Tuple(tuple(items), loc=self.span(open_tok))

    def sizeof_offsetof(self) -> ast.Expr:
        kw = self.advance()
        self.expect("(", f"after '{kw.text}'")
        arg: ast.TypeName | ast.Expr = self.type_name() or self.nested(self.expr)
        if kw.text == "sizeof":
            self.expect(")", "after sizeof argument")
            return ast.Sizeof(arg, loc=self.span(kw))
        fields: list[str] = []
        self.expect(",", "between offsetof type and field")
        while True:
            if self.tok.kind not in (T.IDENT, T.BUILTIN, T.KEYWORD):
                raise self.fail(f"expected a field name, got {self.describe(self.tok)}")
            fields.append(self.advance().text)
            if not self.accept("."):
                break
        self.expect(")", "after offsetof arguments")
        return ast.Offsetof(arg, tuple(fields), loc=self.span(kw))
