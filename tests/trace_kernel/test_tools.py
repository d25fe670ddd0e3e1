"""Every shipped tool compiles, loads and shows what it is for on a real workload."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from beholder.tools import all_tools

pytestmark = pytest.mark.needs_root
BEHOLDER = str(Path(sys.executable).with_name("beholder"))


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BEHOLDER, "tool", *args], capture_output=True, text=True, timeout=120)


def _later(fn, delay: float = 1.0) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        fn()

    t = threading.Thread(target=run)
    t.start()
    return t


def test_listing_names_every_tool():
    res = tool("-l")
    assert res.returncode == 0
    for name in ("syscount", "syslat", "slowsys", "opensnoop", "tcpretrans", "kmalloc",
                 "execsnoop", "runqlat"):
        assert name in res.stdout


@pytest.mark.parametrize("name", sorted(all_tools()))
def test_tool_runs(name):
    res = tool("-d", "1", name)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr


def test_opensnoop_filters_by_comm():
    import tempfile

    # a short path: str() reads 64 bytes, as bpftrace does
    fd, name = tempfile.mkstemp(prefix="bh-", dir="/tmp")
    target = Path(name)
    os.close(fd)
    t = _later(lambda: subprocess.run(["cat", str(target)], capture_output=True), 2.0)
    res = tool("-d", "4", "opensnoop", "-n", "cat")
    t.join()
    target.unlink()
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stdout.splitlines()[1:] if ln.strip()]
    assert any(str(target) in ln for ln in lines), res.stdout
    assert all(" cat " in ln for ln in lines), res.stdout


def test_execsnoop_sees_an_exec():
    t = _later(lambda: subprocess.run(["/bin/true"]), 2.0)
    res = tool("-d", "4", "execsnoop")
    t.join()
    assert "/bin/true" in res.stdout, res.stdout


def test_bad_tool_arguments_are_one_line():
    res = tool("opensnoop", "-x", "1")
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
    res = tool("nosuchtool")
    assert res.returncode == 1 and "beholder tool -l" in res.stderr


def test_source_is_readable():
    res = tool("--source", "runqlat")
    assert "sched:sched_switch" in res.stdout
