"""The Python API: results as Python values, events as they come, cleanup on every exit path."""

from __future__ import annotations

import os
import threading
import time

import pytest

import beholder
import beholder.trace
from beholder.trace.output import Histogram

pytestmark = pytest.mark.needs_root


def _busy_getppid(seconds: float) -> threading.Thread:
    def work() -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            os.getppid()
            time.sleep(0.001)

    t = threading.Thread(target=work)
    t.start()
    return t


def test_trace_returns_maps_as_python_values():
    worker = _busy_getppid(2.5)
    try:
        r = beholder.trace(
            "tracepoint:syscalls:sys_enter_getppid /pid == $1/ { @n = count(); @by[comm] = count();"
            " @h = hist(5); @last = tid; } interval:ms:1200 { exit(); }",
            params=[os.getpid()])
    finally:
        worker.join()
    assert r.exit_code == 0
    assert r["@n"] > 10
    assert sum(r["@by"].values()) == r["@n"]
    assert isinstance(r["h"], Histogram) and r["h"].total == r["@n"]
    assert r["@last"] > 0


def test_trace_duration_and_printf_output():
    r = beholder.trace('BEGIN { printf("hello %d\\n", 42); }', duration=0.3)
    assert r.output == ["hello 42\n"]


def test_trace_events_yields_printf_as_it_comes():
    gen = beholder.trace_events('BEGIN { printf("a\\n"); printf("b\\n"); } '
                                'interval:ms:100 { printf("tick\\n"); }')
    texts = []
    for ev in gen:
        if ev.kind == "printf":
            texts.append(ev.text)
        if len(texts) == 4:
            break
    gen.close()  # detaches everything (the autouse fixture checks for leaked fds)
    assert texts[:3] == ["a\n", "b\n", "tick\n"]


def test_cleanup_after_an_exception_in_the_consumer():
    with pytest.raises(RuntimeError):
        for ev in beholder.trace_events('interval:ms:50 { printf("x\\n"); }'):
            raise RuntimeError(ev.kind)


def test_compile_errors_raise_with_location():
    from beholder.trace.diagnostics import CompileError

    with pytest.raises(CompileError) as info:
        beholder.trace("BEGIN { @x = count(); @x = 1; }")
    assert "<trace>:1:" in str(info.value)
