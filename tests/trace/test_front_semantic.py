"""Semantic pass tests: names, arities, scopes, unsafe calls, map types and tracepoint args."""

from __future__ import annotations

import pytest
from front_helpers import catalog

from beholder.trace import ast
from beholder.trace.diagnostics import CompileError
from beholder.trace.frontend import compile_front
from beholder.trace.typesys import Kind


def errors(text: str, **kw: object) -> list[str]:
    with pytest.raises(CompileError) as info:
        compile_front(text, "prog.bt", **kw)  # type: ignore[arg-type]
    return [d.message for d in info.value.diagnostics.errors]


def test_unknown_function_renders_like_clang() -> None:
    with pytest.raises(CompileError) as info:
        compile_front("kprobe:f { foo(); }", "prog.bt")
    assert str(info.value) == (
        "prog.bt:1:12: error: unknown function 'foo'\nkprobe:f { foo(); }\n           ~~~"
    )


def test_several_semantic_errors_at_once() -> None:
    with pytest.raises(CompileError) as info:
        compile_front('BEGIN {\n\t@x = count();\n\t@x = 1;\n\tsystem("ls");\n\t$y = $z;\n}', "p.bt")
    assert str(info.value) == (
        "p.bt:3:2: error: type mismatch for @x: assigning a value of type int but @x already holds a count()\n"
        "\t@x = 1;\n"
        "\t~~\n"
        "p.bt:4:2: error: system() is unsafe; run with --unsafe\n"
        '\tsystem("ls");\n'
        "\t~~~~~~\n"
        "p.bt:5:7: error: undefined variable $z\n"
        "\t$y = $z;\n"
        "\t     ~~"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "BEGIN { @x = count(); @x = sum(1); }",
            "type mismatch for @x: assigning a sum() but @x already holds a count()",
        ),
        (
            'BEGIN { @x = 1; @x = "s"; }',
            "type mismatch for @x: assigning a value of type string but @x already holds a value of type int",
        ),
        (
            'BEGIN { @x[1] = 1; @x["a"] = 1; }',
            "type mismatch for @x key: string here, int elsewhere",
        ),
        ("BEGIN { @x[1] = 1; @x[1, 2] = 1; }", "@x used with 2 key(s) here but 1 key(s) elsewhere"),
        ('BEGIN { $x = 1; $x = "a"; }', "type mismatch for $x: assigning string but $x holds int"),
        ("BEGIN { bar(1); }", "unknown function 'bar'"),
        ("BEGIN { printf(); }", "printf() takes at least 1 argument, got 0"),
        ("BEGIN { @ = count(1); }", "count() takes 0 arguments, got 1"),
        ("BEGIN { @ = lhist(1, 2); }", "lhist() takes 4 arguments, got 2"),
        ("BEGIN { @ = hist(1, 2, 3); }", "hist() takes 1 to 2 arguments, got 3"),
        ('BEGIN { strncmp("a", "b"); }', "strncmp() takes 3 arguments, got 2"),
        ('BEGIN { system("ls"); }', "system() is unsafe; run with --unsafe"),
        ("BEGIN { signal(9); }", "signal() is unsafe; run with --unsafe"),
        ("kprobe:f { override(1); }", "override() is unsafe; run with --unsafe"),
        ("BEGIN { $x = $y + 1; }", "undefined variable $y"),
        ("BEGIN { $i++; }", "undefined variable $i"),
        ("BEGIN { print(@never); }", "undefined map @never: it is never assigned"),
        ("BEGIN { printf(args.x); }", "'args' is not available in begin probes"),
        ("profile:hz:99 { @[args.x] = count(); }", "'args' is not available in profile probes"),
        (
            "kprobe:f { @ = retval; }",
            "'retval' is only available in kretprobe, uretprobe and fexit probes",
        ),
        (
            "BEGIN { $x = count(); }",
            "count() must be assigned directly to a map, e.g. @x = count(...)",
        ),
        (
            "BEGIN { @x = count() + 1; }",
            "count() must be assigned directly to a map, e.g. @x = count(...)",
        ),
        ("BEGIN { delete(1); }", "delete() expects a @map as argument 1"),
        (
            'BEGIN { printf("%d %s\\n", 1); }',
            "printf() format string expects 2 argument(s) but 1 given",
        ),
        (
            'BEGIN { $f = "%d"; printf($f, 1); }',
            "printf() needs a string literal as its first argument",
        ),
        ("BEGIN { @ = lhist(1, 0, $x, 1); }", "undefined variable $x"),
        ('BEGIN { @ = 1 + "a"; }', "'+' needs a number, got string"),
        ('BEGIN { @ = comm < "a"; }', "'<' needs a number, got string"),
        ("BEGIN { unroll(0) { } }", "unroll count must be an integer literal from 1 to 100"),
        ("BEGIN { unroll($x) { } }", "unroll count must be an integer literal from 1 to 100"),
        ("BEGIN { break; }", "'break' outside of a loop"),
        ('BEGIN { @t = (1, "a"); @u = @t.2; }', "tuple (int, string) has no element '2'"),
        (
            'BEGIN { $v = 1 ? 2 : "x"; }',
            "conditional branches have different types: int and string",
        ),
        ("BEGIN { $x = $0; }", "positional parameters start at $1"),
        (
            "BEGIN { @x = 1; @x = count(); }",
            "type mismatch for @x: assigning a count() but @x already holds a value of type int",
        ),
        ("BEGIN { $x = exit(); }", "this expression has no value to assign"),
    ],
)
def test_semantic_errors(text: str, message: str) -> None:
    assert message in errors(text)


def test_unsafe_option_allows_system() -> None:
    compile_front('BEGIN { system("echo %d", 1); signal(9); }', options={"unsafe": True})


def test_positional_params() -> None:
    compile_front(
        'BEGIN { @ = $1 + $3; printf("%s", str($2)); }', options={"positional": ["1", "abc"]}
    )
    assert errors("BEGIN { @ = $1 + 1; }", options={"positional": ["abc"]}) == [
        '$1 used numerically but given "abc"'
    ]
    ctx = compile_front("BEGIN { @n = $#; }", options={"positional": ["a", "b"]})
    assert ctx.results["positional"] == ["a", "b"]


def test_map_types_recorded() -> None:
    ctx = compile_front(
        "kprobe:f { @c[comm, pid] = count(); @h = hist(arg0); @l = lhist(arg1, 0, 100, 10);"
        " @s = sum(1); @a = avg(1); @mn = min(1); @mx = max(1); @st = stats(1);"
        ' @i = 5; @str[tid] = comm; @t = (1, "x"); @k[kstack] = 1; @c[comm, pid] = count(); @i++; }'
        " END { if (@i > 1) { print(@c); clear(@h); } }"
    )
    maps = ctx.results["maps"]
    kinds = {name: info.value_kind for name, info in maps.items()}
    assert kinds == {
        "@c": "count", "@h": "hist", "@l": "lhist", "@s": "sum", "@a": "avg", "@mn": "min",
        "@mx": "max", "@st": "stats", "@i": "int", "@str": "string", "@t": "tuple", "@k": "int",
    }  # fmt: skip
    assert [str(k) for k in maps["@c"].keys] == ["string", "int"]
    assert maps["@h"].keys == ()
    assert [str(k) for k in maps["@k"].keys] == ["stack"]
    assert str(maps["@t"].value) == "(int, string)"


def test_expression_types_annotated() -> None:
    ctx = compile_front("BEGIN { $x = (uint32)1; @y = $x + 1; @z = str($x); @p = &$x; }")
    stmts = ctx.program.probes[0].block.stmts
    values = [s.value for s in stmts if isinstance(s, ast.AssignMap | ast.AssignVar)]
    assert [v.ty.kind if v.ty else None for v in values] == [
        Kind.INT,
        Kind.INT,
        Kind.STRING,
        Kind.PTR,
    ]


def test_tracepoint_fields_checked_when_catalog_knows_them() -> None:
    cat = catalog()
    msgs = errors(
        'tracepoint:syscalls:sys_enter_openat { printf("%s", str(args.filenam)); }', catalog=cat
    )
    assert msgs == [
        "tracepoint:syscalls:sys_enter_openat has no field 'filenam'; "
        "fields are: __syscall_nr, dfd, filename, flags, mode"
    ]
    ctx = compile_front(
        "tracepoint:syscalls:sys_enter_open* { @[str(args->filename)] = count(); }"
        " t:sched:sched_switch { @s[args.prev_comm] = count(); @p[args.next_pid] = 1; }",
        catalog=cat,
    )
    used = ctx.results["tracepoint_fields"]
    assert set(used) == {
        "syscalls:sys_enter_open", "syscalls:sys_enter_openat",
        "syscalls:sys_enter_openat2", "sched:sched_switch",
    }  # fmt: skip
    assert [str(k) for k in ctx.results["maps"]["@s"].keys] == ["string"]
    assert [str(k) for k in ctx.results["maps"]["@p"].keys] == ["int"]


def test_unknown_tracepoint_fields_are_deferred() -> None:
    # No format data for sys_enter_read: the field is left for the kernel-backed pass.
    compile_front("t:syscalls:sys_enter_read { @ = sum(args.count); }", catalog=catalog())
    compile_front("t:foo:bar { @ = sum(args.whatever); }")


def test_for_loops() -> None:
    ctx = compile_front(
        'BEGIN { @m[1, "a"] = 5; @n[comm] = count();'
        ' for ($kv : @m) { printf("%d\\n", $kv.1); break; }'
        " for ($i : 0..10) { @x = $i; continue; }"
        " for ($e : @n) { @y[$e.0] = $e.1; } }"
    )
    loops = [s for s in ctx.program.probes[0].block.stmts if isinstance(s, ast.For)]
    assert [str(loop.var.ty) for loop in loops] == ["((int, string), int)", "int", "(string, int)"]
    assert loops[1].end is not None
    assert [str(k) for k in ctx.results["maps"]["@y"].keys] == ["string"]
    assert errors("BEGIN { for ($x : 1) {} }") == [
        "for loops iterate over a whole @map or a range a..b"
    ]
    # The loop variable does not outlive the loop.
    assert errors("BEGIN { for ($i : 0..3) {} @a = $i; }") == ["undefined variable $i"]


def test_config_recorded() -> None:
    ctx = compile_front('config = { max_map_keys = 100; stack_mode = perf; x = "s" } BEGIN { }')
    assert ctx.results["config"] == {"max_map_keys": 100, "stack_mode": "perf", "x": "s"}
    assert errors("config = { a = 1 + 1; a = 2 } BEGIN { }") == [
        "config value for 'a' must be a literal",
        "config key 'a' is set twice",
    ]


def test_typo_suggestions_and_identifiers() -> None:
    assert errors('BEGIN { @ = pidd; prinft("x"); @u[ustack(foo)] = 1; @z = zzz; }') == [
        "unknown identifier 'pidd'; did you mean 'pid'?",
        "unknown function 'prinft'; did you mean 'printf'?",
        "ustack() mode must be one of bpftrace, perf, raw, got 'foo'",
        "unknown identifier 'zzz'",
    ]
    # Upper-case names may be enum constants: left for the BTF pass to resolve.
    ctx = compile_front("kprobe:f { @e = TCP_ESTABLISHED; @k[kstack(perf, 3)] = count(); }")
    assert [i.name for i in ctx.results["unresolved_identifiers"]] == ["TCP_ESTABLISHED"]


def test_catalog_without_supports_method() -> None:
    class Legacy:
        def tracepoints(self, pattern: str) -> list[str]:
            return []

        def has_kprobes(self) -> bool:
            return False

    assert errors("kprobe:kfree { }", catalog=Legacy()) == [
        "kprobe:kfree: this kernel has no kprobes (not supported by this kernel); "
        "use tracepoint:kmem:kfree instead"
    ]
