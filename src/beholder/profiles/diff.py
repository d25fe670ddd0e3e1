"""Compare two profiles by each function's and each stack's share of its profile's total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from beholder.profiles.model import Profile

# Shares, not raw counts: "after" usually ran for a different time or at a different load.


@dataclass(frozen=True, slots=True)
class FunctionDelta:
    function: str
    a_self: float  # fraction of a.total() with this function as the leaf
    b_self: float
    a_total: float  # fraction of a.total() with this function anywhere on the stack
    b_total: float

    @property
    def delta(self) -> float:
        return self.b_self - self.a_self

    @property
    def delta_total(self) -> float:
        return self.b_total - self.a_total


@dataclass(frozen=True, slots=True)
class StackDelta:
    stack: tuple[str, ...]  # root-first display names
    a: float
    b: float

    @property
    def delta(self) -> float:
        return self.b - self.a


@dataclass(frozen=True, slots=True)
class DiffResult:
    a_samples: int
    b_samples: int
    functions: list[FunctionDelta]  # sorted by |delta| desc (self share)
    stacks: list[StackDelta]  # sorted by |delta| desc

    def function(self, name: str) -> FunctionDelta | None:
        return next((f for f in self.functions if f.function == name), None)


def _shares(p: Profile) -> tuple[dict[str, int], dict[str, int], dict[tuple[str, ...], int], int]:
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    stacks: dict[tuple[str, ...], int] = {}
    fname = p.namer()
    for s in p.samples:
        names = tuple(fname(f) for f in s.stack)
        stacks[names] = stacks.get(names, 0) + s.count
        if names:
            own[names[-1]] = own.get(names[-1], 0) + s.count
        for n in set(names):  # once per stack: recursion must not inflate the share
            incl[n] = incl.get(n, 0) + s.count
    return own, incl, stacks, p.total()


def diff(a: Profile, b: Profile) -> DiffResult:
    """Growth of each function/stack from ``a`` (before) to ``b`` (after), by share."""
    a_own, a_incl, a_stacks, a_n = _shares(a)
    b_own, b_incl, b_stacks, b_n = _shares(b)
    fa, fb = 1 / (a_n or 1), 1 / (b_n or 1)
    functions = [
        FunctionDelta(
            name,
            a_own.get(name, 0) * fa,
            b_own.get(name, 0) * fb,
            a_incl.get(name, 0) * fa,
            b_incl.get(name, 0) * fb,
        )
        for name in a_incl.keys() | b_incl.keys()
    ]
    functions.sort(key=lambda d: (-abs(d.delta), -abs(d.delta_total), d.function))
    stacks = [
        StackDelta(st, a_stacks.get(st, 0) * fa, b_stacks.get(st, 0) * fb)
        for st in a_stacks.keys() | b_stacks.keys()
    ]
    stacks.sort(key=lambda d: (-abs(d.delta), d.stack))
    return DiffResult(a_n, b_n, functions, stacks)


def format_table(
    result: DiffResult, limit: int = 30, by: Literal["self", "total"] = "self", width: int = 60
) -> str:
    """Plain-text table: function, a %, b %, delta (percentage points), by |delta|."""
    rows = sorted(
        result.functions,
        key=lambda d: -abs(d.delta if by == "self" else d.delta_total),
    )[:limit]
    head = f"{'function':<{width}} {'a %':>8} {'b %':>8} {'delta':>8}"
    lines = [f"# {by} share; a={result.a_samples} samples, b={result.b_samples} samples", head]
    for d in rows:
        a, b = (d.a_self, d.b_self) if by == "self" else (d.a_total, d.b_total)
        name = d.function if len(d.function) <= width else d.function[: width - 1] + "…"
        lines.append(f"{name:<{width}} {a * 100:8.2f} {b * 100:8.2f} {(b - a) * 100:+8.2f}")
    return "\n".join(lines) + "\n"
