"""Benchmark `beholder trace` against bpftrace 0.17 in the same run (ratios, not absolutes).

1. Start-up: wall time of `trace -e 'BEGIN { exit(); }'`, median of N runs each.
2. Overhead: a C loop of getppid() syscalls, bare and under the syscall-latency histogram
   (raw_syscalls enter/exit, a hash keyed by tid), reported as ns added per syscall.
Run as root: `make bench` or `.venv/bin/python bench/trace_bench.py`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BEHOLDER = [str(Path(sys.executable).with_name("beholder")), "trace"]
BPFTRACE = [shutil.which("bpftrace") or "bpftrace"]
LOOP_C = r"""
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) { long n = atol(argv[1]); for (long i = 0; i < n; i++) syscall(SYS_getppid); return 0; }
"""
HIST = ("tracepoint:raw_syscalls:sys_enter { @start[tid] = nsecs; } "
        "tracepoint:raw_syscalls:sys_exit /@start[tid]/ "
        "{ @latency = hist(nsecs - @start[tid]); delete(@start[tid]); }")
CALLS = 3_000_000


def wall(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=120,
                   env={**os.environ, **(env or {})})
    return time.perf_counter() - t


def startup(runs: int = 7) -> dict[str, float]:
    """Interleaved runs; beholder cold (compiler and LLVM every time) and warm (cached)."""
    prog = "BEGIN { exit(); }"
    cold = {"BEHOLDER_NO_CACHE": "1"}
    times: dict[str, list[float]] = {"beholder": [], "beholder cold": [], "bpftrace": []}
    wall([*BEHOLDER, "-e", prog])  # fill the cache
    for _ in range(runs):
        times["beholder"].append(wall([*BEHOLDER, "-e", prog]))
        times["beholder cold"].append(wall([*BEHOLDER, "-e", prog], cold))
        times["bpftrace"].append(wall([*BPFTRACE, "-e", prog]))
    return {k: statistics.median(v) for k, v in times.items()}


def loop_time(loop: str) -> float:
    return wall([loop, str(CALLS)])


def traced_loop(tool: list[str], loop: str) -> float:
    """Time the loop while the tracer runs; the tracer is started first and given time to attach."""
    proc = subprocess.Popen([*tool, "-e", HIST], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # "Attaching N probes..."
    time.sleep(0.5)
    try:
        return loop_time(loop)
    finally:
        proc.send_signal(2)
        proc.communicate(timeout=60)


def main() -> int:
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as d:
        src, loop = Path(d, "loop.c"), str(Path(d, "loop"))
        src.write_text(LOOP_C)
        subprocess.run(["gcc", "-O2", "-o", loop, str(src)], check=True)
        s = startup()
        print(f"start-up (median of 7): beholder {s['beholder']:.3f} s (cached), "
              f"{s['beholder cold']:.3f} s (cold), bpftrace {s['bpftrace']:.3f} s, "
              f"ratio {s['beholder'] / s['bpftrace']:.2f} cached, "
              f"{s['beholder cold'] / s['bpftrace']:.2f} cold")
        rows = []
        for _ in range(3):  # interleaved, so drift on a shared machine hits both alike
            bare = loop_time(loop)
            ours = traced_loop(BEHOLDER, loop)
            theirs = traced_loop(BPFTRACE, loop)
            rows.append((bare, ours, theirs))
        bare, ours, theirs = (statistics.median(r[i] for r in rows) for i in range(3))
        add_ours = (ours - bare) / CALLS * 1e9
        add_theirs = (theirs - bare) / CALLS * 1e9
        print(f"{CALLS:,} getppid: bare {bare:.3f} s, beholder {ours:.3f} s, bpftrace {theirs:.3f} s")
        print(f"added per syscall: beholder {add_ours:.0f} ns, bpftrace {add_theirs:.0f} ns, "
              f"ratio {add_ours / add_theirs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
