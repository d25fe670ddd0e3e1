"""The README's `beholder observe` examples, reproducible: run as root after `make setup`,

    .venv/bin/python docs/demo/flows_demo.py

Two network namespaces joined by veth (client 10.199.222.1, server 10.199.222.2); in them a
DNS responder, a web server, a bulk server and a connection to a closed port, all watched by a
`beholder serve` started here (own data directory and port). Then the observe commands run
against that agent and their output is printed. Everything it creates is removed at the end.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BEHOLDER = str(Path(sys.executable).parent / "beholder")
NETPROGS = str(ROOT / "tests" / "flows_kernel" / "netprogs.py")
CLIENT, SERVER = ("bh-demo-client", "10.199.222.1"), ("bh-demo-server", "10.199.222.2")
API_PORT = 7699
COMMANDS = [
    ["--ip", "10.199.0.0/16"],
    ["--fqdn", "api.demo.internal", "-o", "table"],
    ["--tcp-flags", "RST", "--to-ip", "10.199.0.0/16", "-o", "json"],
]


def sh(*args: str) -> None:
    subprocess.run(args, check=True)


def netns_up() -> None:
    sh("ip", "link", "add", "bh-demo0", "type", "veth", "peer", "name", "bh-demo1")
    for (ns, ip), dev in ((CLIENT, "bh-demo0"), (SERVER, "bh-demo1")):
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", dev, "netns", ns)
        sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev)
        sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")


def netns_down() -> None:
    for ns, _ in (CLIENT, SERVER):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def run_in(ns: str, *args: str, wait: bool = True) -> subprocess.Popen[str]:
    p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, NETPROGS, *args],
                         stdout=subprocess.PIPE, text=True)
    if wait:
        p.wait(60)
    else:
        assert p.stdout is not None
        p.stdout.readline()  # {"event": "listening", ...}
    return p


def start_agent(data: Path) -> subprocess.Popen[str]:
    agent = subprocess.Popen([BEHOLDER, "serve", "--listen", f"127.0.0.1:{API_PORT}",
                              "--data-dir", str(data), "--profile-frequency", "0"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{API_PORT}/api/v1/status", timeout=1)
            return agent
        except httpx.HTTPError:
            time.sleep(0.2)
    agent.kill()
    raise SystemExit("beholder serve did not start")


def traffic() -> None:
    server_ns, server_ip = SERVER
    client_ns = CLIENT[0]
    servers = [run_in(server_ns, "dns-server", server_ip, "53", "api.demo.internal", server_ip,
                      wait=False),
               run_in(server_ns, "tcp-server", server_ip, "8080", "5", "2000", wait=False),
               run_in(server_ns, "tcp-server", server_ip, "9000", "1000000", "300000",
                      wait=False)]
    try:
        run_in(client_ns, "resolve-connect", server_ip, "53", "api.demo.internal", "8080")
        time.sleep(0.8)
        run_in(client_ns, "tcp-client", server_ip, "9000", "1000000", "300000")
        time.sleep(0.3)
        run_in(client_ns, "refused", server_ip, "5432")
        time.sleep(13)  # UDP flows end after 10 s without a datagram, seen at a 2 s harvest
    finally:
        for p in servers:
            p.kill()
            p.wait()


def main() -> None:
    netns_down()
    tmp = Path(tempfile.mkdtemp(prefix="beholder-demo-"))
    agent = None
    try:
        netns_up()
        agent = start_agent(tmp / "data")
        traffic()
        for args in COMMANDS:
            print(f"$ beholder observe {shlex.join(args)}", flush=True)
            subprocess.run([BEHOLDER, "observe", "--server", f"http://127.0.0.1:{API_PORT}",
                            *args], check=True, stderr=subprocess.STDOUT)
            print(flush=True)
    finally:
        if agent is not None:
            agent.terminate()
            agent.wait(30)
        netns_down()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
