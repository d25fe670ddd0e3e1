"""Prometheus metrics of flows, with Hubble's metric names under a `beholder_` prefix.

Label cardinality is bounded: ports and context values (process, container, namespace)
beyond ``max_label_values`` distinct values are reported as "other".
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, generate_latest

from beholder.flows.enums import FlowType, L7FlowType
from beholder.flows.model import Flow, protocol_of

CONTEXTS = ("process", "container", "namespace")
OTHER = "other"


@dataclass
class MetricsConfig:
    contexts: tuple[str, ...] = ()  # any of CONTEXTS: adds a label per context
    max_label_values: int = 100  # per label, distinct values before "other"


class _Bounded:
    def __init__(self, limit: int) -> None:
        self.limit, self.seen = limit, set[str]()

    def __call__(self, value: str) -> str:
        if value in self.seen:
            return value
        if len(self.seen) >= self.limit:
            return OTHER
        self.seen.add(value)
        return value




class FlowMetrics:
    def __init__(self, config: MetricsConfig | None = None) -> None:
        self.config = config or MetricsConfig()
        for c in self.config.contexts:
            if c not in CONTEXTS:
                raise ValueError(f"unknown metrics context '{c}': choose from "
                                 f"{', '.join(CONTEXTS)}")
        self.registry = CollectorRegistry()
        ctx = list(self.config.contexts)
        r = self.registry
        self.flows = Counter("beholder_flows_processed_total", "Flows processed",
                             ["type", "verdict", "protocol", *ctx], registry=r)
        self.flags = Counter("beholder_tcp_flags_total", "TCP flags seen on flows",
                             ["flag", *ctx], registry=r)
        self.retransmits = Counter("beholder_tcp_retransmits_total",
                                   "TCP segments retransmitted", ctx, registry=r)
        self.dns_queries = Counter("beholder_dns_queries_total", "DNS queries observed",
                                   ctx, registry=r)
        self.dns_responses = Counter("beholder_dns_responses_total", "DNS responses observed",
                                     ["rcode", "qtypes", *ctx], registry=r)
        self.ports = Counter("beholder_port_distribution_total",
                             "Flows by destination port", ["protocol", "port", *ctx],
                             registry=r)
        self.bytes = Counter("beholder_flow_bytes_total", "Bytes moved by flows, as the "
                             "owning process saw them", ["direction", *ctx], registry=r)
        self.lost = Counter("beholder_lost_events_total", "Events lost before processing",
                            ["source"], registry=r)
        n = self.config.max_label_values
        self._ports = _Bounded(n)
        self._ctx = {c: _Bounded(n) for c in ctx}

    @staticmethod
    def _l(metric: Counter, *labels: str) -> Counter:
        return metric.labels(*labels) if labels else metric

    def _context(self, flow: Flow) -> list[str]:
        out = []
        proc = flow.owner().process
        for c in self.config.contexts:
            if proc is None:
                value = ""
            elif c == "process":
                value = proc.comm
            elif c == "container":
                value = proc.container.short_id if proc.container else ""
            else:
                value = str(proc.netns) if proc.netns else ""
            out.append(self._ctx[c](value))
        return out

    def observe(self, flow: Flow) -> None:
        ctx = self._context(flow)
        proto = protocol_of(flow).upper() or "unknown"
        self._l(self.flows, flow.type.value, flow.verdict.value, proto, *ctx).inc()
        if flow.l7 is not None and flow.l7.dns is not None:
            dns = flow.l7.dns
            if flow.l7.type is L7FlowType.REQUEST:
                self._l(self.dns_queries, *ctx).inc()
            else:
                self._l(self.dns_responses, str(dns.rcode), ",".join(dns.qtypes), *ctx).inc()
            return
        if flow.type is not FlowType.L3_L4:
            return
        if flow.l4.TCP is not None:
            for name in flow.l4.TCP.flags.names():
                self._l(self.flags, name, *ctx).inc()
            port = flow.l4.TCP.destination_port
        elif flow.l4.UDP is not None:
            port = flow.l4.UDP.destination_port
        else:
            return
        self._l(self.ports, proto, self._ports(str(port)), *ctx).inc()
        if flow.tcp is not None and flow.tcp.retransmits:
            self._l(self.retransmits, *ctx).inc(flow.tcp.retransmits)
        if flow.bytes is not None:
            self._l(self.bytes, "sent", *ctx).inc(flow.bytes.sent)
            self._l(self.bytes, "received", *ctx).inc(flow.bytes.received)

    def set_lost(self, lost: dict[str, int], previous: dict[str, int]) -> None:
        for source, n in lost.items():
            delta = n - previous.get(source, 0)
            if delta > 0:
                self.lost.labels(source).inc(delta)
            else:
                self.lost.labels(source)  # make the series visible at 0

    def render(self) -> bytes:
        return generate_latest(self.registry)
