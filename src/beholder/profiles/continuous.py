"""Always-on profiling for `beholder serve`: sample at 19 Hz, harvest every N s, store.

The server owns one ContinuousProfiler: `start()` loads and attaches, a thread harvests,
symbolizes and stores each period, `stop()` harvests a last time and detaches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from beholder.profiles.model import Profile
from beholder.profiles.sampler import DEFAULT_CONTINUOUS_HZ, Filter, Sampler
from beholder.profiles.store import ProfileStore
from beholder.profiles.symbolize import Symbolizer


@dataclass
class HarvestInfo:
    end_ns: int
    samples: int
    rows: int
    symbolize_s: float
    lost: dict[str, int]


class ContinuousProfiler:
    RETENTION_EVERY_S = 60.0  # retention rides along with a write at most this often

    def __init__(self, store: ProfileStore, *, frequency: int = DEFAULT_CONTINUOUS_HZ,
                 interval_s: float = 10.0, filter: Filter | None = None,
                 on_profile: Callable[[Profile], object] | None = None) -> None:
        if interval_s <= 0:
            raise ValueError("interval must be positive")
        self.store, self.interval_s = store, interval_s
        self.symbolizer = Symbolizer()
        self.sampler = Sampler(frequency, filter, on_new_tgid=self.symbolizer.note_tgid,
                               harvest_interval_s=interval_s)
        self._on_profile = on_profile
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.harvests: list[HarvestInfo] = []  # the last few, newest last
        self._next_retention = 0.0
        self.errors: list[str] = []

    def start(self) -> ContinuousProfiler:
        self.sampler.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="beholder-profiler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            if self.sampler.started:
                self.harvest_now()  # what was sampled since the last period
        finally:
            self.sampler.close()
            self.symbolizer.close()

    def __enter__(self) -> ContinuousProfiler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:  # kallsyms (~0.4 s to read) now rather than in the middle of the first harvest
            _ = self.symbolizer.kernel
        except OSError as e:
            self.errors.append(f"kallsyms: {e}")
        while not self._stop.wait(self.interval_s):
            try:
                self.harvest_now()
            except Exception as e:  # keep profiling; the server shows the error
                self.errors = (self.errors + [f"{type(e).__name__}: {e}"])[-10:]

    def harvest_now(self) -> Profile:
        h = self.sampler.harvest()
        prof = self.symbolizer.profile(h, {"mode": "continuous"})
        retention = time.monotonic() >= self._next_retention
        if retention:
            self._next_retention = time.monotonic() + self.RETENTION_EVERY_S
        # one DuckDB connection per harvest at most: opening the file is most of the cost
        rows = self.store.add(prof if (prof.samples or prof.lost) else Profile(),
                              retention=retention)
        self.harvests = (self.harvests + [HarvestInfo(
            h.end_ns, prof.total(), rows, self.symbolizer.last.seconds, h.lost)])[-60:]
        if self._on_profile is not None:
            self._on_profile(prof)
        return prof

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

