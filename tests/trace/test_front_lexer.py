"""Lexer tests: probe-header mode, literals, operators, comments and lexical errors."""

from __future__ import annotations

import pytest

from beholder.trace.diagnostics import Diagnostics
from beholder.trace.lexer import T, tokenize
from beholder.trace.literals import parse_int_literal
from beholder.trace.source import Source


def lex(text: str) -> tuple[list[tuple[str, str]], Diagnostics]:
    source = Source(text, "t.bt")
    diags = Diagnostics(source)
    toks = tokenize(source, diags)
    assert toks[-1].kind is T.EOF
    return [(t.kind.name, t.text) for t in toks[:-1]], diags


def kinds_ok(text: str) -> list[tuple[str, str]]:
    toks, diags = lex(text)
    assert not diags.has_errors, diags.render()
    return toks


@pytest.mark.parametrize(
    "header",
    [
        "tracepoint:syscalls:sys_enter_open*",
        "uprobe:/usr/lib/libc.so.6:malloc",
        "kprobe:do_sys_open+10",
        "i:ms:100",
        "profile:hz:99",
        "BEGIN",
        "begin",
        "t:sched:*",
        "t:syscalls:sys_enter_?ead",
        "software:cpu-clock:100000",
        'uprobe:"/opt/my app/bin":"ns::fn"',
        "usdt:/usr/bin/python3:python:function__entry",
        "watchpoint:0x10000000:8:rw",
        "kprobe:mod:func",
    ],
)
def test_probe_header_is_one_token(header: str) -> None:
    toks = kinds_ok(header + " { }")
    assert toks == [("ATTACH", header), ("PUNCT", "{"), ("PUNCT", "}")]


def test_header_list_predicate_and_body() -> None:
    toks = kinds_ok("kprobe:a,kr:b /pid / 2 == 1/ { @x = 1 / 2; }")
    assert toks[:3] == [("ATTACH", "kprobe:a"), ("PUNCT", ","), ("ATTACH", "kr:b")]
    # Inside a predicate a bare '/' closes it; the stray "2 == 1/" then reads as a header.
    assert toks[3:6] == [("PUNCT", "/"), ("BUILTIN", "pid"), ("PUNCT", "/")]


def test_parenthesised_division_stays_in_predicate() -> None:
    toks = kinds_ok("BEGIN /(pid / 2) == 1/ { }")
    assert ("PUNCT", "/") in toks[3:7]
    assert toks[-3:] == [("PUNCT", "/"), ("PUNCT", "{"), ("PUNCT", "}")]


def test_code_tokens() -> None:
    toks = kinds_ok("BEGIN { $x = @y[$1, $#] + @; args->f; foo(comm); if else unroll }")
    assert toks[1:] == [
        ("PUNCT", "{"),
        ("VAR", "$x"),
        ("PUNCT", "="),
        ("MAP", "@y"),
        ("PUNCT", "["),
        ("PARAM", "$1"),
        ("PUNCT", ","),
        ("PARAM_COUNT", "$#"),
        ("PUNCT", "]"),
        ("PUNCT", "+"),
        ("MAP", "@"),
        ("PUNCT", ";"),
        ("BUILTIN", "args"),
        ("PUNCT", "->"),
        ("IDENT", "f"),
        ("PUNCT", ";"),
        ("IDENT", "foo"),
        ("PUNCT", "("),
        ("BUILTIN", "comm"),
        ("PUNCT", ")"),
        ("PUNCT", ";"),
        ("KEYWORD", "if"),
        ("KEYWORD", "else"),
        ("KEYWORD", "unroll"),
        ("PUNCT", "}"),
    ]


def test_all_operators_longest_match() -> None:
    ops = "== != <= >= && || ! ~ << >> + - * / % & | ^ = += -= *= /= %= &= |= ^= <<= >>= ++ -- -> . ? : , ; ( ) [ ]"
    toks = kinds_ok("BEGIN { " + ops + " }")
    assert [t for _, t in toks[2:-1]] == ops.split()
    assert [t for _, t in kinds_ok("BEGIN { a<<=b>>c }")[2:-1]] == ["a", "<<=", "b", ">>", "c"]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("0", 0),
        ("42", 42),
        ("0x1F", 31),
        ("0755", 0o755),
        ("1_000", 1000),
        ("1_000_000", 10**6),
        ("10u", 10),
        ("10ul", 10),
        ("10ULL", 10),
        ("0xffff_ffff", 0xFFFFFFFF),
        ("1e6", None),
        ("08", None),
        ("1__0", None),
        ("10_", None),
        ("0x", None),
        ("10uu", None),
    ],
)
def test_int_literals(raw: str, value: int | None) -> None:
    assert parse_int_literal(raw) == value


def test_int_token_value_and_errors() -> None:
    source = Source("BEGIN { 0x10 1e6 99999999999999999999999 }", "t.bt")
    diags = Diagnostics(source)
    toks = tokenize(source, diags)
    assert toks[2].value == 16
    assert [d.message for d in diags] == [
        "invalid integer literal '1e6'",
        "integer literal '99999999999999999999999' does not fit in 64 bits",
    ]


def test_string_escapes() -> None:
    source = Source(r'BEGIN { "a\n\t\"\\\x41\101\0z" }', "t.bt")
    diags = Diagnostics(source)
    toks = tokenize(source, diags)
    assert not diags.has_errors
    assert toks[2].kind is T.STRING
    assert toks[2].value == 'a\n\t"\\AA\0z'


def test_string_errors_are_reported_with_location() -> None:
    toks, diags = lex('BEGIN { "bad \\q" ; "open\n }')
    assert diags.render() == (
        "t.bt:1:14: error: invalid escape sequence '\\q'\n"
        'BEGIN { "bad \\q" ; "open\n'
        "             ~~\n"
        "t.bt:1:20: error: unterminated string\n"
        'BEGIN { "bad \\q" ; "open\n'
        "                   ~~~~~"
    )


def test_comments_everywhere() -> None:
    text = "// header\n/* block\n comment */ kprobe:f /* x */ { // c\n @a = 1; /* y */ }"
    assert kinds_ok(text) == [
        ("ATTACH", "kprobe:f"),
        ("PUNCT", "{"),
        ("MAP", "@a"),
        ("PUNCT", "="),
        ("INT", "1"),
        ("PUNCT", ";"),
        ("PUNCT", "}"),
    ]
    _, diags = lex("BEGIN { } /* never closed")
    assert [d.message for d in diags] == ["unterminated comment"]


def test_directives_and_config_at_top_level() -> None:
    toks = kinds_ok("#include <linux/sched.h>\nconfig = { max_map_keys = 10 }\nBEGIN {}")
    assert toks[0] == ("DIRECTIVE", "#include <linux/sched.h>")
    assert toks[1] == ("KEYWORD", "config")
    assert toks[-3] == ("ATTACH", "BEGIN")


def test_unexpected_character() -> None:
    _, diags = lex("BEGIN { @a = 1 ` 2; }")
    assert [d.message for d in diags] == ["unexpected character '`'"]
