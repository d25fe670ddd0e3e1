"""perf_event_open(2): software cpu-clock sampling, hardware counters and tracepoint events."""

from __future__ import annotations

import ctypes as _c
import os

from .libbpf import libc

NR_PERF_EVENT_OPEN = 298  # x86_64
PERF_TYPE_HARDWARE, PERF_TYPE_SOFTWARE, PERF_TYPE_TRACEPOINT = 0, 1, 2
PERF_COUNT_HW_CPU_CYCLES = 0
PERF_COUNT_SW_CPU_CLOCK = 0
PERF_FLAG_FD_CLOEXEC = 1 << 3
_FLAG_DISABLED = 1 << 0
_FLAG_FREQ = 1 << 10


class _Attr(_c.Structure):
    # PERF_ATTR_SIZE_VER0 (64 bytes) is enough for everything beholder asks of perf.
    _fields_ = [("type", _c.c_uint32), ("size", _c.c_uint32), ("config", _c.c_uint64),
                ("sample_period_or_freq", _c.c_uint64), ("sample_type", _c.c_uint64),
                ("read_format", _c.c_uint64), ("flags", _c.c_uint64),
                ("wakeup_events", _c.c_uint32), ("bp_type", _c.c_uint32),
                ("config1", _c.c_uint64), ("config2", _c.c_uint64)]


def open_event(type_: int, config: int, *, pid: int = -1, cpu: int = 0, freq: int = 0,
               period: int = 0) -> int:
    attr = _Attr()
    attr.type = type_
    attr.size = _c.sizeof(_Attr)
    attr.config = config
    if freq:
        attr.sample_period_or_freq = freq
        attr.flags |= _FLAG_FREQ
    else:
        attr.sample_period_or_freq = period
    fd = libc.syscall(NR_PERF_EVENT_OPEN, _c.byref(attr), pid, cpu, -1, PERF_FLAG_FD_CLOEXEC)
    if fd < 0:
        err = _c.get_errno()
        raise OSError(err, os.strerror(err))
    return int(fd)


def online_cpus() -> list[int]:
    """CPUs listed in /sys/devices/system/cpu/online, e.g. '0-1,4'."""
    with open("/sys/devices/system/cpu/online") as f:
        text = f.read().strip()
    cpus: list[int] = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            cpus.extend(range(int(lo), int(hi) + 1))
        elif part:
            cpus.append(int(part))
    return cpus
