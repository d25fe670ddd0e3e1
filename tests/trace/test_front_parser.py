"""Parser tests: the one-liner corpus, precedence, statements, and multi-error recovery."""

from __future__ import annotations

import pytest
from front_helpers import ONE_LINERS, expr_of, parse_errors, parse_ok, sexpr

from beholder.trace import ast


@pytest.mark.parametrize("text", ONE_LINERS)
def test_one_liners_parse(text: str) -> None:
    prog = parse_ok(text)
    assert prog.probes
    assert all(p.spec is not None for probe in prog.probes for p in probe.attach_points)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("1 << 2 + 3", "(<< 1 (+ 2 3))"),
        ("1 < 2 << 3", "(< 1 (<< 2 3))"),
        ("1 == 2 < 3", "(== 1 (< 2 3))"),
        ("1 & 2 == 3", "(& 1 (== 2 3))"),
        ("1 ^ 2 & 3", "(^ 1 (& 2 3))"),
        ("1 | 2 ^ 3", "(| 1 (^ 2 3))"),
        ("1 && 2 | 3", "(&& 1 (| 2 3))"),
        ("1 || 2 && 3", "(|| 1 (&& 2 3))"),
        ("1 || 2 ? 3 : 4", "(? (|| 1 2) 3 4)"),
        ("1 ? 2 : 3 ? 4 : 5", "(? 1 2 (? 3 4 5))"),
        ("-1 * 2", "(* (- 1) 2)"),
        ("!$a && ~$b", "(&& (! $a) (~ $b))"),
        ("*$p + 1", "(+ (* $p) 1)"),
        ("$i++ + ++$j", "(+ (++post $i) (++ $j))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("(uint32)$x + 1", "(+ (cast uint32 $x) 1)"),
        ("(struct task_struct *)curtask->pid", "(cast struct task_struct * curtask->pid)"),
        ("((struct task_struct *)curtask)->pid", "(cast struct task_struct * curtask)->pid"),
        ("(unsigned long long)$x", "(cast unsigned long long $x)"),
        ("(uint8[4])$x", "(cast uint8[4] $x)"),
        ("$a * $b", "(* $a $b)"),
        ("@x[1, comm]", "@x[1, comm]"),
        ("@x[1][2]", "@x[1][2]"),
        ("@", "@"),
        ("args->sk->__sk_common.skc_dport", "args->sk->__sk_common.skc_dport"),
        ("args.count", "args.count"),
        ("@t.0.1", "@t.0.1"),
        ('(1, "two", $x)', "(tuple 1 'two' $x)"),
        ("kstack(perf, 3)", "kstack(perf, 3)"),
        ("str($1) == $2", "(== str($1) $2)"),
        ("!@x[1]--", "(! (--post @x[1]))"),
    ],
)
def test_precedence(text: str, expected: str) -> None:
    assert expr_of(text) == expected


def test_predicate_division_needs_parens() -> None:
    prog = parse_ok("BEGIN /(pid / 2) > 1/ { }")
    assert sexpr(prog.probes[0].predicate) == "(> (/ pid 2) 1)"  # type: ignore[arg-type]


def test_statements() -> None:
    prog = parse_ok(
        "BEGIN { if ($x) { @a = 1 } else if ($y) { @b = 2; } else { @c += 3; }"
        " while ($i < 3) { $i++; break; continue } unroll(2) { @d <<= 1 }"
        " return; let $z = 1; let $w: uint64; { $q = 1 }; ; }"
    )
    stmts = prog.probes[0].block.stmts
    kinds = [type(s).__name__ for s in stmts]
    assert kinds == ["If", "While", "Unroll", "Return", "VarDecl", "VarDecl", "Block"]
    if_stmt = stmts[0]
    assert isinstance(if_stmt, ast.If) and if_stmt.other is not None
    nested = if_stmt.other.stmts[0]
    assert isinstance(nested, ast.If) and nested.other is not None
    last = nested.other.stmts[0]
    assert isinstance(last, ast.AssignMap) and last.op == "+"
    unroll = stmts[2]
    assert isinstance(unroll, ast.Unroll)
    shift = unroll.body.stmts[0]
    assert isinstance(shift, ast.AssignMap) and shift.op == "<<"


def test_empty_bodies_multiple_attach_points_and_old_new_names() -> None:
    prog = parse_ok("begin {} END {} kprobe:a, kprobe:b,\n  kretprobe:c { }")
    assert [p.provider for p in prog.probes[0].attach_points] == ["begin"]
    assert [p.provider for p in prog.probes[1].attach_points] == ["end"]
    assert [p.raw for p in prog.probes[2].attach_points] == ["kprobe:a", "kprobe:b", "kretprobe:c"]


def test_config_and_includes() -> None:
    prog = parse_ok(
        "#include <linux/sched.h>\n#define X 1\n"
        'config = { max_map_keys = 100; stack_mode = perf; str_trunc_trailer = "..." }\n'
        "BEGIN { }"
    )
    assert prog.directives == ["#include <linux/sched.h>", "#define X 1"]
    assert prog.config is not None
    assert [c.key for c in prog.config] == ["max_map_keys", "stack_mode", "str_trunc_trailer"]


def test_sizeof_offsetof() -> None:
    prog = parse_ok(
        "BEGIN { @a = sizeof(struct task_struct); @b = sizeof($x); "
        "@c = offsetof(struct sk_buff, len); @d = offsetof(struct a, b.c); }"
    )
    values = [s.value for s in prog.probes[0].block.stmts]  # type: ignore[attr-defined]
    assert isinstance(values[0], ast.Sizeof) and isinstance(values[0].arg, ast.TypeName)
    assert isinstance(values[1], ast.Sizeof) and isinstance(values[1].arg, ast.Variable)
    assert isinstance(values[3], ast.Offsetof) and values[3].fields == ("b", "c")


def test_locations_point_at_source() -> None:
    prog = parse_ok("kprobe:f {\n  @x = foo(1);\n}")
    stmt = prog.probes[0].block.stmts[0]
    assert isinstance(stmt, ast.AssignMap)
    assert (stmt.map.loc.line, stmt.map.loc.col, stmt.map.loc.end_col) == (2, 3, 5)
    assert (stmt.value.loc.line, stmt.value.loc.col, stmt.value.loc.end_col) == (2, 8, 11)


def test_several_errors_reported_at_once() -> None:
    text = (
        "kprobe:f { @a = ; $x = 1 + ; }\n"
        'BEGIN { printf("ok"); 1 = 2; }\n'
        "tracepoint:foo { @b = 1 }\n"
        "END { @c = 1 @d = 2; }"
    )
    assert parse_errors(text) == (
        "prog.bt:1:17: error: expected expression, got ';'\n"
        "kprobe:f { @a = ; $x = 1 + ; }\n"
        "                ^\n"
        "prog.bt:1:28: error: expected expression, got ';'\n"
        "kprobe:f { @a = ; $x = 1 + ; }\n"
        "                           ^\n"
        "prog.bt:2:23: error: cannot assign to this expression; only @maps and $variables can be assigned\n"
        'BEGIN { printf("ok"); 1 = 2; }\n'
        "                      ^\n"
        "prog.bt:3:1: error: tracepoint:foo: tracepoint probe requires category and name: tracepoint:<category>:<name>\n"
        "tracepoint:foo { @b = 1 }\n"
        "~~~~~~~~~~~~~~\n"
        "prog.bt:4:13: error: expected ';' after statement, got '@d'\n"
        "END { @c = 1 @d = 2; }\n"
        "            ^"
    )


def test_missing_brace_and_predicate_errors() -> None:
    rendered = parse_errors("kprobe:f /pid == 1 { @a = 1; }\nBEGIN { @b = 1;")
    assert "error: expected '/' to close the predicate, got '{'" in rendered
    assert "error: unterminated block: expected '}'" in rendered
    rendered = parse_errors("kprobe:f kprobe:g { }")
    assert "expected '{' or a predicate after the attach point, got 'kprobe:g'" in rendered


def test_recovery_keeps_later_probes() -> None:
    from beholder.trace.diagnostics import Diagnostics
    from beholder.trace.parser import parse
    from beholder.trace.source import Source

    source = Source("BEGIN { @a = (; } kprobe:f { @b = 1; } ) END { }")
    diags = Diagnostics(source)
    prog = parse(source, diags)
    assert [p.attach_points[0].raw for p in prog.probes] == ["BEGIN", "kprobe:f", "END"]
    assert [d.message for d in diags] == [
        "expected expression, got ';'",
        "expected a probe, got ')'",
    ]
