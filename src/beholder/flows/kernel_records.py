"""Decode the raw records of bpf/flows.bpf.c (see bpf/flows.h) into small Python values.

The C structs are laid out by hand without implicit padding, so one ``struct.Struct``
per record reads them; ``check_layout`` compares these sizes with the object's BTF.
"""

from __future__ import annotations

import functools
import ipaddress
import struct
from dataclasses import dataclass

AF_INET, AF_INET6 = 2, 10
DIR_EGRESS, DIR_INGRESS = 1, 2
REC_TCP_CLOSE, REC_DNS = 1, 2
DNS_CAPTURE = 512

# TCP states (include/net/tcp_states.h)
TCP_ESTABLISHED, TCP_SYN_SENT, TCP_SYN_RECV, TCP_CLOSE = 1, 2, 3, 7
TCP_STATE_NAMES = {
    1: "ESTABLISHED",
    2: "SYN_SENT",
    3: "SYN_RECV",
    4: "FIN_WAIT1",
    5: "FIN_WAIT2",
    6: "TIME_WAIT",
    7: "CLOSE",
    8: "CLOSE_WAIT",
    9: "LAST_ACK",
    10: "LISTEN",
    11: "CLOSING",
    12: "NEW_SYN_RECV",
}
# TCP header flag bits as the kernel program ORs them (byte 13, plus NS as bit 8)
TCP_FLAG_BITS = (
    (0x02, "SYN"),
    (0x10, "ACK"),
    (0x04, "RST"),
    (0x01, "FIN"),
    (0x08, "PSH"),
    (0x20, "URG"),
    (0x40, "ECE"),
    (0x80, "CWR"),
    (0x100, "NS"),
)

_OWNER = "QQIIII16s"
TCP_FLOW = struct.Struct("<9Q" + _OWNER + "16s16s4I3H4B6x")
OWNER = struct.Struct("<" + _OWNER)
UDP_KEY = struct.Struct("<Q16sHHI")
UDP_FLOW = struct.Struct("<6Q16sHB5x")
REC_HEADER = struct.Struct("<I")
REC_TCP = struct.Struct("<II")
DNS_HEADER = struct.Struct("<IHBxQQ16s16sHHHxx")

SIZES = {
    "tcp_flow": TCP_FLOW.size,
    "flow_owner": OWNER.size,
    "udp_key": UDP_KEY.size,
    "udp_flow": UDP_FLOW.size,
    "rec_dns": DNS_HEADER.size + DNS_CAPTURE,
}


@functools.lru_cache(maxsize=4096)  # a host talks to few distinct peers; parsing is slow
def addr(family: int, raw: bytes) -> str:
    if family == AF_INET:
        return str(ipaddress.IPv4Address(raw[:4]))
    return str(ipaddress.IPv6Address(raw[:16]))


def flag_names(bits: int) -> list[str]:
    return [name for bit, name in TCP_FLAG_BITS if bits & bit]


@dataclass(slots=True)
class Owner:
    """The process the kernel saw using a socket (struct flow_owner)."""

    pid: int
    tid: int
    uid: int
    netns: int
    cgroup_id: int
    ts_ns: int
    comm: str

    @classmethod
    def unpack(
        cls, cgroup_id: int, ts: int, pid: int, tid: int, uid: int, netns: int, comm: bytes
    ) -> Owner:
        return cls(
            pid, tid, uid, netns, cgroup_id, ts, comm.split(b"\0", 1)[0].decode(errors="replace")
        )

    @classmethod
    def decode(cls, raw: bytes) -> Owner:
        return cls.unpack(*OWNER.unpack_from(raw))

    def encode(self) -> bytes:
        return OWNER.pack(self.cgroup_id, self.ts_ns, self.pid, self.tid, self.uid, self.netns,
                          self.comm.encode()[:15])


LISTEN_KEY = struct.Struct("<IHH")  # struct listen_key: netns inode, port, pad


def listen_key(netns: int, port: int) -> bytes:
    return LISTEN_KEY.pack(netns, port, 0)


@dataclass(slots=True)
class TcpRecord:
    """One TCP socket's connection (struct tcp_flow); addresses are local/remote."""

    sk: int
    cookie: int
    start_ns: int
    established_ns: int
    end_ns: int
    bytes_sent: int
    bytes_recv: int
    pkts_sent: int
    pkts_recv: int
    owner: Owner | None
    local_ip: str
    remote_ip: str
    retransmits: int
    flags: int
    resets_sent: int
    resets_recv: int
    local_port: int
    remote_port: int
    family: int
    direction: int
    state: int
    old_state: int

    @classmethod
    def decode(cls, raw: bytes, offset: int = 0) -> TcpRecord:
        v = TCP_FLOW.unpack_from(raw, offset)
        (sk, cookie, start, est, end, bs, br, ps, pr) = v[0:9]
        owner = Owner.unpack(*v[9:16]) if v[-1] else None
        saddr, daddr, retrans, flags, rs, rr, sport, dport, family = v[16:25]
        direction, state, old_state = v[25:28]
        return cls(
            sk,
            cookie,
            start,
            est,
            end,
            bs,
            br,
            ps,
            pr,
            owner,
            addr(family, saddr),
            addr(family, daddr),
            retrans,
            flags,
            rs,
            rr,
            sport,
            dport,
            family,
            direction,
            state,
            old_state,
        )

    @property
    def closed(self) -> bool:
        return self.state == TCP_CLOSE


@dataclass(slots=True)
class UdpRecord:
    """UDP datagrams of one socket with one peer (udp_key + udp_flow)."""

    cookie: int
    local_ip: str
    local_port: int
    remote_ip: str
    remote_port: int
    family: int
    first_ns: int
    last_ns: int
    bytes_sent: int
    bytes_recv: int
    pkts_sent: int
    pkts_recv: int
    first_egress: bool

    @classmethod
    def decode(cls, key: bytes, value: bytes) -> UdpRecord:
        cookie, raddr, rport, family, _ = UDP_KEY.unpack_from(key)
        first, last, bs, br, ps, pr, laddr, lport, first_egress = UDP_FLOW.unpack_from(value)
        return cls(
            cookie,
            addr(family, laddr),
            lport,
            addr(family, raddr),
            rport,
            family,
            first,
            last,
            bs,
            br,
            ps,
            pr,
            bool(first_egress),
        )


@dataclass(slots=True)
class DnsRecord:
    """One DNS datagram seen on a socket (struct rec_dns); payload is at most 512 bytes."""

    cookie: int
    ts_ns: int
    egress: bool
    source_ip: str
    destination_ip: str
    source_port: int
    destination_port: int
    family: int
    payload: bytes

    @classmethod
    def decode(cls, raw: bytes) -> DnsRecord:
        _, length, egress, cookie, ts, saddr, daddr, sport, dport, family = DNS_HEADER.unpack_from(raw)
        start = DNS_HEADER.size
        return cls(
            cookie,
            ts,
            bool(egress),
            addr(family, saddr),
            addr(family, daddr),
            sport,
            dport,
            family,
            bytes(raw[start : start + min(length, DNS_CAPTURE)]),
        )


def record_type(raw: bytes) -> int:
    return int(REC_HEADER.unpack_from(raw)[0])


def decode_tcp_close(raw: bytes) -> TcpRecord:
    return TcpRecord.decode(raw, REC_TCP.size)


def check_layout(value_sizes: dict[str, int]) -> None:
    """Raise if the object's map value/key sizes differ from this decoder's."""
    expected = {
        "tcp_flows": SIZES["tcp_flow"],
        "udp_flows": SIZES["udp_flow"],
        "sk_owner": SIZES["flow_owner"],
        "listeners": SIZES["flow_owner"],
    }
    for name, size in expected.items():
        if name in value_sizes and value_sizes[name] != size:
            raise RuntimeError(
                f"flows.bpf.o map {name}: value is {value_sizes[name]} bytes, "
                f"the decoder expects {size}: rebuild with 'make setup'"
            )
