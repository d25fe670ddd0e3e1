"""Listening TCP sockets that were opened before the collector started, from /proc.

The kernel side learns a listener's owner when listen() runs (CLOSE -> LISTEN) and hands it
to every accepted child; listeners older than the collector are found here once, at start:
each network namespace's /proc/PID/net/tcp{,6} gives the listening ports and their socket
inodes, and /proc/PID/fd links name the processes that hold those inodes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from beholder.ebpf import env
from beholder.flows.attribution import cgroup_of
from beholder.flows.kernel_records import Owner

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's st column


def _listening(pid: str) -> dict[int, int]:
    """socket inode -> local port of the listening sockets in pid's network namespace."""
    out: dict[int, int] = {}
    for name in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 9 and f[3] == _LISTEN:
                out[int(f[9])] = int(f[1].rsplit(":", 1)[1], 16)
    return out


def _owner(pid: int, netns: int) -> Owner | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    uid = 0
    for line in status.splitlines():
        if line.startswith("Uid:"):
            uid = int(line.split()[1])  # the real uid, as bpf_get_current_uid_gid gives
    cgroup_id = 0  # a cgroup v2 id is its directory's inode number
    path = cgroup_of(pid)
    if path:
        try:
            cgroup_id = os.stat(os.path.join(env.cgroup2(), path.lstrip("/"))).st_ino
        except OSError:
            pass
    return Owner(pid=pid, tid=pid, uid=uid, netns=netns, cgroup_id=cgroup_id,
                 ts_ns=time.monotonic_ns(), comm=comm)


def scan() -> dict[tuple[int, int], Owner]:
    """(network namespace inode, port) -> the process holding that listening socket."""
    pids = sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int)  # a master before its workers
    netns_of: dict[str, int] = {}
    for pid in pids:
        try:
            netns_of[pid] = os.stat(f"/proc/{pid}/ns/net").st_ino
        except OSError:
            pass
    wanted: dict[int, tuple[int, int]] = {}  # socket inode -> (netns, port)
    for netns in set(netns_of.values()):
        pid = next(p for p, n in netns_of.items() if n == netns)
        for inode, port in _listening(pid).items():
            wanted[inode] = (netns, port)
    out: dict[tuple[int, int], Owner] = {}
    for pid, netns in netns_of.items():
        if not wanted:
            break
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if not link.startswith("socket:["):
                continue
            key = wanted.pop(int(link[8:-1]), None)
            if key is not None and key not in out:
                owner = _owner(int(pid), netns)
                if owner is not None:
                    out[key] = owner
    return out
