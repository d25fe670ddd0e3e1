"""Collect the doctor report: kernel facts, file systems, probed program types, beholder features."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

from beholder import __version__
from beholder.ebpf import env, features
from beholder.kernel import fs

# Tracepoints each collector is built on; checked in tracefs, not assumed from the version.
FLOW_TRACEPOINTS = ("sock/inet_sock_set_state", "tcp/tcp_retransmit_skb", "tcp/tcp_send_reset",
                    "tcp/tcp_receive_reset")
TRACE_TRACEPOINTS = ("raw_syscalls/sys_enter", "syscalls/sys_enter_openat")
# Capabilities that this build of beholder already ships; the others are reported for what the
# kernel offers them, and marked as not shipped so nobody mistakes readiness for a feature.
SHIPPED: frozenset[str] = frozenset({"trace", "flows", "profiles"})


@dataclass
class FeatureStatus:
    """One beholder capability on this host: does it work, through which path, and if not why."""

    available: bool
    path: str
    shipped: bool
    why: str = ""
    fallback: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    beholder_version: str
    kernel: dict[str, str]
    btf: dict[str, Any]
    lockdown: str
    filesystems: dict[str, str]
    cgroup_v2: str
    program_types: dict[str, dict[str, Any]]
    kprobe: bool
    fentry: bool
    perf_events: dict[str, bool]
    features: dict[str, FeatureStatus]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lockdown() -> str:
    path = "/sys/kernel/security/lockdown"
    if not os.path.exists(path) and not fs.find("securityfs"):
        try:
            fs.mount("securityfs", "/sys/kernel/security")
        except OSError:
            return "unknown (securityfs not mounted)"
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return "none (no lockdown LSM)"
    start, end = text.find("["), text.find("]")
    return text[start + 1:end] if start >= 0 else text.strip()


def _missing_tracepoints(names: tuple[str, ...]) -> list[str]:
    base = os.path.join(env.tracefs(), "events")
    return [n.replace("/", ":") for n in names if not os.path.isdir(os.path.join(base, n))]


def _features(probes: dict[str, features.Feature]) -> dict[str, FeatureStatus]:
    ok = {name: f.available for name, f in probes.items()}
    out: dict[str, FeatureStatus] = {}

    missing = _missing_tracepoints(FLOW_TRACEPOINTS)
    flows_ok = (ok["tracepoint"] and ok["cgroup_skb"] and ok["cgroup_sock_addr"]
                and not missing)
    # The collector takes the tracepoint path on every kernel (FlowCollector.path): it does
    # no per-packet TCP work, so kprobes or fentry on tcp_sendmsg & co. would only add cost.
    out["flows"] = FeatureStatus(
        shipped="flows" in SHIPPED,
        available=flows_ok,
        path="tracepoint",
        why="" if flows_ok else ("missing tracepoints: " + ", ".join(missing) if missing
                                 else "tracepoints, cgroup_skb or cgroup sock_addr do not load"),
        notes=["TCP bytes and segments come from the kernel's tcp_sock counters, not per "
               "packet, so the tracepoint path is the fast one"
               + (" (kprobes are present and not needed)" if ok["kprobe"] else "")],
    )
    out["profiles"] = FeatureStatus(
        shipped="profiles" in SHIPPED,
        available=ok["perf_event"],
        path="perf_event cpu-clock" + (" (hardware PMU present)" if ok["perf_hardware"] else ""),
        why="" if ok["perf_event"] else probes["perf_event"].detail,
        notes=["user stacks are walked with frame pointers: binaries built without them "
               "(this machine's python3 among them) show short stacks"],
    )
    missing_tr = _missing_tracepoints(TRACE_TRACEPOINTS)
    trace_ok = ok["tracepoint"] and not missing_tr
    probes_here = [p for p in ("tracepoint", "raw_tracepoint", "tp_btf", "uprobe", "perf_event",
                               "kprobe", "kretprobe", "fentry", "fexit") if ok[p]]
    out["trace"] = FeatureStatus(
        shipped="trace" in SHIPPED,
        available=trace_ok,
        path="probe kinds: " + ", ".join(probes_here),
        why="" if trace_ok else "missing tracepoints: " + ", ".join(missing_tr),
        fallback="" if ok["kprobe"] and ok["fentry"] else
        "kprobe:/kfunc: probes are refused with the tracepoint that does the same job",
    )
    return out


def collect() -> Report:
    """Probe the host. Needs privileges: probing means loading programs."""
    mounts = env.prepare()
    try:
        cg2 = env.cgroup2()
    except OSError as e:
        cg2 = f"unavailable: {e.strerror}"
    probes = {name: features.probe(name) for name in features.NAMES}
    program_types = {name: {"available": f.available, "detail": f.detail, "hint": f.hint}
                     for name, f in probes.items() if name != "perf_hardware"}
    return Report(
        beholder_version=__version__,
        kernel={"release": platform.release(), "machine": platform.machine()},
        btf={"vmlinux": features.have_btf(), "path": "/sys/kernel/btf/vmlinux"},
        lockdown=_lockdown(),
        filesystems={**mounts, "cgroup2": cg2},
        cgroup_v2=cg2,
        program_types=program_types,
        kprobe=probes["kprobe"].available and probes["kretprobe"].available,
        fentry=probes["fentry"].available and probes["fexit"].available,
        perf_events={"software": probes["perf_event"].available,
                     "hardware": probes["perf_hardware"].available},
        features=_features(probes),
    )
