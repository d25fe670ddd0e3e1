"""Fuzzing: compile_front raises nothing but CompileError on garbage or mutated one-liners."""

from __future__ import annotations

from front_helpers import ONE_LINERS, catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beholder.trace.ast_dump import dump
from beholder.trace.diagnostics import CompileError
from beholder.trace.frontend import compile_front

# Characters that matter to the grammar, so mutations hit interesting states.
ALPHABET = st.sampled_from(list("{}()[]/\\:;,.@$#\"'*+-<>=!&|^~%? \n\t0123456789xabkpt_"))
CAT = catalog(kprobe="CONFIG_KPROBES is off")


def _check(text: str) -> None:
    for cat in (None, CAT):
        try:
            ctx = compile_front(text, catalog=cat, options={"positional": ["7", "x"]})
        except CompileError as err:
            assert str(err)  # rendering must not crash either
        else:
            dump(ctx.program, show_types=True)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(ONE_LINERS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "swap", "dup"]))
        i = draw(st.integers(0, max(len(text) - 1, 0)))
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + draw(ALPHABET) + text[i:]
        elif op == "swap" and i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        else:
            j = draw(st.integers(i, min(len(text), i + 12)))
            text = text[:j] + text[i:j] + text[j:]
    return text


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text(st.characters(min_codepoint=9, max_codepoint=0x7F), max_size=80))
def test_random_printable(text: str) -> None:
    _check(text)


@FUZZ
@given(st.text(ALPHABET, max_size=60).map(lambda s: "BEGIN { " + s + " }"))
def test_random_bodies(text: str) -> None:
    _check(text)


@FUZZ
@given(mutated())
def test_mutated_one_liners(text: str) -> None:
    _check(text)


def test_pathological_nesting_is_a_diagnostic() -> None:
    deep = [
        "BEGIN { @x = " + "(" * 3000 + "1" + ")" * 3000 + "; }",
        "BEGIN { @x = " + "-" * 3000 + "1; }",
        "BEGIN { " + "if (1) { " * 500 + "}" * 501,
        "BEGIN { @x = 1" + " + 1" * 20000 + "; }",
    ]
    for text in deep:
        try:
            compile_front(text)
        except CompileError as err:
            assert "nest" in str(err)
        else:
            raise AssertionError("expected a nesting diagnostic")
