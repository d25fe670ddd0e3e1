"""`beholder observe` end to end: standalone --follow on real traffic, then every filter and
output format against the history it stored, and clean one-line errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import NetPair, make_netpair

pytestmark = pytest.mark.needs_root

BEHOLDER = str(Path(sys.executable).parent / "beholder")
NAME = "web.beholder.test"


def observe(*args: str, check_rc: int = 0) -> subprocess.CompletedProcess[str]:
    p = subprocess.run([BEHOLDER, "observe", *args], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == check_rc, (args, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    return p


def jflows(p: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line)["flow"] for line in p.stdout.splitlines() if line.strip()]


def wait_stderr(proc: subprocess.Popen[str], text: str, timeout: float = 30) -> str:
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen += line
        if text in line:
            return seen
        if proc.poll() is not None:
            break
    raise AssertionError(f"observe never said {text!r}: {seen}")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run observe --follow standalone while the netpair carries TCP, UDP, DNS and a refused
    connect; stop it with Ctrl-C (SIGINT). Returns what the traffic did and where it is."""
    data = tmp_path_factory.mktemp("observe-data")
    with make_netpair() as net:
        proc = subprocess.Popen([BEHOLDER, "observe", "--standalone", "--follow", "-o", "json",
                                 "--data-dir", str(data)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            wait_stderr(proc, "observing flows")
            facts = _traffic(net)
            time.sleep(2.5)  # UDP flows are reported when the collector stops (flush)
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        facts.update(data=str(data), stdout=out, stderr=err, rc=proc.returncode, net=net)
        yield facts


def _traffic(net: NetPair) -> dict:
    a, b = net.a, net.b
    dns = b.start("dns-server", b.ip, 53, NAME, b.ip)
    dns.line()
    web = b.start("tcp-server", b.ip, 0, 5, 0)
    web_port = int(web.line()["port"])
    resolved = a.run("resolve-connect", b.ip, 53, NAME, web_port)
    web.wait_done()
    dns.stop()
    bulk = b.start("tcp-server", b.ip, 0, 200_000, 50_000)
    bulk_port = int(bulk.line()["port"])
    client = a.run("tcp-client", b.ip, bulk_port, 200_000, 50_000)
    server = bulk.wait_done()
    echo = b.start("udp-echo", b.ip, 0, 3)
    udp_port = int(echo.line()["port"])
    udp = a.run("udp-client", b.ip, udp_port, 3, 64)
    echo.wait_done()
    refused = a.run("refused", b.ip, 9)
    return dict(web_port=web_port, resolver_pid=resolved["pid"], bulk_port=bulk_port,
                client_pid=client["pid"], server_pid=server["pid"], udp_port=udp_port,
                udp_pid=udp["pid"], refused_pid=refused["pid"])


def _ports(f: dict) -> set[int]:
    l4 = f.get("l4", {})
    proto = l4.get("TCP") or l4.get("UDP") or {}
    return {proto.get("source_port", 0), proto.get("destination_port", 0)}


def _pids(f: dict) -> set[int]:
    return {f.get(side, {}).get("process", {}).get("pid", 0)
            for side in ("source", "destination")}


def test_follow_stream_and_ctrl_c_summary(history: dict) -> None:
    assert history["rc"] == 0, history["stderr"]
    flows = [json.loads(line)["flow"] for line in history["stdout"].splitlines()]
    assert f"Shown {len(flows)} flows, lost 0 events" in history["stderr"]
    assert "Traceback" not in history["stderr"]
    bulk = [f for f in flows if history["bulk_port"] in _ports(f)]
    assert {f["traffic_direction"] for f in bulk} == {"EGRESS", "INGRESS"}
    assert any(f.get("destination_names") == [NAME + "."] for f in flows
               if history["web_port"] in _ports(f))


def test_filters_on_history(history: dict) -> None:
    d = history["data"]
    b_ip, bulk, udp_port = history["net"].b.ip, history["bulk_port"], history["udp_port"]
    base = ["--standalone", "--data-dir", d, "-o", "json", "--last", "1000"]

    got = jflows(observe(*base, "--pid", str(history["client_pid"])))
    assert got and all(history["client_pid"] in _pids(f) for f in got)
    assert any(bulk in _ports(f) for f in got)

    # repeats OR, different flags AND
    got = jflows(observe(*base, "--pid", str(history["client_pid"]), "--pid",
                         str(history["server_pid"]), "--port", str(bulk)))
    assert {f["traffic_direction"] for f in got} == {"EGRESS", "INGRESS"}
    got = jflows(observe(*base, "--port", str(bulk), "--not", "--traffic-direction", "ingress"))
    assert got and all(f["traffic_direction"] == "EGRESS" for f in got)
    assert not jflows(observe(*base, "--port", str(bulk), "--traffic-direction", "ingress",
                              "--traffic-direction", "egress", "--not", "--port", str(bulk)))

    assert jflows(observe(*base, "--comm", "python*"))
    assert not jflows(observe(*base, "--comm", "no-such-comm"))
    assert not jflows(observe(*base, "--container", "deadbeef"))

    got = jflows(observe(*base, "--protocol", "udp", "--port", str(udp_port)))
    assert got and all("UDP" in f["l4"] for f in got)
    got = jflows(observe(*base, "--protocol", "dns"))
    assert got and all(f["Type"] == "L7" for f in got if "l7" in f)
    assert jflows(observe(*base, "--type", "L7"))
    assert all(f["l7"]["dns"]["query"] == NAME + "."
               for f in jflows(observe(*base, "--type", "L7", "--fqdn", NAME)))

    got = jflows(observe(*base, "--fqdn", NAME, "--protocol", "tcp"))
    assert got and all(history["web_port"] in _ports(f) for f in got)

    # both sides' records of a connection are oriented initiator -> acceptor
    got = jflows(observe(*base, "--to-ip", f"{b_ip}/24", "--to-port", str(bulk)))
    assert {f["traffic_direction"] for f in got} == {"EGRESS", "INGRESS"} and len(got) == 2
    a_ip = history["net"].a.ip
    assert len(jflows(observe(*base, "--from-ip", a_ip, "--from-ip", "192.0.2.1",
                              "--to-port", str(bulk)))) == 2
    assert not jflows(observe(*base, "--from-ip", b_ip, "--protocol", "tcp"))
    assert jflows(observe(*base, "--ip", b_ip)) and not jflows(observe(*base, "--ip",
                                                                        "192.0.2.0/24"))

    got = jflows(observe(*base, "--tcp-flags", "RST", "--to-port", "9"))
    assert len(got) == 1 and got[0]["state"] == "REFUSED"
    assert len(jflows(observe(*base, "--verdict", "FORWARDED", "--to-port", "9"))) == 1
    assert not jflows(observe(*base, "--verdict", "DROPPED"))

    assert len(jflows(observe("--standalone", "--data-dir", d, "-o", "json", "--last", "2"))) == 2
    assert jflows(observe(*base, "--since", "10m"))
    assert not jflows(observe(*base, "--until", "1h"))


def test_outputs_on_history(history: dict) -> None:
    d, bulk = history["data"], str(history["bulk_port"])
    compact = observe("--standalone", "--data-dir", d, "--port", bulk).stdout.splitlines()
    assert len(compact) == 2
    assert all("->" in line and "FORWARDED" in line for line in compact)
    assert any(f"/{history['client_pid']})" in line for line in compact)
    table = observe("--standalone", "--data-dir", d, "-o", "table", "--port", bulk).stdout
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["TIMESTAMP", "SOURCE", "DESTINATION"]
    assert len(lines) == 3


@pytest.mark.parametrize("args,rc,msg", [
    (["--port", "http"], 1, "invalid --port"),
    (["--since", "yesterday"], 1, "invalid --since"),
    (["--since", "1m", "--until", "1h"], 1, "before --since"),
    (["--not"], 1, "--not must be followed"),
    (["--frobnicate"], 2, "No such option"),
    (["-o", "xml"], 2, "Invalid value"),
    (["--last", "0"], 2, "Invalid value"),
])
def test_bad_input_is_one_line(args: list[str], rc: int, msg: str, tmp_path: Path) -> None:
    p = observe("--standalone", "--data-dir", str(tmp_path), *args, check_rc=rc)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and msg in lines[0], p.stderr
