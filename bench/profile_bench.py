"""Profiler overhead and cost: nginx + wrk on loopback with and without profiling (19 and 99 Hz,
in turns inside one wrk run: loadgen.alternate), the agent's CPU and RSS while profiling every
process at 19 Hz, and the time to symbolize the first harvest and a later one. Prints figures;
asserts nothing.

Run as root: .venv/bin/python bench/profile_bench.py [--seconds 4] [--rounds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loadgen import Variant, alternate, start_nginx, wrk_run  # bench/ is on sys.path


def agent(frequency: int, interval: float, seconds: float) -> None:
    """The profiling agent, in its own process so its CPU and RSS are its own."""
    from beholder.profiles.continuous import ContinuousProfiler
    from beholder.profiles.store import ProfileStore

    marks: list[tuple[float, float]] = []  # (wall, cpu) at the end of each harvest

    def on_profile(_p: object) -> None:
        t = os.times()
        marks.append((time.monotonic(), t.user + t.system))

    with tempfile.TemporaryDirectory() as d:
        store = ProfileStore(Path(d) / "p.duckdb")
        cp = ContinuousProfiler(store, frequency=frequency, interval_s=interval,
                                on_profile=on_profile)
        cp.start()
        print("ready", flush=True)
        time.sleep(seconds)
        run_ns, runs = cp.sampler.program_cost()
        cp.stop()
        rows = store.stats()["rows"]
        store.close()
    status = Path("/proc/self/status").read_text()
    hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    steady = [m for m in marks[:-1]]  # the last mark is stop()'s final partial harvest
    cpu_pct = 0.0
    if len(steady) >= 2:
        (w0, c0), (w1, c1) = steady[0], steady[-1]
        cpu_pct = 100 * (c1 - c0) / (w1 - w0)
    sym = [h.symbolize_s for h in cp.harvests]
    print(json.dumps({"rss_peak_mb": hwm / 1024, "cpu_pct_steady": cpu_pct, "rows": rows,
                      "bpf_run_ns": run_ns, "bpf_runs": runs, "seconds": seconds,
                      "symbolize_first_s": sym[0] if sym else None,
                      "symbolize_later_s": sorted(sym[1:-1])[len(sym[1:-1]) // 2] if len(sym) > 2 else None,
                      "samples": [h.samples for h in cp.harvests],
                      "errors": cp.errors}), flush=True)


def wrk(port: int, seconds: float) -> float:
    return wrk_run(port, seconds)[0]


def start_agent(frequency: int, interval: float, seconds: float) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, __file__, "--agent", str(frequency), "--interval",
                          str(interval), "--seconds", str(seconds)], stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout is not None
    line = p.stdout.readline()
    if line.strip() != "ready":
        p.kill()
        raise RuntimeError(f"agent did not start: {line!r}")
    return p


def finish_agent(p: subprocess.Popen[str]) -> dict[str, object]:
    out, _ = p.communicate(timeout=120)
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0, help="each measured window")
    ap.add_argument("--rounds", type=int, default=8, help="turns of each frequency")
    ap.add_argument("--agent", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--interval", type=float, default=10.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.agent:
        agent(args.agent, args.interval, args.seconds)
        return
    if os.geteuid() != 0:
        sys.exit("profile_bench: run as root")
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"profile_bench: {tool} is not installed (make bench installs it)")
    secs = args.seconds
    port = 18089
    # Per-program run time in fdinfo: the kernel-side cost, exact whatever the machine's noise.
    stats_sysctl = Path("/proc/sys/kernel/bpf_stats_enabled")
    stats_before = stats_sysctl.read_text().strip()
    stats_sysctl.write_text("1")
    try:
        run(secs, port, args.rounds)
    finally:
        stats_sysctl.write_text(stats_before)


class ProfilingAgent(Variant):
    """The profiling agent (harvesting every 2 s, 5x the default, so that every window has
    harvests in it), started before its window; it exits by itself after the window."""

    settle = 3.0

    def __init__(self, hz: int, window: float) -> None:
        self.hz, self.name, self.window = hz, f"{hz} Hz", window
        self.p: subprocess.Popen[str] | None = None
        self.results: list[dict[str, object]] = []

    def start(self) -> None:
        self.p = start_agent(self.hz, 2.0, self.settle + self.window + 0.5)

    def stop(self) -> None:
        if self.p is not None:
            self.results.append(finish_agent(self.p))
            self.p = None


def run(secs: float, port: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        nginx = start_nginx(Path(d), port)
        try:
            wrk(port, 1)  # warm up
            agents = [ProfilingAgent(19, secs), ProfilingAgent(99, secs)]
            alt = alternate(port, agents, rounds, secs)
            # Agent cost while profiling every process at 19 Hz on an otherwise quiet host.
            p = start_agent(19, 10.0, 32)
            quiet = finish_agent(p)
        finally:
            nginx.terminate()
            nginx.wait()
    print(f"nginx+wrk (1 worker, 1 thread, 32 connections): {rounds} turns of {secs:g} s "
          "windows per frequency inside one wrk run")
    print(f"  bare requests/s median {statistics.median(alt.bare):,.0f} "
          f"(min {min(alt.bare):,.0f}, max {max(alt.bare):,.0f})")
    for a in agents:
        r = alt.ratios[a.name]
        q = statistics.quantiles(r, n=4)
        cpu = statistics.median(float(x["cpu_pct_steady"]) for x in a.results)  # type: ignore[arg-type]
        rss = max(float(x["rss_peak_mb"]) for x in a.results)  # type: ignore[arg-type]
        kern = statistics.median(float(x["bpf_run_ns"]) / (float(x["seconds"]) * 1e9) * 100  # type: ignore[arg-type]
                                 for x in a.results)
        print(f"  {a.name:>6}  ratio median {statistics.median(r):.3f} (quartiles {q[0]:.3f}-"
              f"{q[2]:.3f}); agent CPU {cpu:.2f}% of a core (harvest every 2 s), "
              f"BPF program {kern:.4f}% of a CPU, RSS peak {rss:.0f} MB")
    print("agent at 19 Hz, every process, 32 s, harvest every 10 s:")
    print(f"  CPU {quiet['cpu_pct_steady']:.2f}% of one core (between first and last harvest), "
          f"RSS peak {quiet['rss_peak_mb']:.0f} MB, samples per harvest {quiet['samples']}")
    per_sample = quiet["bpf_run_ns"] / max(1, quiet["bpf_runs"])  # type: ignore[operator]
    share = quiet["bpf_run_ns"] / (quiet["seconds"] * 1e9) * 100  # type: ignore[operator]
    print(f"  kernel side: {quiet['bpf_runs']} samples, {per_sample / 1000:.1f} µs each, "
          f"{share:.4f}% of one CPU")
    print(f"  symbolize: first harvest {quiet['symbolize_first_s']:.3f}s, "
          f"later harvest {quiet['symbolize_later_s'] or 0:.3f}s")
    if quiet["errors"]:
        print(f"  errors: {quiet['errors']}")


if __name__ == "__main__":
    main()
