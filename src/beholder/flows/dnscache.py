"""What DNS told each process: IP -> names per pid (for destination_names), query latency,
and de-duplication of a message seen on both of its sockets (loopback, local namespaces).
All tables are bounded LRUs; names expire with their TTL (at least ``min_ttl_s``)."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Generic, TypeVar

from beholder.flows.dnsparse import DNSMessage

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(OrderedDict[K, V], Generic[K, V]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: K, value: V) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


Tuple4 = tuple[str, int, str, int]  # client ip, client port, server ip, server port


class DNSCache:
    def __init__(self, max_names: int = 16384, max_pending: int = 4096,
                 min_ttl_s: float = 60.0, dedupe_window_ns: int = 2_000_000_000) -> None:
        # (pid, ip) -> (names, expiry monotonic seconds); pid 0 is the host-wide fallback
        self._names: BoundedDict[tuple[int, str], tuple[list[str], float]] = \
            BoundedDict(max_names)
        self._pending: BoundedDict[tuple[int, Tuple4], int] = BoundedDict(max_pending)
        self._seen: BoundedDict[tuple[bool, int, Tuple4], int] = BoundedDict(max_pending)
        self.min_ttl_s = min_ttl_s
        self.dedupe_window_ns = dedupe_window_ns

    @staticmethod
    def client_tuple(msg: DNSMessage, src: str, sport: int, dst: str, dport: int) -> Tuple4:
        return (dst, dport, src, sport) if msg.response else (src, sport, dst, dport)

    def first_sighting(self, msg: DNSMessage, tup: Tuple4, ts_ns: int) -> bool:
        """True the first time this message is seen (a second socket sees it again)."""
        key = (msg.response, msg.id, tup)
        prev = self._seen.get(key)
        self._seen.put(key, ts_ns)
        return prev is None or ts_ns - prev > self.dedupe_window_ns

    def latency(self, msg: DNSMessage, tup: Tuple4, ts_ns: int) -> int:
        """Record a query; for a response return ns since its query (0 if unseen)."""
        key = (msg.id, tup)
        if not msg.response:
            if key not in self._pending:
                self._pending.put(key, ts_ns)
            return 0
        start = self._pending.pop(key, None)
        return ts_ns - start if start is not None and ts_ns >= start else 0

    def learn(self, pid: int, msg: DNSMessage, now: float | None = None) -> None:
        """Remember the answer's addresses for `pid` (and host-wide) under the query name."""
        if not msg.response or not msg.query:
            return
        now = time.monotonic() if now is None else now
        expiry = now + max(float(msg.ttl), self.min_ttl_s)
        for ip in msg.ips:
            for owner in {pid, 0}:
                old = self._names.get((owner, ip))
                names = list(old[0]) if old and old[1] > now else []
                if msg.query not in names:
                    names.append(msg.query)
                self._names.put((owner, ip), (names[-8:], expiry))

    def names(self, pid: int, ip: str, now: float | None = None) -> list[str]:
        """Names `pid` resolved to `ip`, with trailing dots. Another process's lookups do not
        count (as Hubble's per-endpoint cache); pid 0 (owner unknown) asks the host-wide one."""
        now = time.monotonic() if now is None else now
        for owner in (pid,):
            hit = self._names.get((owner, ip))
            if hit and hit[1] > now:
                return [n + "." for n in hit[0]]
        return []
