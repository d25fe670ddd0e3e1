"""What the runtime needs from the host before it loads anything: privileges and mounts."""

from __future__ import annotations

import os
from functools import cache

from beholder.kernel import caps, fs

from .errors import PrivilegeError

# CAP_BPF + CAP_PERFMON cover loading and tracing; CAP_SYS_ADMIN covers both on any kernel.
_NEEDED = (caps.CAP_BPF, caps.CAP_PERFMON)


def missing_privileges() -> list[str]:
    mask = caps.effective()
    if caps.has(caps.CAP_SYS_ADMIN, mask):
        return []
    return [caps.NAMES[c] for c in _NEEDED if not caps.has(c, mask)]


def require_privileges() -> None:
    missing = missing_privileges()
    if missing:
        who = "root" if os.geteuid() != 0 else "these capabilities"
        raise PrivilegeError(
            f"beholder needs {who} to load eBPF programs: missing {', '.join(missing)} "
            f"(run it as root, e.g. with sudo)")


@cache
def prepare() -> dict[str, str]:
    """Mount tracefs, debugfs and bpffs if they are not mounted; return where they are."""
    require_privileges()
    out = {}
    for fstype in ("tracefs", "debugfs", "bpf"):
        try:
            out[fstype] = fs.ensure(fstype)
        except OSError as e:
            out[fstype] = f"unavailable: {e.strerror}"
    return out


def tracefs() -> str:
    path = prepare().get("tracefs", "")
    if not path.startswith("/"):
        if os.path.isdir("/sys/kernel/debug/tracing/events"):
            return "/sys/kernel/debug/tracing"
        raise PrivilegeError(f"tracefs is not mounted and could not be mounted: {path}")
    return path


def cgroup2() -> str:
    """The cgroup v2 mount point, mounting it if the host has only v1 mounted."""
    return fs.ensure("cgroup2")
