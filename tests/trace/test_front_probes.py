"""Attach-point spec tests: aliases, normalization, units, events and malformed headers."""

from __future__ import annotations

import pytest

from beholder.trace.probes import ProbeSpecError, parse_attach_point


@pytest.mark.parametrize(
    ("raw", "provider", "target", "func"),
    [
        ("BEGIN", "begin", "", ""),
        ("end", "end", "", ""),
        ("t:sched:sched_switch", "tracepoint", "sched", "sched_switch"),
        ("tracepoint:syscalls:sys_enter_open*", "tracepoint", "syscalls", "sys_enter_open*"),
        ("rt:sched_switch", "rawtracepoint", "", "sched_switch"),
        ("rawtracepoint:mod:ev", "rawtracepoint", "mod", "ev"),
        ("k:do_nanosleep", "kprobe", "", "do_nanosleep"),
        ("kprobe:nf_tables:nft_do_chain", "kprobe", "nf_tables", "nft_do_chain"),
        ("kr:tcp_*", "kretprobe", "", "tcp_*"),
        ("f:vfs_read", "fentry", "", "vfs_read"),
        ("kfunc:vfs_read", "fentry", "", "vfs_read"),
        ("fentry:vfs_read", "fentry", "", "vfs_read"),
        ("fr:vfs_read", "fexit", "", "vfs_read"),
        ("kretfunc:vfs_read", "fexit", "", "vfs_read"),
        ("u:/bin/bash:readline", "uprobe", "/bin/bash", "readline"),
        ("uprobe:libc:malloc", "uprobe", "libc", "malloc"),
        ("ur:/bin/bash:readline", "uretprobe", "/bin/bash", "readline"),
        ("U:/usr/bin/python3:function__entry", "usdt", "/usr/bin/python3", "function__entry"),
        ("iter:task", "iter", "", "task"),
    ],
)
def test_provider_aliases(raw: str, provider: str, target: str, func: str) -> None:
    spec = parse_attach_point(raw)
    assert (spec.provider, spec.target, spec.func) == (provider, target, func)
    assert spec.raw == raw


def test_offsets_addresses_and_quoting() -> None:
    assert parse_attach_point("kprobe:do_sys_open+10").offset == 10
    assert parse_attach_point("kprobe:do_sys_open+0x1f").func == "do_sys_open"
    up = parse_attach_point("uprobe:/usr/lib/libc.so.6:0x1234")
    assert (up.target, up.address, up.func) == ("/usr/lib/libc.so.6", 0x1234, "")
    quoted = parse_attach_point('uprobe:"/opt/a b/bin":cpp:"ns::fn(int)"')
    assert (quoted.target, quoted.func, quoted.params) == (
        "/opt/a b/bin",
        "ns::fn(int)",
        {"lang": "cpp"},
    )
    usdt = parse_attach_point("usdt:/bin/x:prov:probe")
    assert usdt.params == {"namespace": "prov"} and usdt.func == "probe"


def test_wildcards_and_canonical() -> None:
    assert parse_attach_point("t:sched:*").wildcard
    assert parse_attach_point("t:sched:sched_s?itch").wildcard
    assert not parse_attach_point("t:sched:sched_switch").wildcard
    assert parse_attach_point("t:sched:*").canonical() == "tracepoint:sched:*"
    assert parse_attach_point("BEGIN").canonical() == "begin"


@pytest.mark.parametrize(
    ("raw", "params"),
    [
        ("profile:hz:99", {"unit": "hz", "value": 99}),
        ("p:ms:10", {"unit": "ms", "value": 10}),
        ("profile:us:500", {"unit": "us", "value": 500}),
        ("profile:s:1", {"unit": "s", "value": 1}),
        ("interval:s:1", {"unit": "s", "value": 1}),
        ("i:ms:100", {"unit": "ms", "value": 100}),
        ("interval:hz:5", {"unit": "hz", "value": 5}),
        ("software:cpu-clock:100000", {"event": "cpu-clock", "count": 100000}),
        ("s:cpu:1000", {"event": "cpu-clock", "count": 1000}),
        ("software:faults:1", {"event": "page-faults", "count": 1}),
        ("software:cs", {"event": "context-switches"}),
        ("s:bpf-output", {"event": "bpf-output"}),
        ("hardware:cycles:1000000", {"event": "cpu-cycles", "count": 1000000}),
        ("h:branches", {"event": "branch-instructions"}),
        ("watchpoint:0x10000000:8:rw", {"length": 8, "mode": "rw"}),
    ],
)
def test_params(raw: str, params: dict[str, int | str]) -> None:
    assert parse_attach_point(raw).params == params


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "tracepoint:foo",
            "tracepoint probe requires category and name: tracepoint:<category>:<name>",
        ),
        ("t:a:b:c", "tracepoint probe requires category and name: tracepoint:<category>:<name>"),
        (
            "tracepoint::x",
            "tracepoint probe requires category and name: tracepoint:<category>:<name>",
        ),
        (
            "profile:99",
            "profile probe requires a unit and a rate: profile:<hz|ms|s|us>:<rate>, e.g. profile:hz:99",
        ),
        ("profile:min:1", "invalid profile unit 'min': expected one of hz, ms, s, us"),
        ("interval:s:abc", "invalid interval rate 'abc': expected an integer"),
        ("interval:s:0", "interval rate must be positive, got 0"),
        (
            "software:bogus:1",
            "unknown software event 'bogus'; known events: alignment-faults, bpf-output, context-switches, cpu-clock, cpu-migrations, dummy, emulation-faults, major-faults, minor-faults, page-faults, task-clock",
        ),
        (
            "uprobe:malloc",
            "uprobe probe requires a binary and a symbol: uprobe:<binary or library>:<symbol or 0xADDRESS>",
        ),
        ("kprobe:", "kprobe probe is missing a function name"),
        ("kprobe", "kprobe probe requires a function name: kprobe:[<module>:]<function>"),
        ("kretprobe:f+4", "kretprobe probes cannot have an offset"),
        ("fentry:f+4", "fentry probes cannot have an offset"),
        ("BEGIN:x", "begin probe takes no arguments"),
        ("bogus:thing", "unknown probe type 'bogus'"),
        ("watchpoint:0x1000:3:rw", "watchpoint length must be 1, 2, 4 or 8, got 3"),
        ("watchpoint:0x1000:8:q", "invalid watchpoint mode 'q': use a combination of r, w, x"),
    ],
)
def test_malformed(raw: str, message: str) -> None:
    with pytest.raises(ProbeSpecError) as info:
        parse_attach_point(raw)
    assert str(info.value) == message
