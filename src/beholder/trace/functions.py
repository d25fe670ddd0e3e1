"""Tables of bpftrace builtin variables and functions, with arities and result types."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from beholder.trace import typesys as ty
from beholder.trace.typesys import Kind, SType

BUILTIN_TYPES: dict[str, SType] = {
    "pid": ty.INT, "tid": ty.INT, "uid": ty.INT, "gid": ty.INT, "nsecs": ty.INT,
    "elapsed": ty.INT, "cpu": ty.INT, "ncpus": ty.INT, "numaid": ty.INT, "cgroup": ty.INT,
    "rand": ty.INT, "jiffies": ty.INT, "cpid": ty.INT, "retval": ty.UNKNOWN,
    "comm": ty.STRING, "username": ty.STRING, "func": ty.STRING, "probe": ty.STRING,
    "kstack": ty.STACK, "ustack": ty.STACK, "curtask": ty.PTR, "ctx": ty.PTR,
    "args": ty.UNKNOWN,
}  # fmt: skip
BUILTIN_TYPES.update({f"arg{i}": ty.INT for i in range(10)})
BUILTIN_TYPES.update({f"sarg{i}": ty.INT for i in range(10)})

BUILTINS = frozenset(BUILTIN_TYPES)


@dataclass(frozen=True, slots=True)
class FuncSig:
    min_args: int
    max_args: int | None  # None: variadic
    result: SType = ty.NONE
    # Needs --unsafe: these act on the system, not just observe it.
    unsafe: bool = False
    # Must be the whole right-hand side of a map assignment (@x = count()).
    aggregate: bool = False
    # Index of an argument that must be a map (delete(@x[k]), clear(@x)).
    map_arg: int | None = None

    def arity_text(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args}"
        if self.min_args == self.max_args:
            return str(self.min_args)
        return f"{self.min_args} to {self.max_args}"


def _agg(kind: Kind, n: int, hi: int | None = None) -> FuncSig:
    return FuncSig(n, n if hi is None else hi, SType(kind), aggregate=True)


FUNCTIONS: dict[str, FuncSig] = {
    "printf": FuncSig(1, None),
    "print": FuncSig(1, 3),
    "time": FuncSig(0, 1),
    "exit": FuncSig(0, 1),
    "str": FuncSig(1, 2, ty.STRING),
    "buf": FuncSig(1, 2, ty.BUFFER),
    "ksym": FuncSig(1, 1, ty.STRING),
    "usym": FuncSig(1, 1, ty.STRING),
    "kaddr": FuncSig(1, 1, ty.INT),
    "uaddr": FuncSig(1, 1, ty.INT),
    "ntop": FuncSig(1, 2, ty.STRING),
    "pton": FuncSig(1, 1, ty.BUFFER),
    "cgroupid": FuncSig(1, 1, ty.INT),
    "cgroup_path": FuncSig(1, 2, ty.STRING),
    "strftime": FuncSig(2, 2, ty.STRING),
    "join": FuncSig(1, 2),
    "strncmp": FuncSig(3, 3, ty.INT),
    "strcontains": FuncSig(2, 2, ty.INT),
    "system": FuncSig(1, None, unsafe=True),
    "signal": FuncSig(1, 1, unsafe=True),
    "override": FuncSig(1, 1, unsafe=True),
    "count": _agg(Kind.COUNT, 0),
    "sum": _agg(Kind.SUM, 1),
    "avg": _agg(Kind.AVG, 1),
    "min": _agg(Kind.MIN, 1),
    "max": _agg(Kind.MAX, 1),
    "stats": _agg(Kind.STATS, 1),
    "hist": _agg(Kind.HIST, 1, 2),
    "lhist": _agg(Kind.LHIST, 4),
    "delete": FuncSig(1, 2, map_arg=0),
    "clear": FuncSig(1, 1, map_arg=0),
    "zero": FuncSig(1, 1, map_arg=0),
    "len": FuncSig(1, 1, ty.INT),
    "has_key": FuncSig(2, 2, ty.INT, map_arg=0),
    "macaddr": FuncSig(1, 1, ty.STRING),
    "reg": FuncSig(1, 1, ty.INT),
    "kstack": FuncSig(0, 2, ty.STACK),
    "ustack": FuncSig(0, 2, ty.STACK),
    "nsecs": FuncSig(0, 1, ty.INT),
    "cat": FuncSig(1, None),
    "sizeof": FuncSig(1, 1, ty.INT),
    "offsetof": FuncSig(2, None, ty.INT),
    "percpu_kaddr": FuncSig(1, 2, ty.INT),
    "kptr": FuncSig(1, 1, ty.PTR),
    "uptr": FuncSig(1, 1, ty.PTR),
    "path": FuncSig(1, 2, ty.STRING),
    "skboutput": FuncSig(4, 4, ty.INT),
    "unwatch": FuncSig(1, 1),
    "debugf": FuncSig(1, None),
    "errorf": FuncSig(1, None),
    "warnf": FuncSig(1, None),
    "bswap": FuncSig(1, 1, ty.INT),
    "socket_cookie": FuncSig(1, 1, ty.INT),
}

# Functions whose name is also a builtin variable: a call form is not an error.
CALLABLE_BUILTINS = frozenset(name for name in BUILTINS if name in FUNCTIONS)


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance counting an adjacent swap as one edit (prinft -> printf)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def suggest(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'x'?" for a likely typo, else ""."""
    candidates = difflib.get_close_matches(name, list(known), n=5, cutoff=0.6)
    if not candidates:
        return ""
    best = min(candidates, key=lambda c: (_edit_distance(name, c), abs(len(c) - len(name))))
    if _edit_distance(name, best) > max(1, len(name) // 3):
        return ""
    return f"; did you mean '{best}'?"
