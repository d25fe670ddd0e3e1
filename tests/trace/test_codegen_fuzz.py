"""Property test: whatever the front-end accepts, codegen and emission either succeed or report
a located CompileError; never a Python traceback. No kernel needed: the dry run uses no fds."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beholder.trace.catalog import InMemoryCatalog
from beholder.trace.codegen import generate
from beholder.trace.diagnostics import CompileError
from beholder.trace.emit import emit_object
from beholder.trace.frontend import compile_front

SEEDS = [
    'BEGIN { @x = 1; printf("%d %s\\n", 5, "a"); @c[pid, comm] = count(); exit(); }',
    "BEGIN { $i = 0; while ($i < 10) { $i++; @h = hist($i); } }",
    "BEGIN { @l = lhist(3, 0, 100, 10); @s = stats(4); @a = avg(5); @m = min(1); @M = max(2); }",
    'BEGIN { $s = "abc"; if ($s == "abc") { @t = (1, $s); } else { @t = (2, "x"); } }',
    "BEGIN { @v = 1 ? 2 : 3; unroll(3) { @u++; } @w = (uint8)300; @z = -5 / 2 % 3; }",
    'BEGIN { @n = ntop(0x0100007f); @s = strncmp("ab", "ac", 1); @k = strcontains(comm, "be"); }',
    "interval:ms:10 { print(@x); clear(@x); zero(@y); delete(@z[1]); @x = 1; @y = count(); @z[1] = 2; }",
]
CATALOG = InMemoryCatalog(["syscalls:sys_enter_openat"])


def _mutate(text: str, data: st.DataObject) -> str:
    chars = list(text)
    for _ in range(data.draw(st.integers(0, 4))):
        op = data.draw(st.sampled_from(["del", "ins", "swap"]))
        i = data.draw(st.integers(0, max(0, len(chars) - 1)))
        if op == "del" and chars:
            del chars[i]
        elif op == "ins":
            chars.insert(i, data.draw(st.sampled_from(list("(){}[];,+-*/%<>=!&|^~$@\"'0129 abx:."))))
        elif chars:
            j = data.draw(st.integers(0, len(chars) - 1))
            chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def _compile(text: str) -> None:
    try:
        ctx = compile_front(text, "-e", CATALOG, {"unsafe": False, "positional": []})
        _, plan = generate(ctx)
        ir_text, _ = generate(ctx, plan)
        emit_object(ir_text)
    except CompileError as e:
        assert str(e)


def test_seeds_compile():
    for seed in SEEDS:
        ctx = compile_front(seed, "-e", CATALOG, {"unsafe": False, "positional": []})
        _, plan = generate(ctx)
        assert emit_object(generate(ctx, plan)[0]).startswith(b"\x7fELF")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_programs_never_crash(data: st.DataObject):
    _compile(_mutate(data.draw(st.sampled_from(SEEDS)), data))
