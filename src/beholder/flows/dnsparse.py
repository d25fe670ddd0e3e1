"""DNS wire format (RFC 1035) parser for captured datagrams: header, questions, answers.

Captures stop at 512 bytes, so a message may end early: everything parsed before the cut
is kept and ``truncated`` says so. Malformed input raises DNSParseError, never IndexError.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

QTYPE_NAMES = {
    1: "A",
    2: "NS",
    5: "CNAME",
    6: "SOA",
    12: "PTR",
    15: "MX",
    16: "TXT",
    28: "AAAA",
    33: "SRV",
    35: "NAPTR",
    39: "DNAME",
    41: "OPT",
    43: "DS",
    46: "RRSIG",
    47: "NSEC",
    48: "DNSKEY",
    64: "SVCB",
    65: "HTTPS",
    255: "ANY",
    257: "CAA",
}
TYPE_A, TYPE_CNAME, TYPE_AAAA = 1, 5, 28
_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_MAX_POINTERS = 32


class DNSParseError(ValueError):
    """The bytes are not a DNS message."""


def type_name(t: int) -> str:
    return QTYPE_NAMES.get(t, f"TYPE{t}")


@dataclass(slots=True)
class Answer:
    name: str
    rtype: int
    ttl: int
    data: str  # address for A/AAAA, target for CNAME, "" otherwise


@dataclass(slots=True)
class DNSMessage:
    id: int
    response: bool
    opcode: int
    rcode: int
    questions: list[tuple[str, int]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    truncated: bool = False  # the capture (or the TC bit) cut the message short

    @property
    def query(self) -> str:
        return self.questions[0][0] if self.questions else ""

    @property
    def qtypes(self) -> list[str]:
        return [type_name(t) for _, t in self.questions]

    @property
    def ips(self) -> list[str]:
        return [a.data for a in self.answers if a.rtype in (TYPE_A, TYPE_AAAA)]

    @property
    def cnames(self) -> list[str]:
        return [a.data for a in self.answers if a.rtype == TYPE_CNAME]

    @property
    def rrtypes(self) -> list[str]:
        seen: list[str] = []
        for a in self.answers:
            n = type_name(a.rtype)
            if n not in seen:
                seen.append(n)
        return seen

    @property
    def ttl(self) -> int:
        """The smallest TTL of the answers (0 without answers)."""
        return min((a.ttl for a in self.answers), default=0)


def _name(buf: bytes, pos: int) -> tuple[str, int]:
    """Read a possibly compressed name at pos; return it and the position after it."""
    labels: list[str] = []
    end = -1
    jumps = 0
    while True:
        if pos >= len(buf):
            raise DNSParseError("name runs past the end")
        n = buf[pos]
        if n & 0xC0 == 0xC0:
            if pos + 1 >= len(buf):
                raise DNSParseError("truncated compression pointer")
            jumps += 1
            if jumps > _MAX_POINTERS:
                raise DNSParseError("compression pointer loop")
            if end < 0:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | buf[pos + 1]
            continue
        if n & 0xC0:
            raise DNSParseError(f"unsupported label type {n:#x}")
        if n == 0:
            pos += 1
            break
        if pos + 1 + n > len(buf):
            raise DNSParseError("label runs past the end")
        labels.append(buf[pos + 1 : pos + 1 + n].decode("ascii", errors="replace").lower())
        pos += 1 + n
        if sum(len(x) + 1 for x in labels) > 255:
            raise DNSParseError("name longer than 255 bytes")
    return ".".join(labels), (end if end >= 0 else pos)


def parse(buf: bytes) -> DNSMessage:
    if len(buf) < _HEADER.size:
        raise DNSParseError("shorter than a DNS header")
    ident, flags, qd, an, _ns, _ar = _HEADER.unpack_from(buf)
    msg = DNSMessage(
        id=ident,
        response=bool(flags & 0x8000),
        opcode=(flags >> 11) & 0xF,
        rcode=flags & 0xF,
        truncated=bool(flags & 0x0200),
    )
    if qd > 64 or an > 256:
        raise DNSParseError("implausible record counts")
    pos = _HEADER.size
    try:
        for _ in range(qd):
            name, pos = _name(buf, pos)
            if pos + 4 > len(buf):
                raise DNSParseError("question runs past the end")
            qtype, _qclass = struct.unpack_from("!HH", buf, pos)
            pos += 4
            msg.questions.append((name, qtype))
        for _ in range(an):
            name, pos = _name(buf, pos)
            if pos + _RR.size > len(buf):
                raise DNSParseError("record runs past the end")
            rtype, _rclass, ttl, rdlen = _RR.unpack_from(buf, pos)
            pos += _RR.size
            if pos + rdlen > len(buf):
                raise DNSParseError("record data runs past the end")
            rdata = buf[pos : pos + rdlen]
            data = ""
            if rtype == TYPE_A and rdlen == 4:
                data = str(ipaddress.IPv4Address(rdata))
            elif rtype == TYPE_AAAA and rdlen == 16:
                data = str(ipaddress.IPv6Address(rdata))
            elif rtype == TYPE_CNAME:
                data, _ = _name(buf, pos)
            pos += rdlen
            msg.answers.append(Answer(name, rtype, ttl, data))
    except DNSParseError:
        if not msg.questions:
            raise
        msg.truncated = True  # keep what was read before the capture ended
    return msg


def build_query(name: str, qtype: int = TYPE_A, ident: int = 0x1234) -> bytes:
    """A standard recursive query (used by tests and the test resolver)."""
    out = _HEADER.pack(ident, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0" + struct.pack("!HH", qtype, 1)


def build_response(
    query: bytes,
    addresses: list[str],
    ttl: int = 60,
    rcode: int = 0,
    cnames: list[str] | None = None,
) -> bytes:
    """Answer `query` with A/AAAA records for `addresses` (after optional CNAMEs)."""
    q = parse(query)
    head = _HEADER.pack(q.id, 0x8180 | rcode, 1, len(addresses) + len(cnames or []), 0, 0)
    qend = _HEADER.size + len(_encode(q.query)) + 4
    body = query[_HEADER.size : qend]
    owner = b"\xc0\x0c"
    for target in cnames or []:
        rdata = _encode(target)
        body += owner + _RR.pack(TYPE_CNAME, 1, ttl, len(rdata)) + rdata
        owner = rdata
    for a in addresses:
        ip = ipaddress.ip_address(a)
        rtype = TYPE_A if ip.version == 4 else TYPE_AAAA
        body += owner + _RR.pack(rtype, 1, ttl, len(ip.packed)) + ip.packed
    return head + body


def _encode(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"
