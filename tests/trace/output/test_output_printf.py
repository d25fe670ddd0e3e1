"""printf()/format semantics (the golden printf case covers the bulk byte-for-byte)."""

from __future__ import annotations

import time

import pytest

from beholder.trace.output import (
    Buffer,
    FormatError,
    Stack,
    format_printf,
    parse_format,
    printf_arg_type,
    strftime_text,
    time_text,
)


@pytest.mark.parametrize(
    ("fmt", "args", "out"),
    [
        ("%d", [0xFFFFFFFFFFFFFFFF], "-1"),
        ("%u", [0xFFFFFFFFFFFFFFFF], "4294967295"),  # plain %u reads 32 bits
        ("%lu", [0xFFFFFFFFFFFFFFFF], "18446744073709551615"),
        ("%llu", [-1], "18446744073709551615"),
        ("%ld", [0xFFFFFFFFFFFFFFFF], "-1"),
        ("%hhd", [200], "-56"),
        ("%hu", [70000], "4464"),
        ("%x", [-1], "ffffffff"),
        ("%lX", [-1], "FFFFFFFFFFFFFFFF"),
        ("%o", [8], "10"),
        ("%p", [0], "(nil)"),
        ("%p", [0xDEAD], "0xdead"),
        ("%-10p|", [255], "0xff      |"),
        ("%c", [0x141], "A"),
        ("%5.2d", [3], "   03"),
        ("%05.3d", [5], "  005"),  # precision disables '0' (C, unlike Python's %)
        ("%.0d|", [0], "|"),
        ("%-05d|", [-42], "-42  |"),
        ("%05d", [-42], "-0042"),
        ("%.2s", ["éa"], "é"),  # precision counts bytes
        ("%d", [True], "1"),
        ("no args\n", [], "no args\n"),
        ("100%%", [], "100%%"),  # trailing text is not given to snprintf
        ("%d%%", [1], "1%%"),
        ("%%%d", [1], "%1"),
        ("%%d", [1], "%d"),  # bpftrace counts the %d, snprintf prints it literally
        ("%i %d", [], "%i %d"),
    ],
)
def test_format(fmt: str, args: list[object], out: str) -> None:
    if fmt == "%i %d":
        with pytest.raises(FormatError):
            format_printf(fmt, args)
        return
    assert format_printf(fmt, args) == out


def test_stack_and_buffer_arguments() -> None:
    assert format_printf("%s|", [Stack(("a+1", "b+2"))]) == "\n        a+1\n        b+2\n|"
    assert format_printf("%s|", [Stack()]) == "|"
    buf = Buffer(b"hi\x00\xff")
    assert format_printf("%r", [buf]) == "hi\\x00\\xff"
    assert format_printf("%rx", [buf]) == "\\x68\\x69\\x00\\xff"
    assert format_printf("%rh", [buf]) == "68 69 00 ff"


@pytest.mark.parametrize(
    ("fmt", "types", "message"),
    [
        (
            "%d %d\n",
            ["integer"],
            "printf: Not enough arguments for format string (1 supplied, 2 expected)",
        ),
        ("%d\n", [], "printf: Not enough arguments for format string (0 supplied, 1 expected)"),
        (
            "%d\n",
            ["integer"] * 2,
            "printf: Too many arguments for format string (2 supplied, 1 expected)",
        ),
        (
            "%s\n",
            ["integer"],
            "printf: %s specifier expects a value of type string (integer supplied)",
        ),
        (
            "%lld\n",
            ["string"],
            "printf: %lld specifier expects a value of type integer (string supplied)",
        ),
        (
            "%r\n",
            ["string"],
            "printf: %r specifier expects a value of type buffer (string supplied)",
        ),
        ("%-5s %03x\n", ["string", "integer"], None),
    ],
)
def test_validate_messages_match_bpftrace(fmt: str, types: list[str], message: str | None) -> None:
    assert parse_format(fmt).validate(types) == message


def test_printf_arg_type_from_static_kinds() -> None:
    kinds = ["int", "pointer", "string", "stack", "ksym", "buffer", "tuple", "count"]
    assert [printf_arg_type(k) for k in kinds] == [
        "integer",
        "integer",
        "string",
        "string",
        "string",
        "buffer",
        "tuple",
        "count",
    ]
    spec = parse_format("%s %d\n")
    assert spec.validate([printf_arg_type("tuple"), printf_arg_type("int")]) == (
        "printf: %s specifier expects a value of type string (tuple supplied)"
    )


def test_format_raises_on_mismatch() -> None:
    with pytest.raises(
        FormatError,
        match=r"printf: %d specifier expects a value of type integer \(string supplied\)",
    ):
        format_printf("%d", ["x"])


def test_parse_once_format_many() -> None:
    spec = parse_format("[%-6s] %5lu us\n")
    assert [c.length + c.conv for c in spec.conversions] == ["s", "lu"]
    assert spec.conversions[0].left and spec.conversions[0].width == 6
    assert spec.trailing == " us\n"
    assert spec.format(["cat", 42]) == "[cat   ]    42 us\n"
    assert spec.format(["bash", 7]) == "[bash  ]     7 us\n"


def test_stray_percent_before_a_conversion_is_rejected() -> None:
    # glibc would consume an argument for "% o" in "50% off %d"; bpftrace prints garbage.
    with pytest.raises(FormatError):
        parse_format("50% off %d\n")


def test_strftime_microseconds_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        # boot at 1_700_000_000.250000000, event 1.5 s after boot
        text = strftime_text("%H:%M:%S.%f", 1_500_000_000, 1_700_000_000, 250_000_000)
        assert text == "22:13:21.750000"
        assert strftime_text("%f", 1_999, 0, 0) == "000001"
        assert strftime_text("x" * 64, 0, 0, 0) == "(?)"  # bpftrace's 64-byte buffer
        assert time_text("%Y\n", now=0) == "1970\n"
        assert time_text("", now=0) is None
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
