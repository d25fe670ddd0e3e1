"""The load both overhead benchmarks use: a 1-worker nginx answering `return 200` on a loopback
port, and wrk (1 thread, 32 connections) against it.

Overhead is measured with `alternate`: one wrk run lasts the whole measurement, and the
variants (bare, agent running, ...) take turns in windows; nginx's stub_status counts the
requests of each window. On this shared 2-vCPU VM the same bare configuration swings by
10-30% between separate 5 s wrk runs, so ratios of separate runs cannot resolve 1-3%;
turns of a few seconds inside one run, each compared with the bare windows on either side,
cancel the drift."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir};
    uwsgi_temp_path {dir}; scgi_temp_path {dir};
    server {{ listen 127.0.0.1:{port};
              location = /status {{ stub_status; }}
              location / {{ return 200 "ok\\n"; }} }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_nginx(directory: Path, port: int) -> subprocess.Popen[bytes]:
    """Start nginx and wait until it answers (10 s at most)."""
    conf = directory / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=directory, port=port))
    p = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf),
                          "-p", str(directory)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                if r.status == 200:
                    return p
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise SystemExit("nginx did not start")


def wrk_run(port: int, seconds: float, close: bool = False) -> tuple[float, int]:
    """(requests/s, requests) of one wrk run; `close` makes every request a new connection."""
    args = ["wrk", "-t1", "-c32", f"-d{max(1, round(seconds))}s", f"http://127.0.0.1:{port}/"]
    if close:
        args[1:1] = ["-H", "Connection: close"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not rate or not total:
        raise SystemExit(f"wrk output not understood:\n{out}")
    return float(rate.group(1)), int(total.group(1))


def nginx_requests(port: int) -> int:
    """Requests nginx has answered so far (stub_status; this request included)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as r:
        return int(r.read().decode().split("\n")[2].split()[2])


class Variant:
    """A configuration that takes turns with bare nginx: `start()` before its window,
    `stop()` after it; `settle` seconds pass between start() and the window."""

    name = "variant"
    settle = 2.0

    def start(self) -> None: ...

    def window_start(self) -> None:
        """Called right before the variant's window."""

    def window_done(self) -> None:
        """Called right after the variant's window, before stop()."""

    def stop(self) -> None: ...


@dataclass
class Alternation:
    bare: list[float] = field(default_factory=list)  # requests/s per bare window
    ratios: dict[str, list[float]] = field(default_factory=dict)  # vs neighbouring bare


def alternate(port: int, variants: list[Variant], cycles: int, window: float) -> Alternation:
    """bare, v1, bare, v2, bare, ... for `cycles` rounds under one continuous wrk run; each
    variant window's rate over the mean of the bare windows just before and after it."""
    out = Alternation(ratios={v.name: [] for v in variants})
    per_cycle = sum(v.settle + window + 15 for v in variants) + window * (len(variants) + 1)
    wrk = subprocess.Popen(["wrk", "-t1", "-c32", f"-d{int(per_cycle * cycles + 30)}s",
                            f"http://127.0.0.1:{port}/"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(1)

        def rate() -> float:
            n0, t0 = nginx_requests(port), time.monotonic()
            time.sleep(window)
            return (nginx_requests(port) - n0 - 1) / (time.monotonic() - t0)

        out.bare.append(rate())
        for _ in range(cycles):
            for v in variants:
                v.start()
                try:
                    time.sleep(v.settle)
                    v.window_start()
                    r = rate()
                    v.window_done()
                finally:
                    v.stop()
                time.sleep(0.5)
                out.bare.append(rate())
                out.ratios[v.name].append(r / ((out.bare[-2] + out.bare[-1]) / 2))
        if wrk.poll() is not None:
            raise SystemExit("wrk ended before the measurement did")
    finally:
        wrk.kill()
        wrk.wait()
    return out
