"""Effective capabilities of this process, read from /proc/self/status."""

from __future__ import annotations

CAP_NET_ADMIN = 12
CAP_SYS_ADMIN = 21
CAP_SYS_RESOURCE = 24
CAP_PERFMON = 38
CAP_BPF = 39

NAMES = {CAP_NET_ADMIN: "CAP_NET_ADMIN", CAP_SYS_ADMIN: "CAP_SYS_ADMIN",
         CAP_SYS_RESOURCE: "CAP_SYS_RESOURCE", CAP_PERFMON: "CAP_PERFMON", CAP_BPF: "CAP_BPF"}


def effective() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def has(cap: int, mask: int | None = None) -> bool:
    return bool((effective() if mask is None else mask) >> cap & 1)
