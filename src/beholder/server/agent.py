"""The agent's core: one FlowCollector feeding the store, the metrics and live subscribers."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beholder.flows.collector import CollectorConfig, FlowCollector
from beholder.flows.filters import FlowFilter
from beholder.flows.k8s import KubeConfig, PodIndex
from beholder.flows.lost import LostEvent
from beholder.flows.model import Flow
from beholder.flows.store import FlowStore

from .metrics import FlowMetrics, MetricsConfig


@dataclass
class AgentConfig:
    data_dir: Path = Path("/var/lib/beholder")
    max_bytes: int = 1 << 30
    max_age_s: float = 7 * 86400
    retention_every_s: float = 60.0
    flush_every_s: float = 1.0
    subscriber_queue: int = 10000
    collector: CollectorConfig = field(default_factory=CollectorConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    profile_frequency: int = 19  # Hz, as Parca; 0 turns continuous profiling off
    profile_interval_s: float = 10.0
    profile_max_bytes: int = 512 << 20
    kube: KubeConfig | None = None  # Kubernetes enrichment: pod names, namespaces, labels

    @property
    def profile_store_path(self) -> Path:
        return self.data_dir / "profiles.duckdb"  # where `beholder profile query` looks


class Subscriber:
    """A live /flows?follow=1 client: a bounded queue; overflow is counted as lost."""

    def __init__(self, flt: FlowFilter, size: int) -> None:
        self.filter = flt
        self.queue: queue.Queue[Flow] = queue.Queue(size)
        self.dropped = 0

    def offer(self, flow: Flow) -> None:
        if not self.filter.matches(flow):
            return
        try:
            self.queue.put_nowait(flow)
        except queue.Full:
            self.dropped += 1


class Agent:
    def __init__(self, config: AgentConfig | None = None) -> None:
        self.config = config or AgentConfig()
        self.metrics = FlowMetrics(self.config.metrics)
        self.store = FlowStore(self.config.data_dir, max_bytes=self.config.max_bytes,
                               max_age_s=self.config.max_age_s)
        self.pods = PodIndex(self.config.kube) if self.config.kube is not None else None
        self.collector = FlowCollector(on_flow=self._on_flow, config=self.config.collector,
                                       enrich=self.pods.enrich if self.pods else None)
        self.profiler: Any = None
        self.profile_store: Any = None
        if self.config.profile_frequency > 0:
            from beholder.profiles.continuous import ContinuousProfiler
            from beholder.profiles.store import ProfileStore

            self.profile_store = ProfileStore(self.config.profile_store_path,
                                              max_bytes=self.config.profile_max_bytes,
                                              max_age_s=self.config.max_age_s)
            self.profiler = ContinuousProfiler(self.profile_store,
                                               frequency=self.config.profile_frequency,
                                               interval_s=self.config.profile_interval_s)
        self.flows_seen = 0
        self.started = time.time()
        self._pending: list[Flow] = []
        self._subs: list[Subscriber] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None
        self._lost_prev: dict[str, int] = {}
        self.store_lost = 0  # flows the store refused (see flush)
        self.store_error = ""

    def start(self) -> Agent:
        if self.pods is not None:
            self.pods.start()  # a bad API URL or token fails here, before any program loads
        try:
            self.collector.start()
        except BaseException:
            if self.pods is not None:
                self.pods.stop()
            raise
        if self.profiler is not None:
            try:
                self.profiler.start()
            except BaseException:
                self.collector.stop()
                if self.pods is not None:
                    self.pods.stop()
                raise
        self._writer = threading.Thread(target=self._write_loop, name="beholder-store",
                                        daemon=True)
        self._writer.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._writer is not None:
            self._writer.join(timeout=10)
        self.collector.stop()
        if self.pods is not None:
            self.pods.stop()
        if self.profiler is not None:
            self.profiler.stop()
            self.profile_store.close()
        self.flush()
        self.store.close()

    def _on_flow(self, flow: Flow) -> None:  # collector thread
        self.metrics.observe(flow)
        with self._lock:
            self.flows_seen += 1
            self._pending.append(flow)
            subs = list(self._subs)
        for s in subs:
            s.offer(flow)

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        try:
            self.store.add(batch)
        except Exception as e:  # noqa: BLE001 - a batch the store refuses must not stop the
            self.store_lost += len(batch)  # writer: counted as lost, the last error kept
            self.store_error = f"{type(e).__name__}: {e}"

    def _write_loop(self) -> None:
        next_retention = time.monotonic()
        while not self._stop.wait(self.config.flush_every_s):
            self.flush()
            lost = self.lost()
            self.metrics.set_lost(lost, self._lost_prev)
            self._lost_prev = lost
            if time.monotonic() >= next_retention:
                self.store.enforce_retention()
                next_retention = time.monotonic() + self.config.retention_every_s

    def lost(self) -> dict[str, int]:
        out = self.collector.lost()
        out["store"] = self.store_lost
        with self._lock:
            out["subscribers"] = sum(s.dropped for s in self._subs)
        return out

    # -- queries --

    def history(self, flt: FlowFilter, since: int | None, until: int | None,
                last: int | None) -> list[Flow]:
        self.flush()
        return self.store.query(since_ns=since, until_ns=until, last=last, flt=flt)

    def follow(self, flt: FlowFilter,
               stop: threading.Event) -> Iterator[Flow | LostEvent | None]:
        """Live flows; None when idle, so a streaming client's disconnect is noticed."""
        sub = Subscriber(flt, self.config.subscriber_queue)
        with self._lock:
            self._subs.append(sub)
        reported = 0
        try:
            while not stop.is_set() and not self._stop.is_set():
                try:
                    yield sub.queue.get(timeout=0.5)
                except queue.Empty:
                    yield None
                if sub.dropped > reported:
                    from beholder.flows.enums import LostEventSource

                    yield LostEvent(source=LostEventSource.HUBBLE_RING_BUFFER,
                                    num_events_lost=sub.dropped - reported,
                                    time_ns=time.time_ns(),
                                    node_name=self.config.collector.node_name)
                    reported = sub.dropped
        finally:
            with self._lock:
                self._subs.remove(sub)
