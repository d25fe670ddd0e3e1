"""`beholder serve` end to end: the API streams and queries flows, /metrics passes promtool,
and a real Prometheus server scrapes it."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import NetPair

pytestmark = pytest.mark.needs_root

BEHOLDER = str(Path(sys.executable).parent / "beholder")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.get(url, timeout=1)
            if r.status_code == 200:
                return r
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([BEHOLDER, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                             str(tmp_path / "data"), "--metrics-context", "process"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/v1/status")
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        assert "Traceback" not in err, err


def test_api_flows_follow_history_and_metrics(agent: str, netpair: NetPair,
                                              tmp_path: Path) -> None:
    a, b = netpair.a, netpair.b
    follower = subprocess.Popen([BEHOLDER, "observe", "--server", agent, "--follow", "-o",
                                 "json", "--to-ip", b.ip], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        assert follower.stderr is not None
        assert "observing flows" in follower.stderr.readline()
        srv = b.start("tcp-server", b.ip, 0, 100_000, 20_000)
        port = int(srv.line()["port"])
        a.run("tcp-client", b.ip, port, 100_000, 20_000)
        srv.wait_done()
        a.run("refused", b.ip, 9)
        time.sleep(1.5)
    finally:
        follower.send_signal(signal.SIGINT)
        out, err = follower.communicate(timeout=30)
    streamed = [json.loads(line)["flow"] for line in out.splitlines()]
    assert any(f["l4"]["TCP"]["destination_port"] == port for f in streamed)
    assert all(f["IP"]["destination"] == b.ip for f in streamed)
    assert f"Shown {len(streamed)} flows" in err

    # history through the API, with a filter, as `observe --server` asks it
    p = subprocess.run([BEHOLDER, "observe", "--server", agent, "-o", "json", "--port",
                        str(port)], capture_output=True, text=True, timeout=30, check=True)
    hist = [json.loads(line)["flow"] for line in p.stdout.splitlines()]
    assert {f["traffic_direction"] for f in hist} == {"EGRESS", "INGRESS"}
    egress = next(f for f in hist if f["traffic_direction"] == "EGRESS")
    assert egress["bytes"] == {"sent": 100_000, "received": 20_000}
    r = httpx.get(f"{agent}/api/v1/flows", params={"filter": "{bad", "last": 1})
    assert r.status_code == 400 and "invalid filter" in r.json()["error"]

    metrics = httpx.get(f"{agent}/metrics").text
    check = subprocess.run(["promtool", "check", "metrics"], input=metrics, text=True,
                           capture_output=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    for needle in ('beholder_flows_processed_total{', 'protocol="TCP"',
                   'beholder_tcp_flags_total{flag="SYN"', 'beholder_port_distribution_total{',
                   f'port="{port}"', 'beholder_flow_bytes_total{', 'process="python"',
                   'beholder_lost_events_total{source="ring_events"} 0.0'):
        assert needle in metrics, needle

    # a real Prometheus scrapes it
    prom_port = free_port()
    host_port = agent.removeprefix("http://")
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(f"global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: beholder\n"
                   f"    static_configs:\n      - targets: ['{host_port}']\n")
    prom = subprocess.Popen(["prometheus", f"--config.file={cfg}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        api = f"http://127.0.0.1:{prom_port}/api/v1/query"
        deadline = time.monotonic() + 60
        result: list = []
        while time.monotonic() < deadline and not result:
            try:
                r = httpx.get(api, params={"query": 'sum(beholder_flows_processed_total'
                                                    '{protocol="TCP"})'}, timeout=2)
                result = r.json()["data"]["result"] if r.status_code == 200 else []
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert result, "prometheus never scraped beholder_flows_processed_total"
        assert float(result[0]["value"][1]) >= 2
        up = httpx.get(api, params={"query": 'up{job="beholder"}'}).json()["data"]["result"]
        assert up and up[0]["value"][1] == "1"
    finally:
        prom.terminate()
        prom.wait(30)
