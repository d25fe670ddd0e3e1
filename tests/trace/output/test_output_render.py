"""Ordering rules and renderer corners not covered by the goldens."""

from __future__ import annotations

import io

import pytest

from beholder.trace.output import (
    Avg,
    Count,
    Histogram,
    JsonPrinter,
    MapEntry,
    Stack,
    Stats,
    Symbol,
    TextPrinter,
    ValueKind,
    kind_of,
    make_printer,
    ordered_entries,
    snapshot,
)
from beholder.trace.output.json import json_escape, map_json
from beholder.trace.output.text import bar_width, hist_index_label, map_text


def keys(name: str, entries: object, top: int = 0, kind: str | None = None) -> list[object]:
    return [e.key for e in ordered_entries(snapshot(name, entries, kind), top)]  # type: ignore[arg-type]


def test_value_sorted_maps_keep_input_order_on_ties() -> None:
    entries = [("b", Count(1)), ("a", Count(1)), ("c", Count(0))]
    assert keys("@c", entries) == [("c",), ("b",), ("a",)]


def test_top_keeps_the_largest() -> None:
    entries = {k: Count(v) for k, v in {"a": 5, "b": 1, "c": 3}.items()}
    assert keys("@c", entries, top=2) == [("c",), ("a",)]
    assert keys("@c", entries, top=10) == [("b",), ("c",), ("a",)]


def test_hist_and_avg_ties_break_on_raw_key_bytes() -> None:
    # little-endian key bytes: 256 (00 01 ..) < 2 (02 00 ..) < 3
    h = {
        3: Histogram.from_values([5]),
        2: Histogram.from_values([6]),
        256: Histogram.from_values([7]),
    }
    assert keys("@h", h) == [(256,), (2,), (3,)]
    assert keys("@a", {3: Avg(1, 1), 256: Avg(1, 1), 2: Avg(1, 1)}) == [(256,), (2,), (3,)]
    # explicit raw keys win over the synthesized ones
    raw = [MapEntry(("x",), Avg(1, 1), b"\x02"), MapEntry(("y",), Avg(1, 1), b"\x01")]
    assert [e.key for e in ordered_entries(snapshot("@a", raw))] == [("y",), ("x",)]


def test_stats_ignore_top_but_avg_honours_it() -> None:
    s = {1: Stats(1, 1), 2: Stats(1, 2), 3: Stats(1, 3)}
    assert len(keys("@s", s, top=1)) == 3
    a = {1: Avg(1, 1), 2: Avg(1, 2), 3: Avg(1, 3)}
    assert keys("@a", a, top=1) == [(3,)]


def test_key_sorted_maps_compare_ints_as_u64_and_strings_bytewise() -> None:
    assert keys("@t", {5: "x", -1: "y", 2: "z"}) == [(2,), (5,), (-1,)]
    assert keys("@t", {"b": "1", "ab": "2", "a": "3", "B": "4"}) == [
        ("B",),
        ("a",),
        ("ab",),
        ("b",),
    ]
    multi = {("b", 1): "p", ("a", 2): "q", ("a", 1): "r"}
    assert keys("@t", multi) == [("a", 1), ("a", 2), ("b", 1)]
    # stacks are not sorted by bpftrace
    s1, s2 = Stack(("z",)), Stack(("a",))
    assert keys("@t", [(s1, "1"), (s2, "2")]) == [(s1,), (s2,)]


def test_kind_inference() -> None:
    assert kind_of(Count(1)) is ValueKind.COUNT
    assert kind_of(Stats(1, 1)) is ValueKind.STATS
    assert kind_of(Avg(1, 1)) is ValueKind.AVG
    assert kind_of(7) is ValueKind.INT
    assert kind_of(True) is ValueKind.INT
    assert kind_of(Symbol("f")) is ValueKind.SYMBOL
    assert kind_of("s") is ValueKind.STRING
    assert kind_of((1, "a")) is ValueKind.TUPLE
    with pytest.raises(TypeError):
        kind_of(1.5)


def test_empty_maps() -> None:
    assert map_text(snapshot("@c", {}, "count")) == "\n"
    assert map_text(snapshot("@h", {}, "hist")) == "\n"
    assert map_text(snapshot("@s", {}, "avg")) == "\n\n"
    assert map_json(snapshot("@c", {}, "count")) == ""


def test_key_ints_print_as_int64() -> None:
    assert map_text(snapshot("@", {0xFFFFFFFFFFFFFFFF: Count(1)})) == "@[-1]: 1\n"


def test_div_truncates_like_c() -> None:
    snap = snapshot("@s", {"a": -7, "b": 7})
    assert map_text(snap, div=2) == "@s[a]: -3\n@s[b]: 3\n"
    assert map_json(snap, div=2) == '{"type": "map", "data": {"@s": {"a": -3, "b": 3}}}\n'


def test_hist_labels_and_bars() -> None:
    assert [hist_index_label(p) for p in (0, 9, 10, 20, 30, 40, 45)] == [
        "1",
        "512",
        "1K",
        "1M",
        "1G",
        "1T",
        "32T",
    ]
    assert bar_width(1, 3) == 17
    assert bar_width(7, 7) == 52
    assert bar_width(15, 52) == 15  # in double, 15/52*52 = 14.999... -> 14
    assert bar_width(0, 1) == 0


def test_json_escape_matches_bpftrace() -> None:
    assert json_escape('a"b\\c\n\r\t') == 'a\\"b\\\\c\\n\\r\\t'
    assert json_escape("\x01\x1f\x7f") == "\\u0001\\u001f\x7f"
    assert json_escape("é") == "\\uffffffc3\\uffffffa9"


def test_printer_messages() -> None:
    t, j = io.StringIO(), io.StringIO()
    for p in (TextPrinter(t), JsonPrinter(j)):
        p.attached_probes(3)
        p.time("12:00:00\n")
        p.time(None)  # strftime failed: bpftrace prints nothing
        p.message("join", "a b")
        p.message("cat", "file\n", newline=False)
        p.lost_events(2)
        p.print_value(Stack(("f+1",)))
    assert t.getvalue() == (
        "Attaching 3 probes...\n12:00:00\na b\nfile\nLost 2 events\n\n        f+1\n\n"
    )
    assert j.getvalue().splitlines() == [
        '{"type": "attached_probes", "data": {"probes": 3}}',
        '{"type": "time", "data": "12:00:00\\n"}',
        '{"type": "join", "data": "a b"}',
        '{"type": "cat", "data": "file\\n"}',
        '{"type": "lost_events", "data": {"events": 2}}',
        '{"type": "value", "data": "\\n        f+1\\n"}',
    ]


def test_make_printer_and_snapshot_passthrough() -> None:
    out = io.StringIO()
    p = make_printer("json", out)
    p.print_map(snapshot("@x", {(): Count(2)}))
    assert out.getvalue() == '{"type": "map", "data": {"@x": 2}}\n'
    with pytest.raises(ValueError):
        make_printer("yaml", out)


def test_perf_mode_stacks_match_captured_bpftrace() -> None:
    # captured from: profile:hz:997 { @[kstack(perf, 2)] = count(); print(kstack(perf, 2)); }
    s1 = Stack(
        ("free_pgd_range+1062", "free_pgtables+444"),
        (0xFFFFFFFF815E0456, 0xFFFFFFFF815E090C),
        mode="perf",
    )
    s2 = Stack(
        ("exc_page_fault+215", "asm_exc_page_fault+34"),
        (0xFFFFFFFF821F2FA7, 0xFFFFFFFF81000C82),
        mode="perf",
    )
    out = io.StringIO()
    p = TextPrinter(out)
    p.print_value(s1)
    p.print_map("@", [(s1, Count(1)), (s2, Count(1))])
    assert out.getvalue() == (
        "\n\tffffffff815e0456 free_pgd_range+1062\n\tffffffff815e090c free_pgtables+444\n\n"
        "@[\n\tffffffff815e0456 free_pgd_range+1062\n\tffffffff815e090c free_pgtables+444\n]: 1\n"
        "@[\n\tffffffff821f2fa7 exc_page_fault+215\n\tffffffff81000c82 asm_exc_page_fault+34\n]: 1\n"
    )
