"""Layer 7 records: Hubble's Layer7 envelope and its DNS message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from beholder.flows.enums import L7FlowType, parse_enum
from beholder.flows.wire import JSONDict, as_dict, as_int, as_str_list, compact, u64

# RFC 1035/6895 response codes, spelled as miekg/dns (and so Hubble) spells them.
RCODE_NAMES: dict[int, str] = {
    0: "NOERROR",
    1: "FORMERR",
    2: "SERVFAIL",
    3: "NXDOMAIN",
    4: "NOTIMP",
    5: "REFUSED",
    6: "YXDOMAIN",
    7: "YXRRSET",
    8: "NXRRSET",
    9: "NOTAUTH",
    10: "NOTZONE",
}

# Cilium's DNSDataSource values are "proxy" and "toFQDNs"; beholder adds "ebpf"
# for answers parsed from packets captured by its socket probes.
OBSERVATION_SOURCE_EBPF = "ebpf"
OBSERVATION_SOURCE_PROXY = "proxy"


def rcode_name(rcode: int) -> str:
    return RCODE_NAMES.get(rcode, f"RCODE{rcode}")


@dataclass(slots=True)
class DNS:
    """Hubble's DNS message. ``query`` keeps the trailing dot (``example.com.``)."""

    query: str = ""
    ips: list[str] = field(default_factory=list)
    ttl: int = 0  # minimum TTL over the answers, seconds
    cnames: list[str] = field(default_factory=list)
    observation_source: str = ""
    rcode: int = 0
    qtypes: list[str] = field(default_factory=list)  # ["A"], ["AAAA"], ...
    rrtypes: list[str] = field(default_factory=list)  # types present in the answer section

    def to_dict(self) -> JSONDict:
        return compact(
            {
                "query": self.query,
                "ips": list(self.ips),
                "ttl": self.ttl,
                "cnames": list(self.cnames),
                "observation_source": self.observation_source,
                "rcode": self.rcode,
                "qtypes": list(self.qtypes),
                "rrtypes": list(self.rrtypes),
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DNS:
        return cls(
            query=str(d.get("query", "")),
            ips=as_str_list(d.get("ips")),
            ttl=as_int(d.get("ttl")),
            cnames=as_str_list(d.get("cnames")),
            observation_source=str(d.get("observation_source", "")),
            rcode=as_int(d.get("rcode")),
            qtypes=as_str_list(d.get("qtypes")),
            rrtypes=as_str_list(d.get("rrtypes")),
        )


@dataclass(slots=True)
class Layer7:
    """Hubble's Layer7: request/response, latency, and one record (only DNS for now)."""

    type: L7FlowType = L7FlowType.UNKNOWN_L7_TYPE
    latency_ns: int = 0  # responses only: time since the matching request
    dns: DNS | None = None

    def to_dict(self) -> JSONDict:
        kind = None if self.type is L7FlowType.UNKNOWN_L7_TYPE else self.type.value
        d = compact({"type": kind, "latency_ns": u64(self.latency_ns)})
        if self.dns is not None:
            d["dns"] = self.dns.to_dict()  # a set oneof member prints even when empty
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Layer7:
        dns = d.get("dns")
        return cls(
            type=parse_enum(L7FlowType, d.get("type"), L7FlowType.UNKNOWN_L7_TYPE),
            latency_ns=as_int(d.get("latency_ns")),
            dns=DNS.from_dict(as_dict(dns)) if dns is not None else None,
        )
