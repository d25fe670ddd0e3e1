"""Flow collector overhead: nginx (1 worker, `return 200`) + wrk (1 thread, 32 connections,
5 s) on loopback, requests/s without and with `beholder serve` running, in the same run.

Then short connections (`Connection: close`): new connections/s and whether the agent saw
every one of them (two flows per connection: client and server side) without loss.
Prints agent CPU (share of one CPU during the load) and RSS. Run as root.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from loadgen import free_port, start_nginx, wrk_run  # bench/ is on sys.path when run as a script

BEHOLDER = str(Path(sys.executable).parent / "beholder")
DURATION = 5
ROUNDS = 3


def wrk(port: int, close: bool = False) -> float:
    return wrk_run(port, DURATION, close)[0]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_agent(tmp: Path) -> tuple[subprocess.Popen[str], str]:
    api_port = free_port()
    agent = subprocess.Popen([BEHOLDER, "serve", "--listen", f"127.0.0.1:{api_port}",
                              "--data-dir", str(tmp / "data")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    api = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{api}/api/v1/status", timeout=1).status_code == 200:
                return agent, api
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            agent.kill()
            raise SystemExit("beholder serve did not start")
        time.sleep(0.2)


def stop_agent(agent: subprocess.Popen[str]) -> None:
    agent.send_signal(signal.SIGINT)
    try:
        agent.wait(120)
    except subprocess.TimeoutExpired:
        agent.kill()
        agent.wait()


def drain(api: str, start: int, expected: int, timeout: float = 120) -> int:
    """Wait until the agent has seen `expected` more flows (other programs on the host add
    theirs, so the count never settles by itself) or stops growing; return how many."""
    last, still = -1, 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and still < 3 and last - start < expected:
        n = int(httpx.get(f"{api}/api/v1/status", timeout=10).json()["flows_seen"])
        still = still + 1 if n == last else 0
        last = n
        time.sleep(1)
    return last - start


def bpf_cost(port: int) -> tuple[dict[str, tuple[int, int]], int]:
    """Run wrk with BPF run-time statistics on; (ns, runs) per flows_* program, requests."""
    stats = Path("/proc/sys/kernel/bpf_stats_enabled")
    before = stats.read_text().strip()
    stats.write_text("1")
    try:
        progs0 = _prog_stats()
        _, reqs = wrk_run(port, DURATION)
        progs1 = _prog_stats()
    finally:
        stats.write_text(before)
    out = {}
    for key, (name, ns, runs) in progs1.items():
        ns0, runs0 = progs0.get(key, (name, 0, 0))[1:]
        if runs > runs0:
            out[name] = (ns - ns0, runs - runs0)
    return out, reqs


def _prog_stats() -> dict[int, tuple[str, int, int]]:
    import json

    progs = json.loads(subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True,
                                      text=True, check=True).stdout)
    return {p["id"]: (p["name"], p.get("run_time_ns", 0), p.get("run_cnt", 0))
            for p in progs if p.get("name", "").startswith("flows_")}


def main() -> None:
    for tool in ("nginx", "wrk", "bpftool"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (make test installs it)")
    if os.geteuid() != 0:
        raise SystemExit("the benchmark loads eBPF programs: run it as root")
    tmp = Path(tempfile.mkdtemp(prefix="beholder-bench-"))
    port = free_port()
    nginx = start_nginx(tmp, port)
    agent: subprocess.Popen[str] | None = None
    try:
        wrk(port)  # warm-up
        bare: list[float] = []
        loaded: list[float] = []
        cpu: list[float] = []
        rss = 0.0
        # Alternate bare / with agent so that drift on a shared machine hits both sides.
        for _ in range(ROUNDS):
            bare.append(wrk(port))
            agent, api = start_agent(tmp)
            cpu0 = cpu_seconds(agent.pid)
            loaded.append(wrk(port))
            cpu.append((cpu_seconds(agent.pid) - cpu0) / DURATION)
            rss = max(rss, rss_mb(agent.pid))
            stop_agent(agent)
            agent = None
        bare.append(wrk(port))
        ratios = [w / ((bare[i] + bare[i + 1]) / 2) for i, w in enumerate(loaded)]

        # in-kernel cost, independent of the machine's noise: the kernel's own run-time
        # accounting of each program (kernel.bpf_stats_enabled, only during this run)
        agent, api = start_agent(tmp)
        per_prog, reqs = bpf_cost(port)

        # short connections: every request is a new TCP connection
        status0 = httpx.get(f"{api}/api/v1/status").json()
        cpu0 = cpu_seconds(agent.pid)
        t0 = time.monotonic()
        conn_rate, requests = wrk_run(port, DURATION, close=True)
        seen = drain(api, status0["flows_seen"], 2 * requests)
        drain_s = time.monotonic() - t0
        cpu_storm = (cpu_seconds(agent.pid) - cpu0) / drain_s
        status1 = httpx.get(f"{api}/api/v1/status").json()
        rss_storm = rss_mb(agent.pid)
        stop_agent(agent)
        agent = None
        lost = sum(status1["lost"].values()) - sum(status0["lost"].values())
        expected = 2 * requests
        print(f"nginx + wrk (1 thread, 32 connections, {DURATION} s, keep-alive), "
              f"{ROUNDS} alternating rounds")
        print("  requests/s bare          " + " ".join(f"{b:8.0f}" for b in bare))
        print("  requests/s with agent    " + " ".join(f"{w:8.0f}" for w in loaded))
        print("  ratio per round          " + " ".join(f"{r:8.3f}" for r in ratios))
        print(f"  ratio (median)           {statistics.median(ratios):8.3f}  (target >= 0.97)")
        print(f"  agent CPU                {max(cpu) * 100:7.1f} %  RSS {rss:.0f} MB")
        bpf_total = sum(ns for ns, _ in per_prog.values())
        print(f"  in-kernel cost per request {bpf_total / reqs:6.0f} ns "
              f"(kernel.bpf_stats_enabled, {reqs} requests):")
        for name, (ns, runs) in sorted(per_prog.items()):
            print(f"    {name:22s} {runs:9d} runs {ns / runs:6.0f} ns/run "
                  f"{ns / reqs:6.0f} ns/request")
        print("short connections (Connection: close), agent running")
        print(f"  new connections/s        {conn_rate:8.0f}")
        print(f"  flows observed           {seen:8d} of {expected} expected "
              f"(client + server side of each connection)")
        print(f"  events lost              {lost:8d}")
        print(f"  time to process them     {drain_s:8.1f} s (load lasted {DURATION} s)")
        print(f"  agent CPU                {cpu_storm * 100:7.1f} %  RSS {rss_storm:.0f} MB")
    finally:
        if agent is not None:
            agent.kill()
            agent.wait()
        nginx.terminate()
        nginx.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
