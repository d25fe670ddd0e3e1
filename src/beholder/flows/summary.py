"""Hubble-style one-phrase summaries ("TCP Flags: SYN, ACK", "DNS Query example.com. A")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from beholder.flows.dns import DNS, OBSERVATION_SOURCE_PROXY, rcode_name
from beholder.flows.enums import IPVersion, L7FlowType

if TYPE_CHECKING:
    from beholder.flows.model import Flow


def dns_summary(kind: L7FlowType, dns: DNS) -> str:
    """Summary of a DNS message, worded like Hubble's so muscle memory and greps carry over."""
    qtypes = ",".join(dns.qtypes)
    question = f"{dns.query} {qtypes}".rstrip()
    if kind is not L7FlowType.RESPONSE:
        return f"DNS Query {question}"
    if dns.rcode != 0:
        answer = f"RCode: {rcode_name(dns.rcode)}"
    else:
        answer = f'"{",".join(dns.ips)}" TTL: {dns.ttl}'
        if dns.cnames:
            answer += f' CNAMEs: "{",".join(dns.cnames)}"'
    via = "Proxy" if dns.observation_source == OBSERVATION_SOURCE_PROXY else "Query"
    return f"DNS Answer {answer} ({via} {question})"


def build_summary(flow: Flow) -> str:
    """Stable summary derived only from the flow's fields (never from time or counters)."""
    if flow.l7 is not None and flow.l7.dns is not None:
        return dns_summary(flow.l7.type, flow.l7.dns)
    if flow.l4.TCP is not None:
        names = flow.l4.TCP.flags.names()
        return f"TCP Flags: {', '.join(names)}" if names else "TCP"
    if flow.l4.UDP is not None:
        return "UDP"
    if flow.ip.ip_version is not IPVersion.IP_NOT_USED:
        return flow.ip.ip_version.value
    return ""
