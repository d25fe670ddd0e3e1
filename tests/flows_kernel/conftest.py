"""Fixtures for the flow collector's kernel tests: namespaces joined by veth, a collector,
and helpers to run the small programs of netprogs.py inside a namespace."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from beholder.flows.collector import CollectorConfig, FlowCollector
from beholder.flows.enums import TrafficDirection
from beholder.flows.model import Flow

HERE = Path(__file__).resolve().parent
NETPROGS = str(HERE / "netprogs.py")
PYTHON = sys.executable


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=30)


@dataclass
class Host:
    """One network namespace with one veth end."""

    ns: str
    dev: str
    ip: str
    ip6: str

    def cmd(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns, *args]

    def start(self, prog: str, *args: object) -> Proc:
        p = subprocess.Popen(self.cmd(PYTHON, NETPROGS, prog, *map(str, args)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return Proc(p)

    def run(self, prog: str, *args: object, timeout: float = 60) -> dict[str, object]:
        proc = self.start(prog, *args)
        return proc.wait_done(timeout)


class Proc:
    def __init__(self, p: subprocess.Popen[str]) -> None:
        self.p = p

    def line(self, timeout: float = 20) -> dict[str, object]:
        assert self.p.stdout is not None
        deadline = time.monotonic() + timeout
        import select

        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if ready:
                text = self.p.stdout.readline()
                if text:
                    return dict(json.loads(text))
            if self.p.poll() is not None:
                err = self.p.stderr.read() if self.p.stderr else ""
                raise AssertionError(f"program exited {self.p.returncode}: {err}")
        raise AssertionError("program printed nothing in time")

    def wait_done(self, timeout: float = 60) -> dict[str, object]:
        out = self.line(timeout)
        while out.get("event") != "done":
            out = self.line(timeout)
        self.p.wait(timeout)
        return out

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(10)


@dataclass
class NetPair:
    a: Host
    b: Host


@contextmanager
def make_netpair() -> Iterator[NetPair]:
    """Two namespaces joined by a veth pair, with unique names; always deleted."""
    tag = f"bh{os.getpid() % 1000}{random.randrange(1000, 9999)}"
    net = random.randrange(1, 254)
    a = Host(f"{tag}a", f"{tag}va", f"10.199.{net}.1", f"fd00:199:{net}::1")
    b = Host(f"{tag}b", f"{tag}vb", f"10.199.{net}.2", f"fd00:199:{net}::2")
    try:
        for h in (a, b):
            sh("ip", "netns", "add", h.ns)
        sh("ip", "link", "add", a.dev, "type", "veth", "peer", "name", b.dev)
        for h in (a, b):
            sh("ip", "link", "set", h.dev, "netns", h.ns)
            sh("ip", "-n", h.ns, "addr", "add", f"{h.ip}/24", "dev", h.dev)
            sh("ip", "-n", h.ns, "addr", "add", f"{h.ip6}/64", "dev", h.dev, "nodad")
            sh("ip", "-n", h.ns, "link", "set", h.dev, "up")
            sh("ip", "-n", h.ns, "link", "set", "lo", "up")
        yield NetPair(a, b)
    finally:
        for h in (a, b):
            sh("ip", "netns", "del", h.ns, check=False)  # takes the veth and iptables rules
        sh("ip", "link", "del", a.dev, check=False)


@pytest.fixture
def netpair() -> Iterator[NetPair]:
    with make_netpair() as pair:
        yield pair


class Recorder:
    def __init__(self) -> None:
        self.flows: list[Flow] = []

    def __call__(self, flow: Flow) -> None:
        self.flows.append(flow)

    def tcp(self, port: int) -> list[Flow]:
        return [f for f in self.flows if f.l4.TCP is not None and port in
                (f.l4.TCP.source_port, f.l4.TCP.destination_port) and f.l7 is None]


@pytest.fixture
def collector() -> Iterator[tuple[FlowCollector, Recorder]]:
    rec = Recorder()
    c = FlowCollector(on_flow=rec, config=CollectorConfig(
        harvest_interval=0.3, udp_idle_timeout=1.0, open_report_interval=60.0))
    c.start()
    try:
        yield c, rec
    finally:
        c.stop()
    assert c.stats["callback_errors"] == 0, c.callback_error
    assert c.error is None, c.error


def one(flows: list[Flow], direction: TrafficDirection) -> Flow:
    """The one flow of `flows` seen in `direction` (a connection has one per side)."""
    matching = [f for f in flows if f.traffic_direction is direction]
    assert len(matching) == 1, [f.to_dict() for f in flows]
    return matching[0]


def wait_for(pred: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False
