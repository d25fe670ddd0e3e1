"""Layer 3 and 4 of a flow: Hubble's IP, Layer4 (TCP|UDP) and TCPFlags messages."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from beholder.flows.enums import IPVersion, parse_enum
from beholder.flows.wire import JSONDict, as_dict, as_int, compact

# Display order used in summaries and by names(); Hubble prints "SYN, ACK".
FLAG_NAMES: tuple[str, ...] = ("SYN", "ACK", "RST", "FIN", "PSH", "URG", "ECE", "CWR", "NS")


# Bit values of the TCP header flags byte (plus NS, bit 8 of the 16-bit field).
FLAG_BITS: dict[str, int] = {
    "FIN": 0x01,
    "SYN": 0x02,
    "RST": 0x04,
    "PSH": 0x08,
    "ACK": 0x10,
    "URG": 0x20,
    "ECE": 0x40,
    "CWR": 0x80,
    "NS": 0x100,
}


@functools.lru_cache(maxsize=4096)  # every flow has two; a host talks to few distinct peers
def normalize_ip(addr: str) -> str:
    """Canonical text form; IPv4-mapped IPv6 (dual-stack sockets) becomes plain IPv4."""
    ip = parse_ip(addr)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


# Flows repeat the same few addresses; parsing each once keeps flow building and --ip cheap.
parse_ip = functools.lru_cache(maxsize=4096)(ipaddress.ip_address)


@dataclass(slots=True)
class IP:
    """Hubble's IP message. ``ipVersion`` is derived from the source when not given."""

    source: str = ""
    destination: str = ""
    ip_version: IPVersion = IPVersion.IP_NOT_USED  # JSON "ipVersion"

    def __post_init__(self) -> None:
        if self.ip_version is IPVersion.IP_NOT_USED and self.source:
            try:
                v = parse_ip(self.source).version
            except ValueError:
                return
            self.ip_version = IPVersion.IPv4 if v == 4 else IPVersion.IPv6

    @classmethod
    def of(cls, source: str, destination: str) -> IP:
        """Build from raw addresses (str of either family), normalising them."""
        return cls(source=normalize_ip(source), destination=normalize_ip(destination))

    def to_dict(self) -> JSONDict:
        version = None if self.ip_version is IPVersion.IP_NOT_USED else self.ip_version.value
        return compact(
            {"source": self.source, "destination": self.destination, "ipVersion": version}
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IP:
        return cls(
            source=str(d.get("source", "")),
            destination=str(d.get("destination", "")),
            ip_version=parse_enum(IPVersion, d.get("ipVersion"), IPVersion.IP_NOT_USED),
        )


@dataclass(slots=True)
class TCPFlags:
    """Flags seen on the flow. For connection flows: the union over its lifetime."""

    SYN: bool = False
    ACK: bool = False
    RST: bool = False
    FIN: bool = False
    PSH: bool = False
    URG: bool = False
    ECE: bool = False
    CWR: bool = False
    NS: bool = False

    @classmethod
    def from_names(cls, names: Iterable[str]) -> TCPFlags:
        """``from_names(["SYN", "ack"])``; ValueError names the unknown flag."""
        flags = cls()
        for raw in names:
            name = raw.strip().upper()
            if name not in FLAG_NAMES:
                raise ValueError(f"unknown TCP flag {raw.strip()!r}")
            setattr(flags, name, True)
        return flags

    @classmethod
    def from_bits(cls, bits: int) -> TCPFlags:
        """From the TCP header flag bits as the kernel sees them (SYN = 0x02, ...)."""
        return cls(**{n: bool(bits & b) for n, b in FLAG_BITS.items()})

    def names(self) -> list[str]:
        return [n for n in FLAG_NAMES if getattr(self, n)]

    def covers(self, other: TCPFlags) -> bool:
        """True when every flag set in ``other`` is also set here."""
        return all(getattr(self, n) for n in other.names())

    def to_dict(self) -> JSONDict:
        # Proto field order, not display order, to look like hubble's JSON.
        return {f.name: True for f in fields(self) if getattr(self, f.name)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TCPFlags:
        return cls(**{n: bool(d.get(n, False)) for n in FLAG_NAMES})


@dataclass(slots=True)
class TCP:
    source_port: int = 0
    destination_port: int = 0
    flags: TCPFlags = field(default_factory=TCPFlags)

    def to_dict(self) -> JSONDict:
        return compact(
            {
                "source_port": self.source_port,
                "destination_port": self.destination_port,
                "flags": self.flags.to_dict(),
            }
        )


@dataclass(slots=True)
class UDP:
    source_port: int = 0
    destination_port: int = 0

    def to_dict(self) -> JSONDict:
        return compact({"source_port": self.source_port, "destination_port": self.destination_port})


@dataclass(slots=True)
class Layer4:
    """Hubble's Layer4 oneof: exactly one of ``TCP``/``UDP`` is set (or none)."""

    TCP: TCP | None = None
    UDP: UDP | None = None

    def __post_init__(self) -> None:
        if self.TCP is not None and self.UDP is not None:
            raise ValueError("Layer4 is a oneof: set TCP or UDP, not both")

    @property
    def protocol(self) -> str:
        return "TCP" if self.TCP else "UDP" if self.UDP else ""

    @property
    def ports(self) -> tuple[int, int]:
        """(source_port, destination_port), zeros when there is no L4."""
        l4 = self.TCP or self.UDP
        return (l4.source_port, l4.destination_port) if l4 else (0, 0)

    def to_dict(self) -> JSONDict:
        if self.TCP is not None:
            return {"TCP": self.TCP.to_dict()}
        if self.UDP is not None:
            return {"UDP": self.UDP.to_dict()}
        return {}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Layer4:
        if "TCP" in d:
            t = as_dict(d["TCP"])
            return cls(
                TCP=TCP(
                    source_port=as_int(t.get("source_port")),
                    destination_port=as_int(t.get("destination_port")),
                    flags=TCPFlags.from_dict(as_dict(t.get("flags"))),
                )
            )
        if "UDP" in d:
            u = as_dict(d["UDP"])
            return cls(
                UDP=UDP(
                    source_port=as_int(u.get("source_port")),
                    destination_port=as_int(u.get("destination_port")),
                )
            )
        return cls()
