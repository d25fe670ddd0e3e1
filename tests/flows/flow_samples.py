"""A small fixed set of flows for golden tests: deterministic times, uuids and processes."""

from __future__ import annotations

from beholder.flows import (
    ConnState,
    Container,
    ContainerRuntime,
    Flow,
    LostEvent,
    LostEventSource,
    Process,
    TrafficDirection,
    dns_flow,
    socket_flow,
)
from beholder.flows.timestamps import parse_rfc3339_ns

T0 = parse_rfc3339_ns("2026-11-25T19:20:01.123456789Z")
MS = 1_000_000
NODE = "host-a"
CTR_ID = "3f2a1b9c8d7e" + "0" * 52

CURL = Process(
    pid=1234,
    tid=1234,
    comm="curl",
    exe="/usr/bin/curl",
    uid=1000,
    cgroup_id=4242,
    cgroup_path="/user.slice/user-1000.slice/session-3.scope",
    netns=4026531840,
)
NGINX = Process(
    pid=999,
    comm="nginx",
    exe="/usr/sbin/nginx",
    uid=33,
    cgroup_path="/system.slice/nginx.service",
    netns=4026531840,
)
CHRONY = Process(pid=612, comm="chronyd", uid=0)
PY = Process(
    pid=4242,
    comm="python3",
    uid=0,
    cgroup_id=777,
    cgroup_path=f"/system.slice/docker-{CTR_ID}.scope",
    netns=4026532999,
    container=Container(id=CTR_ID, runtime=ContainerRuntime.DOCKER, name="api"),
)


def tcp_closed() -> Flow:
    f = socket_flow(
        time_ns=T0,
        protocol="tcp",
        source_ip="10.0.0.1",
        source_port=43210,
        destination_ip="93.184.216.34",
        destination_port=80,
        direction=TrafficDirection.EGRESS,
        process=CURL,
        tcp_flags=["SYN", "ACK", "FIN"],
        state=ConnState.CLOSED,
        bytes_sent=1234,
        bytes_received=45678,
        packets_sent=8,
        packets_received=40,
        retransmits=0,
        resets=0,
        duration_ns=12 * MS + 300_000,
        socket_cookie=4097,
        node_name=NODE,
        flow_uuid="00000000-0000-4000-8000-000000000001",
    )
    f.destination_names = ["example.com."]
    return f


def tcp_refused() -> Flow:
    return socket_flow(
        time_ns=T0 + 10 * MS,
        protocol="tcp",
        source_ip="10.0.0.1",
        source_port=43212,
        destination_ip="10.0.0.2",
        destination_port=8080,
        direction=TrafficDirection.EGRESS,
        process=CURL,
        tcp_flags=["SYN", "RST"],
        state=ConnState.REFUSED,
        bytes_sent=0,
        bytes_received=0,
        resets=1,
        duration_ns=250_000,
        socket_cookie=4098,
        node_name=NODE,
        flow_uuid="00000000-0000-4000-8000-000000000002",
    )


def udp() -> Flow:
    return socket_flow(
        time_ns=T0 + 20 * MS,
        protocol="udp",
        source_ip="10.0.0.1",
        source_port=123,
        destination_ip="162.159.200.1",
        destination_port=123,
        direction=TrafficDirection.EGRESS,
        process=CHRONY,
        bytes_sent=48,
        bytes_received=48,
        packets_sent=1,
        packets_received=1,
        node_name=NODE,
        flow_uuid="00000000-0000-4000-8000-000000000003",
    )


def _dns_base(reply: bool) -> Flow:
    src, dst = ("10.0.0.53", "10.0.0.1") if reply else ("10.0.0.1", "10.0.0.53")
    sport, dport = (53, 53211) if reply else (53211, 53)
    return socket_flow(
        time_ns=T0 + (31 if reply else 30) * MS,
        protocol="udp",
        source_ip=src,
        source_port=sport,
        destination_ip=dst,
        destination_port=dport,
        direction=TrafficDirection.INGRESS if reply else TrafficDirection.EGRESS,
        process=CURL,
        node_name=NODE,
        flow_uuid=f"00000000-0000-4000-8000-00000000000{5 if reply else 4}",
    )


def dns_query() -> Flow:
    return dns_flow(base=_dns_base(False), response=False, query="example.com", qtypes=["A"])


def dns_answer() -> Flow:
    f = dns_flow(
        base=_dns_base(True),
        response=True,
        query="example.com",
        qtypes=["A"],
        ips=["93.184.216.34"],
        ttl=30,
        rrtypes=["A"],
        latency_ns=1_500_000,
    )
    f.source_names = ["dns.local."]
    return f


def ipv6_ingress() -> Flow:
    return socket_flow(
        time_ns=T0 + 40 * MS,
        protocol="tcp",
        source_ip="2001:db8::1",
        source_port=51000,
        destination_ip="2001:db8::2",
        destination_port=443,
        direction=TrafficDirection.INGRESS,
        process=NGINX,
        tcp_flags=["SYN", "ACK"],
        state=ConnState.OPEN,
        bytes_sent=4500,
        bytes_received=1200,
        duration_ns=2 * 1000 * MS,
        socket_cookie=5001,
        node_name=NODE,
        flow_uuid="00000000-0000-4000-8000-000000000006",
    )


def container_flow() -> Flow:
    return socket_flow(
        time_ns=T0 + 50 * MS,
        protocol="tcp",
        source_ip="172.17.0.2",
        source_port=40000,
        destination_ip="::ffff:10.96.0.1",
        destination_port=5432,
        direction=TrafficDirection.EGRESS,
        process=PY,
        tcp_flags=["SYN", "ACK", "PSH", "FIN"],
        state=ConnState.CLOSED,
        bytes_sent=2_500_000,
        bytes_received=310,
        retransmits=3,
        duration_ns=75 * 1000 * MS,
        socket_cookie=6001,
        node_name=NODE,
        flow_uuid="00000000-0000-4000-8000-000000000007",
    )


def all_flows() -> list[Flow]:
    return [
        tcp_closed(),
        tcp_refused(),
        udp(),
        dns_query(),
        dns_answer(),
        ipv6_ingress(),
        container_flow(),
    ]


def lost_event() -> LostEvent:
    return LostEvent(
        source=LostEventSource.PERF_EVENT_RING_BUFFER,
        num_events_lost=17,
        cpu=2,
        time_ns=T0 + 60 * MS,
        node_name=NODE,
    )
