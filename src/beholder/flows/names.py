"""Remember which DNS names resolved to which IPs, to fill source_names/destination_names."""

from __future__ import annotations

from collections import OrderedDict

from beholder.flows.dns import DNS
from beholder.flows.enums import L7FlowType
from beholder.flows.l3l4 import normalize_ip
from beholder.flows.model import Flow
from beholder.flows.timestamps import NS_PER_S


class NameCache:
    """IP -> {name: expiry} learned from DNS answers, bounded and LRU-evicted.

    Entries live at least ``min_ttl_s``: answers often carry TTLs of seconds,
    while the connections they lead to (and their close events) come minutes
    later. This mirrors Cilium's ``tofqdns-min-ttl``.
    """

    def __init__(self, *, max_ips: int = 16384, min_ttl_s: int = 300) -> None:
        self.max_ips = max_ips
        self.min_ttl_ns = min_ttl_s * NS_PER_S
        self._by_ip: OrderedDict[str, dict[str, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_ip)

    def learn(self, dns: DNS, now_ns: int) -> None:
        """Record an answer: every returned IP is known by the query and its CNAME chain."""
        if not dns.query or dns.rcode != 0:
            return
        expiry = now_ns + max(dns.ttl * NS_PER_S, self.min_ttl_ns)
        names = [dns.query, *dns.cnames]
        for raw in dns.ips:
            try:
                ip = normalize_ip(raw)
            except ValueError:
                continue
            entry = self._by_ip.setdefault(ip, {})
            for name in names:
                entry[name] = max(entry.get(name, 0), expiry)
            self._by_ip.move_to_end(ip)
        while len(self._by_ip) > self.max_ips:
            self._by_ip.popitem(last=False)

    def names_for(self, ip: str, now_ns: int) -> list[str]:
        """Unexpired names of ``ip``, sorted for stable output."""
        entry = self._by_ip.get(ip)
        if not entry:
            return []
        live = {n: t for n, t in entry.items() if t > now_ns}
        if len(live) != len(entry):
            if live:
                self._by_ip[ip] = live
            else:
                del self._by_ip[ip]
        return sorted(live)

    def observe(self, flow: Flow) -> None:
        """Learn from a DNS response flow, then fill the flow's own names; call on every flow."""
        l7 = flow.l7
        if l7 is not None and l7.dns is not None and l7.type is L7FlowType.RESPONSE:
            self.learn(l7.dns, flow.time_ns)
        self.enrich(flow)

    def enrich(self, flow: Flow) -> None:
        """Fill empty source_names/destination_names from what the cache knows."""
        if not flow.source_names and flow.ip.source:
            flow.source_names = self.names_for(flow.ip.source, flow.time_ns)
        if not flow.destination_names and flow.ip.destination:
            flow.destination_names = self.names_for(flow.ip.destination, flow.time_ns)
