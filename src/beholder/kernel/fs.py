"""Kernel file systems: find tracefs, debugfs, bpffs and cgroup2, and mount them when missing."""

from __future__ import annotations

import ctypes as _c
import os
from dataclasses import dataclass

from .libbpf import libc

libc.mount.argtypes = [_c.c_char_p, _c.c_char_p, _c.c_char_p, _c.c_ulong, _c.c_void_p]


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    fstype: str


def mounts() -> list[Mount]:
    out = []
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                out.append(Mount(parts[0], parts[1].replace("\\040", " "), parts[2]))
    return out


def find(fstype: str) -> str | None:
    for m in mounts():
        if m.fstype == fstype:
            return m.target
    return None


def mount(fstype: str, target: str) -> None:
    os.makedirs(target, exist_ok=True)
    if libc.mount(fstype.encode(), target.encode(), fstype.encode(), 0, None) != 0:
        err = _c.get_errno()
        raise OSError(err, f"mount -t {fstype} {target}: {os.strerror(err)}")


# Where each file system is mounted when nobody did it yet; the kernel's usual places.
DEFAULT_TARGETS = {
    "tracefs": "/sys/kernel/tracing",
    "debugfs": "/sys/kernel/debug",
    "bpf": "/sys/fs/bpf",
}


def cgroup2_default_target() -> str:
    # With a v1 hierarchy on /sys/fs/cgroup (a tmpfs) the unified one goes under it, as systemd does.
    if find("tmpfs") and os.path.isdir("/sys/fs/cgroup") and os.listdir("/sys/fs/cgroup"):
        return "/sys/fs/cgroup/unified"
    return "/sys/fs/cgroup"


def ensure(fstype: str) -> str:
    """Return the mount point of `fstype`, mounting it at its usual place if needed."""
    found = find(fstype)
    if found:
        return found
    target = cgroup2_default_target() if fstype == "cgroup2" else DEFAULT_TARGETS[fstype]
    mount(fstype, target)
    return target
