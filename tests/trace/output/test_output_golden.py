"""Byte-for-byte comparison with real bpftrace 0.17 output (golden/*.txt, *.json).

Each driver replays, through our Printer, the events the matching program in
golden_programs.py produced in bpftrace, with the equivalent value-model
inputs.  The goldens come from regen_golden.py (see golden/README.md).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from golden_programs import PROGRAMS  # noqa: E402

from beholder.trace.output import (
    Avg,
    Count,
    Histogram,
    JsonPrinter,
    LinearHistogram,
    Max,
    Min,
    Printer,
    Stack,
    Stats,
    Sum,
    Symbol,
    TextPrinter,
    Unquoted,
    format_printf,
    snapshot,
)

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
H = Histogram.from_values
LH = LinearHistogram.from_values


def basic(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    p.exit_maps(
        {
            "@h": {(): H([5, 100, -3, 0, 1, 2, 3, 1024, 1500000])},
            "@l": {(): LH(0, 10, 2, [3, -1, 10, 100])},
            "@c": {(1, "a"): Count(1)},
            "@s": {(): Stats(2, 10)},
            "@a": {(): Avg(2, 7)},
        }
    )


def exit_order(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    p.exit_maps(
        {"@z": {(): 1}, "@a": {(): Count(1)}, "@": {(): Sum(3)}, "@B": {(): 2}, "@_x": {(): 3}}
    )


def count_keys(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    p.exit_maps(
        {
            "@c": {1: Count(1), -5: Count(2), 7: Count(3)},
            "@s": {"bb": Count(1), "a": Count(2)},
            "@m": {("x", 2): Count(1), ("y", 1): Count(2), ("x", 1): Count(3)},
        }
    )


def aggregates(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    p.exit_maps(
        [
            snapshot("@s", {"b": Sum(-4), "a": Sum(10), "c": Sum(0)}),
            snapshot("@m", {("x", 2): Min(-3), ("y", 1): Min(5), ("z", 1): Min(0)}),
            snapshot("@M", {2: Max(9), 3: Max(4)}),
            snapshot("@a", {1: Avg(1, -10), 2: Avg(2, 13), 3: Avg(2, -13)}),
            snapshot("@st", {1: Stats(1, -7), 2: Stats(2, 101)}),
            snapshot("@mx", {}, kind="max"),  # max(-3) never stored (0.17 quirk)
            snapshot("@mn", {(): Min(-3)}),
            snapshot("@mn2", {(): Min(4000000000)}),
            snapshot("@mx2", {(): Max(5000000000)}),
            snapshot("@neg", {(): Sum(-5)}),
        ]
    )


def hist_edges(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    p.exit_maps(
        {
            "@h": {(): H([-1, 0, 1, 3])},
            "@big": {(): H([1 << 30, 1 << 31, 1 << 40, 0x7FFFFFFFFFFFFFFF])},
            "@k": {(1, "a"): H([1024, 1024]), (2, "b"): H([5])},
            "@e": {3: H([5]), 2: H([6]), 256: H([7])},
            "@third": {(): H([1, 4, 4, 4])},
            "@m": {(): H([3000000, 3000000, 70000])},
        }
    )


def lhist(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    p.exit_maps(
        {
            "@l": {(): LH(0, 10, 3, [9, 10, 11, -1])},
            "@k": {(): LH(0, 4096, 1024, [2048, 5000])},
            "@m": {(): LH(0, 2097152, 1048576, [1048576])},
            "@n": {(): LH(5, 25, 5, [6, 5, 16])},
            "@mid": {(): LH(0, 100, 1, [5, 50, 50, 50])},
            "@kk": {"a": LH(0, 10, 5, [1]), "b": LH(0, 10, 5, [7, 7])},
        }
    )


def print_top_div(p: Printer, fmt: str) -> None:
    c = {"a": Count(1), "b": Count(2), "c": Count(5)}
    h = {1: H([5]), 2: H([5, 100]), 3: H([1, 1, 1])}
    a = {1: Avg(1, 100), 2: Avg(1, 200), 3: Avg(1, 300)}
    s = {1: Stats(1, 100), 2: Stats(1, 200)}
    lh = {(): LH(0, 10, 1, [5, 5])}
    p.attached_probes(1)
    for name, entries, top, div in [
        ("@c", c, 2, 0),
        ("@c", c, 0, 2),
        ("@h", h, 2, 0),
        ("@h", h, 1, 2),
        ("@a", a, 2, 0),
        ("@a", a, 2, 10),
        ("@s", s, 1, 0),
        ("@s", s, 1, 10),
        ("@l", lh, 0, 2),
        ("@c", c, 10, 0),
    ]:
        p.print_map(name, entries, top, div)
    p.printf("--zero--\n")
    z = {1: Count(0)}
    hz = {k: Histogram() for k in (1, 2, 3)}
    az = {k: Avg(0, 0) for k in (1, 2, 3)}
    sz = {k: Stats(0, 0) for k in (1, 2)}
    for name, entries in [("@z", z), ("@h", hz), ("@a", az), ("@s", sz)]:
        p.print_map(name, entries)
    p.printf("--clear--\n")
    p.print_map("@c", {}, kind="count")
    p.print_map("@h", {}, kind="hist")
    p.print_map("@s", {}, kind="stats")
    p.printf("--end--\n")
    p.exit_maps(
        [
            snapshot("@a", az),
            snapshot("@c", {}, kind="count"),
            snapshot("@h", {}, kind="hist"),
            snapshot("@l", lh),
            snapshot("@s", {}, kind="stats"),
            snapshot("@z", z),
        ]
    )


def values(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    for v in (5, -5, "hello", (1, "two", -3), (1, (2, "x"))):
        p.print_value(v)
    p.print_value(7)
    p.print_map("@i", {2: 10, 1: -10})
    p.print_map("@t", {(): (1, "two")})
    p.print_value(True)
    p.exit_maps(
        {
            "@esc": {(): 'x\ty"q\\'},
            "@i": {2: 10, 1: -10},
            "@str": {"b": "vb", "a": "va", "ab": "vab"},
            "@t": {(): (1, "two")},
            "@tk": {5: (3, "x"), -1: (4, "y"), 2: (5, "z")},
            "@u": {"é": Count(1)},
        }
    )


PRINTF_CALLS: list[tuple[str, list[object]]] = [
    ("%d|%u|%x|%X|%o|%s|%c|%p|\n", [-1, -1, 255, 255, 8, "str", 65, 4096]),
    (
        "%ld|%lu|%lld|%llu|%hu|%hhu|%zu|%hd|%hhd|%lx|%llX|%jd|%td|%zd\n",
        [-1, -1, -1, -1, -1, -1, -1, 70000, 200, -1, -1, -1, -1, -1],
    ),
    (
        "[%-10s][%10s][%5d][%-5d][%05d][%.3s][%8.3s][%-8.3s]\n",
        ["abc", "abc", 42, 42, 42, "abcdef", "abcdef", "abcdef"],
    ),
    ("100%%\n", []),
    ("%d%% done %%\n", [5]),
    ("100%% %d\n", [5]),
    ("a%%d\n", [7]),
    ("%i\n", []),
    ("%p %p %lp\n", [0, 1, 255]),
    ("%x %lx %d %u\n", [5000000000] * 4),
    ("%c%c\n", [256 + 66, 0x41]),
    ("%s\n", ['tab\there"q\\']),
    ("%5.2d|%.5d|%10.4x|%.0d|\n", [3, 3, 255, 0]),
    ("[%05s][%-05d][%010p][%-6c][%8p]\n", ["ab", 42, 255, 65, 0]),
    ("é%s\x01\n", ["ü"]),
    ("%-4s|%3s|\n", ["é", "é"]),
]


def printf(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    for f, args in PRINTF_CALLS:
        p.printf(format_printf(f, args))
    p.exit_maps({})


def symbols(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    p.exit_maps({"@a": {1: Symbol("vfs_read"), 2: Symbol("vfs_write")}, "@p": {(): "BEGIN"}})


def unquoted(p: Printer, fmt: str) -> None:
    p.attached_probes(1)
    p.print_value(Unquoted("Operation not permitted"))
    p.exit_maps(
        {
            "@e": {(): Unquoted("No such file or directory")},
            "@k": {1: Unquoted("Permission denied")},
        }
    )


def bars(p: Printer, fmt: str) -> None:
    # value i recorded i times, for i in 1..M: bucket index i + 1 holds count i
    def ramp(m: int) -> LinearHistogram:
        return LinearHistogram(0, 100, 1, [0, 0, *range(1, m + 1)])

    p.attached_probes(1)
    p.exit_maps({"@a": {(): ramp(52)}, "@b": {(): ramp(49)}, "@c": {(): ramp(37)}})


IDLE3 = Stack(("pv_native_safe_halt+11", "default_idle+5", "default_enter_idle+27"))
IDLE2 = Stack(IDLE3.frames[:2])


def stacks(p: Printer, fmt: str) -> None:
    # The text and json goldens are two separate live runs (different stacks).
    p.attached_probes(1)
    shown = Stack() if fmt == "txt" else IDLE2
    p.print_value(shown)
    p.printf(format_printf("%s|\n", [shown]))
    if fmt == "txt":
        p.exit_maps(
            {
                "@": [(Stack(), Count(3)), (IDLE3, Count(3))],
                "@k2": [((Stack(), 5), Count(3)), ((IDLE2, 5), Count(3))],
                "@n": {(): 6},
                "@v": {(): Stack()},
            }
        )
    else:
        p.exit_maps(
            {
                "@": {IDLE3: Count(6)},
                "@k2": {(IDLE2, 5): Count(6)},
                "@n": {(): 6},
                "@v": {(): IDLE2},
            }
        )


DRIVERS: dict[str, Callable[[Printer, str], None]] = {
    f.__name__: f
    for f in (
        basic,
        exit_order,
        count_keys,
        aggregates,
        hist_edges,
        lhist,
        print_top_div,
        values,
        printf,
        symbols,
        stacks,
        bars,
        unquoted,
    )
}


@pytest.mark.parametrize("fmt", ["txt", "json"])
@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_matches_bpftrace(name: str, fmt: str) -> None:
    expected = (GOLDEN / f"{name}.{fmt}").read_bytes()
    buf = io.StringIO()
    printer = TextPrinter(buf) if fmt == "txt" else JsonPrinter(buf)
    DRIVERS[name](printer, fmt)
    got = buf.getvalue().encode("utf-8", "surrogateescape")
    assert got.decode("utf-8", "replace") == expected.decode("utf-8", "replace")
    assert got == expected


def test_every_golden_has_a_driver() -> None:
    names = {p.stem for p in GOLDEN.glob("*.txt")}
    assert names == set(DRIVERS) == set(PROGRAMS) | {"stacks"}
