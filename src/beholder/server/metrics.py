"""Prometheus metrics of flows, with Hubble's metric names under a `beholder_` prefix.

Label cardinality is bounded: ports and context values (process, container, namespace)
beyond ``max_label_values`` distinct values are reported as "other".
"""

from __future__ import annotations

import threading
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
        self._due: dict[tuple[Counter, tuple[str, ...]], float] = {}
        self._lock = threading.Lock()

    def _add(self, metric: Counter, labels: tuple[str, ...], amount: float = 1) -> None:
        """Count now, apply at the next render(): a flow adds to about seven series, and
        prometheus_client's labels() and inc() each check and lock, which cost more than
        the rest of a flow's processing in a connection storm."""
        key = (metric, labels)
        self._due[key] = self._due.get(key, 0) + amount

    def _apply(self) -> None:
        with self._lock:
            due, self._due = self._due, {}
        for (metric, labels), amount in due.items():
            (metric.labels(*labels) if labels else metric).inc(amount)

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
        ctx = tuple(self._context(flow))
        proto = protocol_of(flow).upper() or "unknown"
        with self._lock:
            self._observe(flow, ctx, proto)

    def _observe(self, flow: Flow, ctx: tuple[str, ...], proto: str) -> None:
        add = self._add
        add(self.flows, (flow.type.value, flow.verdict.value, proto, *ctx))
        if flow.l7 is not None and flow.l7.dns is not None:
            dns = flow.l7.dns
            if flow.l7.type is L7FlowType.REQUEST:
                add(self.dns_queries, ctx)
            else:
                add(self.dns_responses, (str(dns.rcode), ",".join(dns.qtypes), *ctx))
            return
        if flow.type is not FlowType.L3_L4:
            return
        if flow.l4.TCP is not None:
            for name in flow.l4.TCP.flags.names():
                add(self.flags, (name, *ctx))
            port = flow.l4.TCP.destination_port
        elif flow.l4.UDP is not None:
            port = flow.l4.UDP.destination_port
        else:
            return
        add(self.ports, (proto, self._ports(str(port)), *ctx))
        if flow.tcp is not None and flow.tcp.retransmits:
            add(self.retransmits, ctx, flow.tcp.retransmits)
        if flow.bytes is not None:
            add(self.bytes, ("sent", *ctx), flow.bytes.sent)
            add(self.bytes, ("received", *ctx), flow.bytes.received)

    def set_lost(self, lost: dict[str, int], previous: dict[str, int]) -> None:
        for source, n in lost.items():
            delta = n - previous.get(source, 0)
            if delta > 0:
                self.lost.labels(source).inc(delta)
            else:
                self.lost.labels(source)  # make the series visible at 0

    def render(self) -> bytes:
        self._apply()
        return generate_latest(self.registry)
