"""AST node dataclasses for bpftrace programs; every node carries the Loc it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from beholder.trace.probes import ProbeSpec
from beholder.trace.source import NO_LOC, Loc
from beholder.trace.typesys import SType


@dataclass(slots=True)
class Node:
    loc: Loc = field(default=NO_LOC, kw_only=True, compare=False, repr=False)


@dataclass(slots=True)
class Expr(Node):
    # Filled in by the semantic pass; codegen reads it.
    ty: SType | None = field(default=None, kw_only=True, compare=False, repr=False)


# --- expressions -----------------------------------------------------------


@dataclass(slots=True)
class Integer(Expr):
    value: int


@dataclass(slots=True)
class String(Expr):
    value: str


@dataclass(slots=True)
class Builtin(Expr):
    name: str


@dataclass(slots=True)
class Identifier(Expr):
    """A bare name used as a value: enum constants, kstack(perf), ..."""

    name: str


@dataclass(slots=True)
class PositionalParam(Expr):
    index: int  # $1 -> 1


@dataclass(slots=True)
class ParamCount(Expr):
    """$# - how many positional parameters were given."""


@dataclass(slots=True)
class Variable(Expr):
    name: str  # without the '$'


@dataclass(slots=True)
class Map(Expr):
    name: str  # without the '@'; "" for the bare '@'
    keys: tuple[Expr, ...] = ()

    @property
    def display(self) -> str:
        return "@" + self.name


@dataclass(slots=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...] = ()


@dataclass(slots=True)
class Binop(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class Unop(Expr):
    op: str  # ! ~ - + * & ++ --
    operand: Expr
    postfix: bool = False  # x++ vs ++x


@dataclass(slots=True)
class Ternary(Expr):
    cond: Expr
    then: Expr
    other: Expr


@dataclass(slots=True)
class FieldAccess(Expr):
    expr: Expr
    field: str  # tuple index "0" for @t.0
    arrow: bool = False


@dataclass(slots=True)
class ArrayAccess(Expr):
    expr: Expr
    index: Expr


@dataclass(slots=True)
class TypeName(Node):
    """A C-ish type as written in casts: 'struct task_struct *', 'uint8[4]'."""

    name: str
    pointer_depth: int = 0
    array_len: int | None = None

    def __str__(self) -> str:
        text = self.name + (" " + "*" * self.pointer_depth if self.pointer_depth else "")
        return text + (f"[{self.array_len}]" if self.array_len is not None else "")


@dataclass(slots=True)
class Cast(Expr):
    type: TypeName
    expr: Expr


@dataclass(slots=True)
class Tuple(Expr):
    elems: tuple[Expr, ...]


@dataclass(slots=True)
class Sizeof(Expr):
    arg: TypeName | Expr


@dataclass(slots=True)
class Offsetof(Expr):
    type: TypeName | Expr
    fields: tuple[str, ...]


# --- statements ------------------------------------------------------------


@dataclass(slots=True)
class Stmt(Node):
    pass


@dataclass(slots=True)
class Block(Stmt):
    stmts: list[Stmt] = field(default_factory=list)


@dataclass(slots=True)
class ExprStmt(Stmt):
    expr: Expr


@dataclass(slots=True)
class AssignMap(Stmt):
    map: Map
    value: Expr
    op: str | None = None  # "+" for '@x += v'


@dataclass(slots=True)
class AssignVar(Stmt):
    var: Variable
    value: Expr
    op: str | None = None


@dataclass(slots=True)
class VarDecl(Stmt):
    """let $x [: type] [= value];"""

    var: Variable
    type: TypeName | None = None
    value: Expr | None = None


@dataclass(slots=True)
class If(Stmt):
    cond: Expr
    then: Block
    other: Block | None = None  # 'else if' is an If inside this Block


@dataclass(slots=True)
class While(Stmt):
    cond: Expr
    body: Block


@dataclass(slots=True)
class For(Stmt):
    """for ($kv : @map) {...} or, with end set, for ($i : start..end) {...}"""

    var: Variable
    iterable: Expr
    body: Block
    end: Expr | None = None


@dataclass(slots=True)
class Unroll(Stmt):
    count: Expr
    body: Block


@dataclass(slots=True)
class Return(Stmt):
    value: Expr | None = None


@dataclass(slots=True)
class Jump(Stmt):
    kind: str  # "break" | "continue"


# --- top level -------------------------------------------------------------


@dataclass(slots=True)
class AttachPoint(Node):
    raw: str
    spec: ProbeSpec | None  # None when the header was malformed (already reported)
    expanded_from: str | None = None  # wildcard it came from, after probe expansion

    @property
    def provider(self) -> str:
        return self.spec.provider if self.spec else ""

    @property
    def target(self) -> str:
        return self.spec.target if self.spec else ""

    @property
    def func(self) -> str:
        return self.spec.func if self.spec else ""

    @property
    def params(self) -> dict[str, int | str]:
        return self.spec.params if self.spec else {}


@dataclass(slots=True)
class Probe(Node):
    attach_points: list[AttachPoint]
    predicate: Expr | None
    block: Block


@dataclass(slots=True)
class ConfigEntry(Node):
    key: str
    value: Expr


@dataclass(slots=True)
class Program(Node):
    probes: list[Probe] = field(default_factory=list)
    config: list[ConfigEntry] | None = None
    # '#include'/'#define' lines: accepted, kept for a later C-type pass, not interpreted.
    directives: list[str] = field(default_factory=list)
