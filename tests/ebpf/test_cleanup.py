"""Nothing stays attached after the process that loaded it dies, SIGKILL included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import _prog_ids

pytestmark = pytest.mark.needs_root


def test_sigkill_leaves_no_program_attached(test_obj):
    before = _prog_ids()
    code = textwrap.dedent(f"""
        import sys, time
        from beholder.ebpf import open_object
        spec = open_object({str(test_obj('counters'))!r})
        obj = spec.load()
        obj.program("count_getppid").attach_tracepoint("syscalls", "sys_enter_getppid")
        print("attached", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "attached"
    loaded = _prog_ids() - before
    assert loaded, "the child's program should be in the kernel while it runs"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 10
    while loaded & _prog_ids() and time.monotonic() < deadline:
        time.sleep(0.1)  # the kernel frees programs after an RCU grace period
    assert not loaded & _prog_ids()
