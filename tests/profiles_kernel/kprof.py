"""Helpers for the profiler's kernel tests: building, starting and profiling workloads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from beholder.profiles.model import Profile
from beholder.profiles.sampler import Filter, Sampler
from beholder.profiles.symbolize import Symbolizer

HERE = Path(__file__).parent
FP_FLAGS = ["-O1", "-g", "-fno-omit-frame-pointer", "-mno-omit-leaf-frame-pointer",
            "-fno-optimize-sibling-calls"]
BEHOLDER = str(Path(sys.executable).with_name("beholder"))


class Procs:
    """Started workloads, killed at teardown whatever the test did."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *argv: str | Path, **kw: object) -> subprocess.Popen[bytes]:
        p = subprocess.Popen([str(a) for a in argv], stdout=subprocess.DEVNULL, **kw)
        self.started.append(p)
        return p

    def close(self) -> None:
        for p in self.started:
            if p.poll() is None:
                p.kill()
            p.wait()


def profile_while(run: Callable[[], object], *, filter: Filter | None = None,
                  frequency: int = 499) -> tuple[Profile, Symbolizer]:
    """Sample while `run()` executes, then harvest and symbolize."""
    sym = Symbolizer()
    with Sampler(frequency, filter, on_new_tgid=sym.note_tgid) as s:
        run()
        h = s.harvest()
    prof = sym.profile(h)
    sym.close()
    return prof, sym


def wait_exit(p: subprocess.Popen[bytes], timeout: float = 30) -> None:
    assert p.wait(timeout=timeout) == 0


def functions(prof: Profile, pid: int | None = None) -> dict[str, int]:
    """Self counts by function name, optionally for one pid."""
    out: dict[str, int] = {}
    for s in prof.samples:
        if pid is not None and s.labels.get("pid") != str(pid):
            continue
        if s.stack:
            out[s.stack[-1].name] = out.get(s.stack[-1].name, 0) + s.count
    return out


def has_tool(name: str) -> bool:
    return shutil.which(name) is not None


def sleep_until(pred: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def proc_gone(pid: int) -> bool:
    return not os.path.exists(f"/proc/{pid}")
