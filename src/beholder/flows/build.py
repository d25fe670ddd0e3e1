"""Constructors that turn decoded kernel facts into Flows, so collectors need not know the JSON."""

from __future__ import annotations

import dataclasses
import uuid as uuidlib
from collections.abc import Iterable

from beholder.flows.counters import Counters, TCPStats
from beholder.flows.dns import DNS, OBSERVATION_SOURCE_EBPF, Layer7
from beholder.flows.endpoint import Endpoint
from beholder.flows.enums import ConnState, FlowType, L7FlowType, TrafficDirection, Verdict
from beholder.flows.l3l4 import IP, TCP, UDP, Layer4, TCPFlags
from beholder.flows.model import Flow
from beholder.flows.process import Process


def _endpoints(
    direction: TrafficDirection, process: Process | None, peer_process: Process | None
) -> tuple[Endpoint, Endpoint]:
    """Place the owning process on the local side: source for egress, destination for ingress."""
    local = Endpoint.for_process(process) if process else Endpoint()
    peer = Endpoint.for_process(peer_process) if peer_process else Endpoint()
    if direction is TrafficDirection.INGRESS:
        return peer, local
    return local, peer


Addr = tuple[str, int]


def orient(direction: TrafficDirection, local: Addr, remote: Addr) -> tuple[Addr, Addr]:
    """(source, destination) from the local/remote view kernel records use.

    The initiator is the source: the local socket for EGRESS, the peer for INGRESS.
    """
    if direction is TrafficDirection.INGRESS:
        return remote, local
    return local, remote


def socket_flow(
    *,
    time_ns: int,
    protocol: str,
    source_ip: str,
    source_port: int,
    destination_ip: str,
    destination_port: int,
    direction: TrafficDirection,
    process: Process | None = None,
    peer_process: Process | None = None,
    tcp_flags: Iterable[str] | int = (),
    state: ConnState = ConnState.STATE_UNKNOWN,
    bytes_sent: int | None = None,
    bytes_received: int | None = None,
    packets_sent: int | None = None,
    packets_received: int | None = None,
    retransmits: int | None = None,
    resets: int | None = None,
    duration_ns: int = 0,
    socket_cookie: int = 0,
    node_name: str = "",
    verdict: Verdict = Verdict.FORWARDED,
    is_reply: bool | None = False,
    flow_uuid: str | None = None,
) -> Flow:
    """An L3_L4 flow for one TCP connection or UDP socket exchange.

    Addresses are given as the connection sees them: ``source`` is the side that
    initiated (the local socket for EGRESS, the remote for INGRESS). IPv4-mapped
    IPv6 addresses are unmapped. ``process`` is the local owner; ``peer_process``
    is set only when both ends are on this host (loopback, container to host).
    Counters are from the owner's point of view; None leaves them out.
    ``tcp_flags`` is a list of names or the header bitmask (``0x12`` = SYN, ACK).
    """
    proto = protocol.lower()
    if proto == "tcp":
        flags = (
            TCPFlags.from_bits(tcp_flags)
            if isinstance(tcp_flags, int)
            else TCPFlags.from_names(tcp_flags)
        )
        l4 = Layer4(TCP=TCP(source_port, destination_port, flags))
    elif proto == "udp":
        l4 = Layer4(UDP=UDP(source_port, destination_port))
    else:
        raise ValueError(f"unsupported protocol {protocol!r}")
    src, dst = _endpoints(direction, process, peer_process)
    has_bytes = bytes_sent is not None or bytes_received is not None
    has_packets = packets_sent is not None or packets_received is not None
    has_tcp = retransmits is not None or resets is not None
    return Flow(
        time_ns=time_ns,
        uuid=flow_uuid if flow_uuid is not None else str(uuidlib.uuid4()),
        verdict=verdict,
        ip=IP.of(source_ip, destination_ip),
        l4=l4,
        source=src,
        destination=dst,
        type=FlowType.L3_L4,
        node_name=node_name,
        traffic_direction=direction,
        is_reply=is_reply,
        socket_cookie=socket_cookie,
        bytes=Counters(bytes_sent or 0, bytes_received or 0) if has_bytes else None,
        packets=Counters(packets_sent or 0, packets_received or 0) if has_packets else None,
        tcp=TCPStats(retransmits or 0, resets or 0) if has_tcp else None,
        duration_ns=duration_ns,
        state=state,
    )


def dns_flow(
    *,
    base: Flow,
    response: bool,
    query: str,
    qtypes: Iterable[str] = ("A",),
    ips: Iterable[str] = (),
    ttl: int = 0,
    cnames: Iterable[str] = (),
    rcode: int = 0,
    rrtypes: Iterable[str] = (),
    latency_ns: int = 0,
    observation_source: str = OBSERVATION_SOURCE_EBPF,
) -> Flow:
    """Turn an L3_L4 UDP/TCP flow skeleton (addresses, process) into an L7 DNS flow.

    ``query`` gets its trailing dot added, as Hubble prints it. For a response,
    ``base`` should already be oriented server -> client and ``is_reply`` is set.
    """
    name = query if query.endswith(".") else query + "."
    dns = DNS(
        query=name,
        ips=list(ips),
        ttl=ttl,
        cnames=list(cnames),
        observation_source=observation_source,
        rcode=rcode,
        qtypes=list(qtypes),
        rrtypes=list(rrtypes),
    )
    kind = L7FlowType.RESPONSE if response else L7FlowType.REQUEST
    # L7 records describe a message, not a connection: connection-only fields go.
    return dataclasses.replace(
        base,
        type=FlowType.L7,
        l7=Layer7(type=kind, latency_ns=latency_ns if response else 0, dns=dns),
        is_reply=response,
        summary="",
        bytes=None,
        packets=None,
        tcp=None,
        duration_ns=0,
        state=ConnState.STATE_UNKNOWN,
    )
