"""Small network programs the kernel tests run inside namespaces (python3 netprogs.py CMD ...).

Each prints one JSON line with what it did (ports, pid, bytes) so the test can find its flows.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))

from beholder.flows import dnsparse  # noqa: E402


def say(**kv: object) -> None:
    print(json.dumps({"pid": os.getpid(), **kv}), flush=True)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp_server(host: str, port: str, recv_n: str, send_n: str) -> None:
    """Accept one connection, read recv_n bytes, send send_n bytes, close."""
    srv = socket.socket(_family(host), socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, int(port)))
    srv.listen(16)
    say(event="listening", port=srv.getsockname()[1])
    srv.settimeout(60)
    conn, peer = srv.accept()
    got = 0
    while got < int(recv_n):
        data = conn.recv(65536)
        if not data:
            break
        got += len(data)
    conn.sendall(b"s" * int(send_n))
    conn.close()
    say(event="done", received=got, peer_port=peer[1])


def tcp_client(host: str, port: str, send_n: str, recv_n: str) -> None:
    c = socket.create_connection((host, int(port)), timeout=60)
    local = c.getsockname()[1]
    c.sendall(b"c" * int(send_n))
    got = 0
    while True:
        data = c.recv(65536)
        if not data:
            break
        got += len(data)
    c.close()
    say(event="done", local_port=local, received=got, expected=int(recv_n))


def refused(host: str, port: str) -> None:
    try:
        socket.create_connection((host, int(port)), timeout=5)
        say(event="done", result="connected")
    except ConnectionRefusedError:
        say(event="done", result="refused")


def timeout_connect(host: str, port: str) -> None:
    try:
        socket.create_connection((host, int(port)), timeout=1.0)
        say(event="done", result="connected")
    except TimeoutError:
        say(event="done", result="timeout")


def udp_echo(host: str, port: str, count: str) -> None:
    s = socket.socket(_family(host), socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    say(event="listening", port=s.getsockname()[1])
    s.settimeout(30)
    for _ in range(int(count)):
        data, peer = s.recvfrom(65536)
        s.sendto(data, peer)
    say(event="done")


def udp_client(host: str, port: str, count: str, size: str) -> None:
    s = socket.socket(_family(host), socket.SOCK_DGRAM)
    s.settimeout(10)
    got = 0
    for _ in range(int(count)):
        s.sendto(b"u" * int(size), (host, int(port)))
        got += len(s.recvfrom(65536)[0])
    say(event="done", local_port=s.getsockname()[1], received=got)


def dns_server(host: str, port: str, name: str, answer: str) -> None:
    """Answer A queries for `name` with `answer`, NXDOMAIN for anything else."""
    s = socket.socket(_family(host), socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    say(event="listening", port=s.getsockname()[1])
    s.settimeout(60)
    while True:
        data, peer = s.recvfrom(4096)
        q = dnsparse.parse(data)
        if q.query == name.rstrip("."):
            s.sendto(dnsparse.build_response(data, [answer], ttl=300), peer)
        else:
            s.sendto(dnsparse.build_response(data, [], rcode=3), peer)


def resolve_connect(server: str, dns_port: str, name: str, tcp_port: str) -> None:
    """Resolve `name` at `server`, then connect to the answer and exchange a few bytes."""
    s = socket.socket(_family(server), socket.SOCK_DGRAM)
    s.settimeout(10)
    s.sendto(dnsparse.build_query(name, ident=0x4242), (server, int(dns_port)))
    msg = dnsparse.parse(s.recvfrom(4096)[0])
    ip = msg.ips[0]
    c = socket.create_connection((ip, int(tcp_port)), timeout=10)
    local = c.getsockname()[1]
    c.sendall(b"hello")
    while c.recv(65536):
        pass
    c.close()
    say(event="done", ip=ip, local_port=local, rcode=msg.rcode)


def storm(host: str, port: str, count: str, seconds: str) -> None:
    """count short connections to a local server (server closes first), bounded in time."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, int(port)))
    srv.listen(1024)
    port_n = srv.getsockname()[1]
    stop = time.monotonic() + float(seconds)

    def accept_loop() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=accept_loop, daemon=True).start()
    done = 0
    while done < int(count) and time.monotonic() < stop:
        c = socket.create_connection((host, port_n), timeout=5)
        c.recv(1)
        c.close()
        done += 1
    srv.close()
    say(event="done", connections=done, port=port_n)


if __name__ == "__main__":
    globals()[sys.argv[1].replace("-", "_")](*sys.argv[2:])
