"""Source mapping, diagnostic rendering, and the -d ast dump."""

from __future__ import annotations

from front_helpers import parse_ok

from beholder.trace.ast_dump import dump
from beholder.trace.diagnostics import CompileError, Diagnostics, Severity
from beholder.trace.frontend import compile_front
from beholder.trace.source import Loc, Source


def test_source_line_col() -> None:
    src = Source("ab\ncd\n\nef", "f.bt")
    assert src.line_col(0) == (1, 1)
    assert src.line_col(3) == (2, 1)
    assert src.line_col(7) == (4, 1)
    assert src.line_col(100) == (4, 3)
    assert src.line_text(2) == "cd" and src.line_text(3) == "" and src.line_text(9) == ""
    assert src.loc(3, 5) == Loc("f.bt", 2, 1, 3)
    # A span running onto the next line is cut at the end of the first.
    assert src.loc(0, 4) == Loc("f.bt", 1, 1, 3)


def test_render_severities_and_no_location() -> None:
    src = Source("BEGIN { }", "x.bt")
    diags = Diagnostics(src)
    diags.warning("unused", src.loc(0, 5))
    diags.error("global problem")
    diags.error("global problem")  # duplicates collapse
    assert len(diags) == 2 and diags.has_errors
    assert [d.severity for d in diags] == [Severity.WARNING, Severity.ERROR]
    err = CompileError(diags)
    assert str(err) == "x.bt:1:1: warning: unused\nBEGIN { }\n~~~~~\nx.bt: error: global problem"


def test_dump() -> None:
    prog = parse_ok(
        'kprobe:f, k:g /pid > 1/ { @x[comm] = count(); if ($a) { $b++; } else { @y = (1, "a\\n"); } }'
    )
    assert dump(prog) == (
        "Program\n"
        " kprobe:f\n"
        " kprobe:g\n"
        "  pred\n"
        "   >\n"
        "    builtin: pid\n"
        "    int: 1\n"
        "  =\n"
        "   map: @x\n"
        "    builtin: comm\n"
        "   call: count\n"
        "  if\n"
        "   variable: $a\n"
        "   then\n"
        "    ++ (post)\n"
        "     variable: $b\n"
        "   else\n"
        "    =\n"
        "     map: @y\n"
        "     tuple:\n"
        "      int: 1\n"
        '      string: "a\\n"\n'
    )


def test_dump_with_types() -> None:
    ctx = compile_front("BEGIN { @x = 1 + 2; }")
    assert "  =\n   map: @x :: int\n   + :: int\n" in dump(ctx.program, show_types=True)
