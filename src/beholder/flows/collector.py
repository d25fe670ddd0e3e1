"""FlowCollector: load bpf/flows.bpf.o, attach it, and turn its records into Flows.

Data path: TCP close records and DNS datagrams arrive on two ring buffers; open TCP
connections and UDP traffic are harvested from LRU maps every ``harvest_interval``.
A poll thread builds Flows (attribution, DNS names) and hands them to a callback or to a
bounded queue. Nothing is dropped silently: ring overruns are counted in the kernel, LRU
evictions of live connections derived from the kernel's table counters, a full queue here;
see ``lost()``.
"""

from __future__ import annotations

import hashlib
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from beholder import bpf
from beholder.ebpf import NotSupported, Object, RingBuffer, env, features, open_object
from beholder.flows import kernel_records as kr
from beholder.flows.attribution import Attributor
from beholder.flows.build import dns_flow, socket_flow
from beholder.flows.dnscache import DNSCache
from beholder.flows.dnsparse import DNSMessage, DNSParseError, parse
from beholder.flows.enums import ConnState, LostEventSource, TrafficDirection
from beholder.flows.lost import LostEvent
from beholder.flows.model import Flow
from beholder.flows.process import Process

_SOCK_ADDR_PROGRAMS = tuple(f"flows_{op}{v}" for op in ("connect", "sendmsg", "recvmsg")
                            for v in (4, 6))
_CNT_UNTRACKED_CLOSE, _CNT_CREATED, _CNT_CLOSED = 0, 1, 2  # tcp_counters in flows.bpf.c
_NS_UUID = uuid.UUID("6f1c9a1e-56c1-4b1e-9a55-0b5e4f10c0de")


def flow_uuid(name: str) -> str:
    """str(uuid.uuid5(_NS_UUID, name)) without the two UUID objects uuid5 builds: a flow's
    uuid is derived from its socket so that every report of one connection shares it."""
    h = bytearray(hashlib.sha1(_NS_UUID.bytes + name.encode()).digest()[:16])  # noqa: S324
    h[6] = (h[6] & 0x0F) | 0x50  # version 5
    h[8] = (h[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"

# lost() keys -> Hubble's LostEvent sources
LOST_SOURCES = {
    "ring_events": LostEventSource.PERF_EVENT_RING_BUFFER,
    "ring_dns": LostEventSource.PERF_EVENT_RING_BUFFER,
    "flow_table": LostEventSource.UNKNOWN_LOST_EVENT_SOURCE,
    "queue": LostEventSource.OBSERVER_EVENTS_QUEUE,
}


@dataclass
class CollectorConfig:
    tcp_entries: int = 65536  # open TCP connections tracked in the kernel (LRU)
    udp_entries: int = 16384  # (UDP socket, peer) pairs
    owner_entries: int = 16384  # UDP socket -> process
    harvest_interval: float = 2.0  # seconds between reads of the flow maps
    open_report_interval: float = 30.0  # report a long-lived flow at most this often
    udp_idle_timeout: float = 10.0  # a UDP flow ends after this long without a datagram
    dns_port: int = 53  # an extra DNS port to capture besides 53
    ring_bytes: int = 16 << 20  # close records waiting for user space (~84k, 200 B each)
    dns_ring_bytes: int = 2 << 20  # DNS datagrams waiting for user space (~3.5k)
    queue_size: int = 65536  # flows waiting for flows()/next_flow() when there is no callback
    flush_on_stop: bool = True  # report the flows still open when the collector stops
    node_name: str = field(default_factory=socket.gethostname)
    cgroup: str = ""  # where cgroup_skb attaches; "" = the cgroup v2 root
    # where UDP owners come from: "sock_addr" (cgroup connect/sendmsg/recvmsg hooks, which
    # run only for UDP) or, on 6.3+, "tp_btf"/"raw_tracepoint" on sock:sock_send_length and
    # sock_recv_length, which also name the worker that uses an accepted socket (rather than
    # the listener's owner) but run on every send and receive of every socket
    msg_hook: str = "sock_addr"


def kprobe_available() -> bool:
    """Whether a kprobe path could be chosen here (doctor asks the same probe)."""
    return FlowCollector._probe("kprobe")


class FlowCollector:
    """``with FlowCollector(on_flow=print) as c: ...`` or iterate ``c.flows()``."""

    def __init__(self, on_flow: Callable[[Flow], Any] | None = None,
                 config: CollectorConfig | None = None,
                 enrich: Callable[[Flow], None] | None = None) -> None:
        self.config = config or CollectorConfig()
        self.on_flow = on_flow
        self.enrich = enrich  # e.g. k8s.PodIndex.enrich: adds to a flow before it is handed on
        # The tracepoint path works everywhere (sock:inet_sock_set_state, tcp:*, and
        # cgroup_skb and sock_addr for UDP) and does no per-packet work for TCP, so a
        # kprobe/fentry path (tcp_sendmsg, tcp_cleanup_rbuf...) would add cost, not remove
        # it: every kernel gets "tracepoint", and doctor says the same.
        self.path = "tracepoint"
        self.kprobe_available = False
        self.msg_hook = ""  # tp_btf, raw_tracepoint or sock_addr: where owners come from
        self.attributor = Attributor()
        self.dns = DNSCache()
        self.stats = {"tcp": 0, "udp": 0, "dns": 0, "dns_unparsed": 0, "callback_errors": 0,
                      "untracked_closes": 0}
        self.callback_error: Exception | None = None
        self._evicted = 0
        self._queue: queue.Queue[Flow] = queue.Queue(self.config.queue_size)
        self._queue_lost = 0
        self._obj: Object | None = None
        self._rings: list[RingBuffer] = []
        self._pending_close: list[bytes] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._reported: dict[Any, int] = {}
        self._wall_offset = time.time_ns() - time.monotonic_ns()
        self.error: BaseException | None = None

    # -- lifecycle --

    @staticmethod
    def _probe(name: str) -> bool:
        try:
            return bool(features.probe(name).available)
        except Exception:  # noqa: BLE001 - a probe that cannot run means "not available"
            return False

    def start(self) -> FlowCollector:
        cfg = self.config
        spec = open_object(bpf.path("flows"))
        try:
            kr.check_layout({n: m.value_size for n, m in spec.maps.items()})
            spec.set_max_entries(tcp_flows=cfg.tcp_entries, udp_flows=cfg.udp_entries,
                                 sk_owner=cfg.owner_entries, events=cfg.ring_bytes,
                                 dns_events=cfg.dns_ring_bytes)
            hook = cfg.msg_hook
            if hook not in ("tp_btf", "raw_tracepoint", "sock_addr"):
                raise ValueError(f"unknown msg_hook {hook!r}: sock_addr, tp_btf or "
                                 "raw_tracepoint")
            if hook != "sock_addr" and not os.path.isdir(
                    os.path.join(env.tracefs(), "events", "sock", "sock_send_length")):
                raise NotSupported(f"msg_hook {hook!r} needs the tracepoint "
                                   "sock:sock_send_length (Linux 6.3 or later)")
            btf, raw = hook == "tp_btf", hook == "raw_tracepoint"
            for name, use in (("flows_send_btf", btf), ("flows_recv_btf", btf),
                              ("flows_send", raw), ("flows_recv", raw)):
                spec.programs[name].autoload = use
            for name in _SOCK_ADDR_PROGRAMS:  # UDP owners where the send/recv hooks are missing
                spec.programs[name].autoload = hook == "sock_addr"
            spec.set_rodata(dns_port=cfg.dns_port)
            self.msg_hook = hook
            obj = spec.load()
        except BaseException:
            spec.close()
            raise
        self._obj = obj
        self.kprobe_available = kprobe_available()
        try:
            cgroup = cfg.cgroup or env.cgroup2()
            self.attributor = Attributor(env.cgroup2())
            for prog in obj.programs.values():
                if prog.name == "flows_refresh":
                    continue  # run by _harvest, never attached
                if prog.section.startswith(("cgroup_skb", "cgroup/")):
                    prog.attach_cgroup(cgroup)
                else:
                    prog.attach()
            self._add_old_listeners(obj)
            self._rings = [RingBuffer(obj.map("dns_events"), self._on_dns,
                                      lost=obj.map("dns_events_lost")),
                           RingBuffer(obj.map("events"), self._pending_close.append,
                                      lost=obj.map("events_lost"))]
        except BaseException:
            self.close()
            raise
        self._wall_offset = time.time_ns() - time.monotonic_ns()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="beholder-flows", daemon=True)
        self._thread.start()
        return self

    @staticmethod
    def _add_old_listeners(obj: Object) -> None:
        """Owners of sockets listening since before start (the kernel side records those that
        listen() later, and its entries win: NOEXIST)."""
        from beholder.flows import listeners

        m = obj.map("listeners")
        for (netns, port), owner in listeners.scan().items():
            try:
                m.update(kr.listen_key(netns, port), owner.encode(), m.NOEXIST)
            except OSError:
                pass  # already there (EEXIST)

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None
        if self._obj is not None and self.config.flush_on_stop:
            with self._lock:
                self._drain()
                self._harvest(final=True)
        self.close()

    def close(self) -> None:
        for ring in self._rings:
            ring.close()
        self._rings = []
        if self._obj is not None:
            self._lost_at_close = self.lost()
            self._obj.close()
            self._obj = None

    def __enter__(self) -> FlowCollector:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- output --

    def flows(self, timeout: float | None = None) -> Iterator[Flow]:
        """Flows as they come (only without a callback); ends after `timeout` s of silence."""
        while True:
            try:
                yield self._queue.get(timeout=timeout)
            except queue.Empty:
                return

    def _emit(self, flow: Flow) -> None:
        if self.enrich is not None:
            self.enrich(flow)
        if self.on_flow is not None:
            try:
                self.on_flow(flow)
            except Exception as e:  # noqa: BLE001 - one bad consumer call must not stop
                self.stats["callback_errors"] += 1  # the collector; counted, last one kept
                self.callback_error = e
            return
        try:
            self._queue.put_nowait(flow)
        except queue.Full:
            self._queue_lost += 1

    def lost(self) -> dict[str, int]:
        """Events lost so far, per source (kernel rings, LRU evictions, the user queue)."""
        if self._obj is None:
            return dict(getattr(self, "_lost_at_close", {"queue": self._queue_lost}))
        rings = {"ring_dns": self._rings[0].lost if self._rings else 0,
                 "ring_events": self._rings[1].lost if len(self._rings) > 1 else 0}
        return {**rings, "flow_table": self._evicted, "queue": self._queue_lost}

    def _tcp_counter(self, which: int) -> int:
        assert self._obj is not None
        return int(self._obj.map("tcp_counters").lookup(which) or 0)

    def lost_events(self) -> list[LostEvent]:
        now = time.time_ns()
        return [LostEvent(source=LOST_SOURCES[k], num_events_lost=n, time_ns=now,
                          node_name=self.config.node_name)
                for k, n in self.lost().items() if n]

    @property
    def total_lost(self) -> int:
        return sum(self.lost().values())

    # -- the poll loop --

    def _run(self) -> None:
        next_harvest = time.monotonic() + self.config.harvest_interval
        try:
            while not self._stop.is_set():
                self._rings[1].poll(50)
                with self._lock:
                    self._drain()
                    if time.monotonic() >= next_harvest:
                        self._harvest()
                        next_harvest = time.monotonic() + self.config.harvest_interval
        except BaseException as e:  # surfaced to the owner through .error
            self.error = e

    def _drain(self) -> None:
        """DNS first, then closes: a name must be known before the flow that uses it."""
        if not self._rings:
            return
        self._rings[0].consume()
        self._rings[1].consume()
        self._rings[0].consume()
        pending, self._pending_close[:] = list(self._pending_close), []
        for raw in pending:
            if kr.record_type(raw) == kr.REC_TCP_CLOSE:
                self._emit(self.tcp_flow(kr.decode_tcp_close(raw)))

    def _wall(self, mono_ns: int) -> int:
        return mono_ns + self._wall_offset if mono_ns else time.time_ns()

    # -- TCP --

    def tcp_flow(self, rec: kr.TcpRecord, *, open_now_ns: int = 0) -> Flow:
        self.stats["tcp"] += 1
        proc = self.attributor.process(rec.owner)
        egress = rec.direction == kr.DIR_EGRESS
        if open_now_ns:
            state, end = ConnState.OPEN, open_now_ns
        else:
            end = rec.end_ns
            resets = rec.resets_recv + rec.resets_sent
            if not rec.established_ns:
                state = ConnState.REFUSED if rec.resets_recv else ConnState.TIMEOUT
            else:
                state = ConnState.RESET if resets else ConnState.CLOSED
        if egress:
            src, sport, dst, dport = rec.local_ip, rec.local_port, rec.remote_ip, rec.remote_port
        else:
            src, sport, dst, dport = rec.remote_ip, rec.remote_port, rec.local_ip, rec.local_port
        flow = socket_flow(
            time_ns=self._wall(end), protocol="tcp", source_ip=src, source_port=sport,
            destination_ip=dst, destination_port=dport,
            direction=TrafficDirection.EGRESS if egress else TrafficDirection.INGRESS,
            process=proc, tcp_flags=kr.flag_names(rec.flags), state=state,
            bytes_sent=rec.bytes_sent, bytes_received=rec.bytes_recv,
            packets_sent=rec.pkts_sent, packets_received=rec.pkts_recv,
            retransmits=rec.retransmits, resets=rec.resets_sent + rec.resets_recv,
            duration_ns=max(end - rec.start_ns, 0), node_name=self.config.node_name,
            socket_cookie=rec.cookie,
            flow_uuid=flow_uuid(f"tcp/{rec.sk:x}/{rec.start_ns}"))
        self._add_names(flow, proc, rec.remote_ip, egress)
        return flow

    def _add_names(self, flow: Flow, proc: Process | None, remote_ip: str, egress: bool) -> None:
        names = self.dns.names(proc.pid if proc else 0, flow.ip.destination if egress
                               else flow.ip.source)
        if not names:
            return
        if egress:
            flow.destination_names = names
        else:
            flow.source_names = names

    # -- UDP and open TCP: harvested from the maps --

    def _owner(self, cookie: int) -> kr.Owner | None:
        if self._obj is None or not cookie:
            return None
        raw = self._obj.map("sk_owner").lookup(cookie)
        return kr.Owner.decode(bytes(raw)) if raw is not None else None

    def udp_flow(self, rec: kr.UdpRecord, state: ConnState, now_mono: int) -> Flow:
        self.stats["udp"] += 1
        proc = self.attributor.process(self._owner(rec.cookie))
        egress = rec.first_egress
        if egress:
            src, sport, dst, dport = rec.local_ip, rec.local_port, rec.remote_ip, rec.remote_port
        else:
            src, sport, dst, dport = rec.remote_ip, rec.remote_port, rec.local_ip, rec.local_port
        end = rec.last_ns if state is not ConnState.OPEN else now_mono
        flow = socket_flow(
            time_ns=self._wall(end), protocol="udp", source_ip=src, source_port=sport,
            destination_ip=dst, destination_port=dport,
            direction=TrafficDirection.EGRESS if egress else TrafficDirection.INGRESS,
            process=proc, state=state, bytes_sent=rec.bytes_sent,
            bytes_received=rec.bytes_recv, packets_sent=rec.pkts_sent,
            packets_received=rec.pkts_recv, duration_ns=max(rec.last_ns - rec.first_ns, 0),
            node_name=self.config.node_name,
            socket_cookie=rec.cookie,
            flow_uuid=flow_uuid(f"udp/{rec.cookie:x}/{rec.remote_ip}/{rec.remote_port}/"
                                f"{rec.first_ns}"))
        self._add_names(flow, proc, rec.remote_ip, egress)
        return flow

    def _harvest(self, final: bool = False) -> None:
        if self._obj is None:
            return
        cfg = self.config
        now = time.monotonic_ns()
        every = int(cfg.open_report_interval * 1e9)
        seen: set[Any] = set()
        # open connections' bytes and segments, copied from tcp_sock in the kernel
        self._obj.program("flows_refresh").test_run()
        # created-before minus closed-after minus live is a lower bound of LRU evictions
        created = self._tcp_counter(_CNT_CREATED)
        items = self._obj.map("tcp_flows").items()
        closed = self._tcp_counter(_CNT_CLOSED)
        self._evicted = max(self._evicted, created - closed - len(items))
        self.stats["untracked_closes"] = self._tcp_counter(_CNT_UNTRACKED_CLOSE)
        for sk, value in items:
            rec = kr.TcpRecord.decode(bytes(value))
            if not rec.established_ns:
                continue
            key = ("tcp", sk, rec.start_ns)
            seen.add(key)
            last = self._reported.get(key, rec.established_ns)
            if final or now - last >= every:
                self._reported[key] = now
                self._emit(self.tcp_flow(rec, open_now_ns=now))
        udp = self._obj.map("udp_flows")
        idle = int(cfg.udp_idle_timeout * 1e9)
        for key_raw, value in udp.items():
            urec = kr.UdpRecord.decode(bytes(key_raw), bytes(value))
            ukey = ("udp", bytes(key_raw), urec.first_ns)
            if now - urec.last_ns >= idle:
                udp.delete(key_raw)
                self._reported.pop(ukey, None)
                self._emit(self.udp_flow(urec, ConnState.CLOSED, now))
                continue
            seen.add(ukey)
            ulast = self._reported.get(ukey, urec.first_ns)
            if final or now - ulast >= every:
                self._reported[ukey] = now
                self._emit(self.udp_flow(urec, ConnState.OPEN, now))
        self._reported = {k: v for k, v in self._reported.items() if k in seen}

    # -- DNS --

    def _on_dns(self, raw: bytes) -> None:
        rec = kr.DnsRecord.decode(raw)
        try:
            msg = parse(rec.payload)
        except DNSParseError:
            self.stats["dns_unparsed"] += 1
            return
        owner = self._owner(rec.cookie)
        if owner is not None:
            self.attributor.remember(owner.pid)
        tup = self.dns.client_tuple(msg, rec.source_ip, rec.source_port, rec.destination_ip,
                                    rec.destination_port)
        # the client's own socket receiving the answer: learn names for that process
        if msg.response and not rec.egress and owner is not None:
            self.dns.learn(owner.pid, msg)
        elif msg.response and rec.egress:
            self.dns.learn(0, msg)
        latency = self.dns.latency(msg, tup, rec.ts_ns)
        if not self.dns.first_sighting(msg, tup, rec.ts_ns):
            return
        self.stats["dns"] += 1
        self._emit(self.dns_message_flow(rec, msg, owner, latency))

    def dns_message_flow(self, rec: kr.DnsRecord, msg: DNSMessage, owner: kr.Owner | None,
                         latency_ns: int) -> Flow:
        base = socket_flow(
            time_ns=self._wall(rec.ts_ns), protocol="udp", source_ip=rec.source_ip,
            source_port=rec.source_port, destination_ip=rec.destination_ip,
            destination_port=rec.destination_port,
            direction=TrafficDirection.EGRESS if rec.egress else TrafficDirection.INGRESS,
            process=self.attributor.process(owner), node_name=self.config.node_name,
            socket_cookie=rec.cookie)
        return dns_flow(base=base, response=msg.response, query=msg.query or ".",
                        qtypes=msg.qtypes, ips=msg.ips, ttl=msg.ttl, cnames=msg.cnames,
                        rcode=msg.rcode, rrtypes=msg.rrtypes, latency_ns=latency_ns)
