"""The kernel-facing half of profiling: load profile.bpf.o, sample on cpu-clock, harvest the maps.

A harvest flips the `active` index so new samples go to the other set of maps, waits for
samples already running on other CPUs to finish, then reads and clears the set it left. The
first sample of every tgid is announced through a ring buffer so the caller can snapshot
/proc/PID/maps while the process still exists (see symbolize/procmaps.py).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from beholder import bpf
from beholder.ebpf import Object, RingBuffer, open_object

# Order of `enum profile_stat` in profile.bpf.c.
STATS = ("samples", "idle", "filtered", "user_stack_collisions", "kernel_stack_collisions",
         "stack_drops", "count_drops", "new_tgid_lost")
# The ones that mean samples (or their stacks) were lost; reported as Profile.lost.
LOST_STATS = ("user_stack_collisions", "kernel_stack_collisions", "stack_drops", "count_drops")

DEFAULT_ONESHOT_HZ = 99
DEFAULT_CONTINUOUS_HZ = 19
# A perf_event program runs with interrupts off and finishes in microseconds; waiting this
# long after the flip means no CPU still writes into the set being read.
_FLIP_GRACE_S = 0.005


@dataclass(frozen=True, slots=True)
class RawSample:
    """One aggregated (tgid, pid, stacks, comm, cgroup) entry of a harvest. Stacks leaf-first;
    an empty stack means there was none (kernel thread / user mode) or it was lost."""

    tgid: int
    pid: int
    comm: str
    cgroup_id: int
    user: tuple[int, ...]
    kernel: tuple[int, ...]
    count: int


@dataclass(slots=True)
class Harvest:
    samples: list[RawSample]
    start_ns: int  # wall clock
    end_ns: int
    frequency_hz: int
    stats: dict[str, int] = field(default_factory=dict)  # deltas over this harvest

    @property
    def lost(self) -> dict[str, int]:
        return {k: v for k, v in self.stats.items() if k in LOST_STATS and v}

    def total(self) -> int:
        return sum(s.count for s in self.samples)


@dataclass(frozen=True, slots=True)
class Filter:
    """What to sample. Empty means every process; the fields combine with AND."""

    tgids: frozenset[int] = frozenset()
    cgroup_ids: frozenset[int] = frozenset()
    comm: str = ""
    include_idle: bool = False


def stack_map_size(frequency: int, interval_s: float, cpus: int | None = None) -> int:
    """Stack slots per set. A stack map is a hash table without chaining: a new stack whose
    bucket is taken is lost (-EEXIST, counted), so with n distinct stacks in m slots about
    n/2m of them collide. Slots are preallocated (~1 KB each, two sets), so the size follows
    the sampling rate: 8 slots per possible sample of a harvest, 8192 to 32768 (8-32 MB a set).
    """
    n = 8 * (cpus or os.cpu_count() or 1) * frequency * max(interval_s, 1.0)
    return int(min(max(1 << max(int(n) - 1, 1).bit_length(), 8192), 32768))


class Sampler:
    """Owns the loaded object, the cpu-clock links and the new-tgid poller thread."""

    def __init__(self, frequency: int = DEFAULT_ONESHOT_HZ, filter: Filter | None = None,
                 on_new_tgid: Callable[[int], Any] | None = None, *,
                 harvest_interval_s: float = 10.0, stack_entries: int = 0,
                 count_entries: int = 32768) -> None:
        if frequency <= 0 or frequency > 10_000:
            raise ValueError(f"frequency must be between 1 and 10000 Hz, not {frequency}")
        self.frequency = frequency
        self.filter = filter or Filter()
        self._on_new_tgid = on_new_tgid
        stack_entries = stack_entries or stack_map_size(frequency, harvest_interval_s)
        self._sizes = {"stacks_0": stack_entries, "stacks_1": stack_entries,
                       "counts_0": count_entries, "counts_1": count_entries}
        self._obj: Object | None = None
        self._ring: RingBuffer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # serializes harvests
        self._active = 0
        self._last_stats = dict.fromkeys(STATS, 0)
        self._since_ns = 0
        self.poll_errors: list[str] = []

    # -- lifecycle --

    def start(self) -> Sampler:
        f = self.filter
        spec = open_object(bpf.path("profile"))
        comm = f.comm.encode()[:15]
        try:
            spec.set_rodata(filter_tgids_on=bool(f.tgids), filter_cgroups_on=bool(f.cgroup_ids),
                            filter_comm_on=bool(comm), filter_comm=comm,
                            include_idle=f.include_idle)
            spec.set_max_entries(**self._sizes)
            obj = spec.load()
        finally:
            spec.close()
        self._obj = obj
        try:
            for tgid in f.tgids:
                obj.map("filter_tgids").update(tgid, 1)
            for cg in f.cgroup_ids:
                obj.map("filter_cgroups").update(cg, 1)
            obj.map("active").update(0, 0)
            self._ring = RingBuffer(obj.map("new_tgids"), self._announce, obj.map("new_tgids_lost"))
            obj.program("profile_exec").attach_tracepoint("sched", "sched_process_exec")
            obj.program("profile_exit").attach_tracepoint("sched", "sched_process_exit")
            self._since_ns = time.time_ns()
            obj.program("profile_sample").attach_cpu_clock(self.frequency)
        except BaseException:
            self.close()
            raise
        self._thread = threading.Thread(target=self._poll, name="beholder-profile-tgids",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        if self._obj is not None:
            self._obj.close()
            self._obj = None

    def __enter__(self) -> Sampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def started(self) -> bool:
        return self._obj is not None

    # -- new tgids --

    def _announce(self, raw: bytes) -> None:
        tgid = int.from_bytes(raw[:4], "little")
        if self._on_new_tgid is not None:
            self._on_new_tgid(tgid)

    def _poll(self) -> None:
        while not self._stop.is_set():
            ring = self._ring
            if ring is None:
                return
            try:
                ring.poll(200)  # wakes at once on a record; the timeout is for stop()
            except Exception as e:  # keep sampling; the harvest reports what went wrong
                self.poll_errors.append(f"{type(e).__name__}: {e}")
                time.sleep(0.05)

    # -- harvest --

    def _obj_or_raise(self) -> Object:
        if self._obj is None:
            raise RuntimeError("sampler is not started")
        return self._obj

    def stats(self) -> dict[str, int]:
        """Cumulative kernel counters since start."""
        m = self._obj_or_raise().map("stats")
        return {name: int(m.lookup(i) or 0) for i, name in enumerate(STATS)}

    def program_cost(self) -> tuple[int, int]:
        """(run_time_ns, run_count) of the sampling program so far, from its fdinfo: the
        kernel-side cost of profiling. Zeros unless sysctl kernel.bpf_stats_enabled=1."""
        fd = self._obj_or_raise().program("profile_sample").fd
        values = {}
        with open(f"/proc/self/fdinfo/{fd}") as f:
            for line in f:
                key, _, value = line.partition(":")
                values[key.strip()] = value.strip()
        return int(values.get("run_time_ns", 0)), int(values.get("run_cnt", 0))

    def harvest(self) -> Harvest:
        """Swap the map sets and return everything counted since the previous harvest."""
        with self._lock:
            obj = self._obj_or_raise()
            old = self._active
            self._active = 1 - old
            obj.map("active").update(0, self._active)
            end_ns = time.time_ns()
            time.sleep(_FLIP_GRACE_S)
            samples = _read_set(obj, old)
            now = self.stats()
            delta = {k: now[k] - self._last_stats.get(k, 0) for k in STATS}
            self._last_stats = now
            start_ns, self._since_ns = self._since_ns, end_ns
        return Harvest(samples, start_ns, end_ns, self.frequency, delta)


def _read_set(obj: Object, which: int) -> list[RawSample]:
    counts, stacks = obj.map(f"counts_{which}"), obj.map(f"stacks_{which}")
    entries = counts.items()
    cache: dict[int, tuple[int, ...]] = {}

    def stack(sid: int) -> tuple[int, ...]:
        if sid < 0:
            return ()
        got = cache.get(sid)
        if got is None:
            raw = stacks.lookup(sid)
            got = _addresses(raw) if raw is not None else ()
            cache[sid] = got
        return got

    out = [RawSample(k.tgid, k.pid, bytes(k.comm).split(b"\0", 1)[0].decode(errors="replace"),
                     k.cgroup_id, stack(k.user_stack_id), stack(k.kernel_stack_id), int(n))
           for k, n in entries]
    # Clear after reading: the program writes into the other set now.
    for k, _ in entries:
        counts.delete(k)
    for sid in list(stacks.keys()):
        stacks.delete(sid)
    return out


def _addresses(raw: Any) -> tuple[int, ...]:
    """A stack map value (u64[127], zero-terminated) as leaf-first addresses."""
    values: Iterable[int] = raw if not isinstance(raw, bytes | bytearray) else (
        int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8))
    out = []
    for a in values:
        if not a:
            break
        out.append(int(a))
    return tuple(out)
