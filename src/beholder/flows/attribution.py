"""Turn the kernel's view of a process (pid, comm, uid, cgroup id, netns) into a Process.

The kernel gives what it knows at the syscall: pid, tid, comm, uid, cgroup id and the
network namespace inode. User space adds the executable (/proc/<pid>/exe, while the process
lives), the cgroup path (cgroup ids are the inode numbers of cgroup v2 directories) and the
container parsed from that path (docker, containerd, cri-o, podman, systemd-nspawn), with the
Kubernetes pod uid kept for a later enricher. Every cache is bounded.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import dataclass

from beholder.flows.cgroup import container_from_cgroup_path
from beholder.flows.kernel_records import Owner
from beholder.flows.process import Process

_RESCAN_EVERY_S = 2.0
_RECHECK_PID_S = 1.0  # a pid reused within this window would keep the old exe  # a cgroup id not found triggers at most one walk per interval


class _LRU(OrderedDict[object, object]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: object, value: object) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


@dataclass(slots=True)
class _ProcInfo:
    exe: str
    cgroup_path: str
    start: str  # /proc/<pid>/stat field 22: tells a reused pid from the old process
    checked: float = 0.0  # monotonic time of the last /proc check


def systemd_unit(cgroup_path: str) -> str:
    """The innermost systemd unit (service or scope) in a cgroup path, '' if none."""
    for part in reversed([p for p in cgroup_path.split("/") if p]):
        if part.endswith((".service", ".scope")):
            return part
    return ""


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def cgroup_of(pid: int, proc: str = "/proc") -> str:
    """The cgroup v2 path of a process ("" if it is gone or has no v2 line)."""
    for line in _read(f"{proc}/{pid}/cgroup").splitlines():
        if line.startswith("0::"):
            return line[3:]
    return ""


def _start_time(pid: int) -> str:
    stat = _read(f"/proc/{pid}/stat")
    tail = stat.rpartition(")")[2].split()
    return tail[19] if len(tail) > 19 else ""


class Attributor:
    """Caches /proc and cgroup look-ups; ``process(owner)`` builds the Process of a flow."""

    def __init__(self, cgroup_root: str = "/sys/fs/cgroup", max_entries: int = 8192,
                 proc: str = "/proc") -> None:
        self.cgroup_root = cgroup_root.rstrip("/")
        self._proc_root = proc
        self._procs = _LRU(max_entries)
        self._cgroups = _LRU(max_entries)
        self._last_scan = 0.0

    # -- cgroups --

    def cgroup_path(self, cgroup_id: int) -> str:
        if not cgroup_id:
            return ""
        hit = self._cgroups.get(cgroup_id)
        if isinstance(hit, str):
            return hit
        now = time.monotonic()
        if now - self._last_scan >= _RESCAN_EVERY_S:
            self._last_scan = now
            self._scan()
            hit = self._cgroups.get(cgroup_id)
            if isinstance(hit, str):
                return hit
        return ""

    def _scan(self) -> None:
        root = self.cgroup_root
        for dirpath, _dirs, _files in os.walk(root):
            try:
                ino = os.stat(dirpath).st_ino
            except OSError:
                continue
            rel = dirpath[len(root):] or "/"
            self._cgroups.put(ino, rel)

    # -- processes --

    def _proc_info(self, pid: int) -> _ProcInfo | None:
        hit = self._procs.get(pid)
        now = time.monotonic()
        if isinstance(hit, _ProcInfo) and now - hit.checked < _RECHECK_PID_S:
            return hit  # a busy process: do not re-read /proc for each of its flows
        start = _start_time(pid)
        if not start:  # exited: keep the last known facts, and do not ask again at once
            if not isinstance(hit, _ProcInfo):
                hit = _ProcInfo("", "", "")
                self._procs.put(pid, hit)
            hit.checked = now
            return hit
        if isinstance(hit, _ProcInfo) and hit.start == start:
            hit.checked = now
            return hit
        try:
            exe = os.readlink(f"{self._proc_root}/{pid}/exe")
        except OSError:
            exe = ""
        info = _ProcInfo(exe.removesuffix(" (deleted)"), cgroup_of(pid, self._proc_root), start,
                         now)
        self._procs.put(pid, info)
        return info

    def remember(self, pid: int) -> None:
        """Read /proc/<pid> now, while the process still lives (e.g. at its first event)."""
        if pid:
            self._proc_info(pid)

    def process(self, owner: Owner | None) -> Process | None:
        if owner is None or not owner.pid:
            return None
        info = self._proc_info(owner.pid)
        path = self.cgroup_path(owner.cgroup_id) or (info.cgroup_path if info else "")
        return Process(
            pid=owner.pid,
            tid=owner.tid,
            comm=owner.comm,
            exe=info.exe if info else "",
            uid=owner.uid,
            cgroup_id=owner.cgroup_id,
            cgroup_path=path,
            container=container_from_cgroup_path(path) if path else None,
            netns=owner.netns,
        )
