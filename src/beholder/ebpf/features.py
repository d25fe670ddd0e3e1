"""Feature probes: learn what this kernel supports by loading and attaching tiny programs.

`doctor`, the runtime and the tests all ask here, so they cannot disagree.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from beholder import bpf
from beholder.kernel import perf as kperf

from . import env
from .errors import BPFError, NotSupported


@dataclass(frozen=True)
class Feature:
    name: str
    available: bool
    detail: str = ""
    hint: str = ""


def _kprobe_reason() -> str:
    tfs = env.prepare().get("tracefs", "")
    has_pmu = os.path.exists("/sys/bus/event_source/devices/kprobe/type")
    has_events = os.path.exists(os.path.join(tfs, "kprobe_events"))
    if not has_pmu and not has_events:
        return "no kprobe PMU and no kprobe_events in tracefs: the kernel is built without CONFIG_KPROBES"
    return ""


HINTS = {
    "kprobe": "use tracepoints instead (beholder trace -l 'tracepoint:*' lists them)",
    "kretprobe": "use tracepoints instead (sys_exit_* for syscall returns)",
    "fentry": "use tracepoints or tp_btf instead",
    "fexit": "use tracepoints or tp_btf instead",
    "perf_hardware": "beholder samples with the software cpu-clock, which works everywhere",
}


def _load_one(prog: str, attach: Callable[..., list]) -> Feature:
    from .object import open_object  # late: object imports program imports features

    name = prog.removeprefix("probe_")
    try:
        spec = open_object(bpf.path("probes"))
        for p in spec.programs.values():
            p.autoload = p.name == prog
        with spec.load() as obj:
            links = attach(obj.program(prog))
            for link in links:
                link.close()
        return Feature(name, True, "loaded and attached" if links else "loaded")
    except NotSupported as e:
        return Feature(name, False, e.reason or str(e), e.hint or HINTS.get(name, ""))
    except (BPFError, OSError) as e:
        reason = str(e).splitlines()[0]
        if name in ("kprobe", "kretprobe") and (why := _kprobe_reason()):
            reason = why
        return Feature(name, False, reason, HINTS.get(name, ""))


def _libc_path() -> str:
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "/libc.so" in parts[5]:
                return parts[5]
    return "/lib/x86_64-linux-gnu/libc.so.6"


class _TempCgroup:
    def __enter__(self) -> str:
        self.path = os.path.join(env.cgroup2(), f"beholder-probe-{uuid.uuid4().hex[:8]}")
        os.mkdir(self.path)
        return self.path

    def __exit__(self, *exc: object) -> None:
        os.rmdir(self.path)


def _cgroup(prog: str) -> Feature:
    with _TempCgroup() as cg:
        return _load_one(prog, lambda p: [p.attach_cgroup(cg)])


def _perf_hardware() -> Feature:
    try:
        fd = kperf.open_event(kperf.PERF_TYPE_HARDWARE, kperf.PERF_COUNT_HW_CPU_CYCLES,
                              cpu=0, period=1_000_000)
    except OSError as e:
        return Feature("perf_hardware", False, f"no hardware PMU ({e.strerror})",
                       HINTS["perf_hardware"])
    os.close(fd)
    return Feature("perf_hardware", True, "cpu-cycles counter opens")


_PROBES: dict[str, Callable[[], Feature]] = {
    "tracepoint": lambda: _load_one("probe_tracepoint",
                                    lambda p: [p.attach_tracepoint("syscalls", "sys_enter_getppid")]),
    "raw_tracepoint": lambda: _load_one("probe_raw_tracepoint",
                                        lambda p: [p.attach_raw_tracepoint("sys_enter")]),
    "tp_btf": lambda: _load_one("probe_tp_btf", lambda p: [p.attach_btf()]),
    "perf_event": lambda: _load_one("probe_perf_event", lambda p: p.attach_cpu_clock(1)[:1]),
    "uprobe": lambda: _load_one("probe_uprobe",
                                lambda p: [p.attach_uprobe(_libc_path(), "getppid")]),
    "kprobe": lambda: _load_one("probe_kprobe", lambda p: [p.attach()]),
    "kretprobe": lambda: _load_one("probe_kretprobe", lambda p: [p.attach()]),
    "fentry": lambda: _load_one("probe_fentry", lambda p: [p.attach_btf()]),
    "fexit": lambda: _load_one("probe_fexit", lambda p: [p.attach_btf()]),
    "cgroup_skb": lambda: _cgroup("probe_cgroup_skb"),
    "cgroup_sock_addr": lambda: _cgroup("probe_cgroup_sock_addr"),
    "sockops": lambda: _cgroup("probe_sockops"),
    "tc": lambda: _load_one("probe_tc", lambda p: []),
    "xdp": lambda: _load_one("probe_xdp", lambda p: []),
    "perf_hardware": _perf_hardware,
}

NAMES = tuple(_PROBES)
_in_probe: set[str] = set()


@cache
def probe(name: str) -> Feature:
    """Probe one feature (cached for the life of the process)."""
    if name not in _PROBES:
        raise KeyError(f"unknown feature {name!r}; known: {', '.join(NAMES)}")
    _in_probe.add(name)
    try:
        return _PROBES[name]()
    finally:
        _in_probe.discard(name)


def require(name: str) -> None:
    """Raise NotSupported with a reason and a hint unless `name` works here."""
    if name in _in_probe:  # the probe itself is attaching: let it find out
        return
    f = probe(name)
    if not f.available:
        raise NotSupported(name, reason=f.detail, hint=f.hint)


def all_features() -> list[Feature]:
    return [probe(n) for n in NAMES]


def have_btf() -> bool:
    return os.path.exists("/sys/kernel/btf/vmlinux")


def have_tool(name: str) -> bool:
    return shutil.which(name) is not None
