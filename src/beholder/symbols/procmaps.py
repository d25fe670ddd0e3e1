"""Process memory maps: /proc/PID/maps snapshots that outlive the process.

A process that exits between its first sample and the harvest takes its maps with it, so the
sampler announces every new tgid (the first sample of it, from the kernel) and `ProcessTable`
snapshots the maps right then, while the process is running. Snapshots of processes that have
exited are kept for `keep_s` seconds. Files deleted since they were mapped (an executable
replaced by a deploy) stay readable through an fd opened on /proc/PID/map_files at snapshot
time; executables of other mount namespaces are read through /proc/PID/root.
"""

from __future__ import annotations

import bisect
import os
import resource
import threading
import time
from dataclasses import dataclass, field

DELETED = " (deleted)"


@dataclass(frozen=True, slots=True)
class MapEntry:
    start: int
    end: int
    offset: int
    perms: str
    inode: int
    path: str  # as the kernel prints it, without " (deleted)"
    deleted: bool = False

    @property
    def executable(self) -> bool:
        return "x" in self.perms

    @property
    def file_backed(self) -> bool:
        return self.inode != 0 and self.path.startswith("/")


def parse_maps(text: str, executable_only: bool = False) -> list[MapEntry]:
    out = []
    for line in text.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 5 or (executable_only and "x" not in parts[1]):
            continue
        lo, _, hi = parts[0].partition("-")
        path = parts[5].strip() if len(parts) > 5 else ""
        deleted = path.endswith(DELETED)
        if deleted:
            path = path[: -len(DELETED)]
        out.append(MapEntry(int(lo, 16), int(hi, 16), int(parts[2], 16), parts[1],
                            int(parts[4]), path, deleted))
    return out


class _FdPool:
    """One open fd per mapped file (device, inode), shared by every process that maps it: a
    host with 500 container processes would otherwise hold tens of thousands of fds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_file: dict[tuple[int, int], int] = {}
        self._refs: dict[int, int] = {}  # fd -> users

    def open(self, path: str) -> int:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        st = os.fstat(fd)
        key = (st.st_dev, st.st_ino)
        with self._lock:
            have = self._by_file.get(key)
            if have is not None:
                self._refs[have] += 1
            else:
                self._by_file[key], self._refs[fd] = fd, 1
        if have is not None:
            os.close(fd)
            return have
        return fd

    def release(self, fd: int) -> None:
        with self._lock:
            self._refs[fd] -= 1
            if self._refs[fd]:
                return
            del self._refs[fd]
            self._by_file = {k: v for k, v in self._by_file.items() if v != fd}
        os.close(fd)


FDS = _FdPool()


@dataclass
class ProcessMaps:
    """One process's executable mappings, and how to reach their files later."""

    tgid: int
    entries: list[MapEntry]
    taken_ns: int
    comm: str = ""
    exe: str = ""
    nspid: int = 0
    exited_ns: int = 0
    # path of a mapped file -> an fd kept open on it (deleted files, other namespaces)
    fds: dict[str, int] = field(default_factory=dict)
    # path -> the symbolizer's parsed file, so a harvest stats each file once per process
    symbols: dict[str, object] = field(default_factory=dict)
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.entries.sort(key=lambda e: e.start)
        self._starts = [e.start for e in self.entries]

    def find(self, addr: int) -> MapEntry | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.entries[i].end:
            return self.entries[i]
        return None

    def file_path(self, entry: MapEntry) -> str:
        """A path that opens the mapped file now, whatever happened to it since."""
        fd = self.fds.get(entry.path)
        if fd is not None:
            return f"/proc/self/fd/{fd}"
        if self.exited_ns == 0 and os.path.exists(f"/proc/{self.tgid}/root"):
            return f"/proc/{self.tgid}/root{entry.path}"
        return entry.path

    def close(self) -> None:
        for fd in self.fds.values():
            FDS.release(fd)
        self.fds.clear()


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def _nspid(tgid: int) -> int:
    try:
        for line in _read(f"/proc/{tgid}/status").splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except (OSError, ValueError):
        pass
    return tgid


def snapshot(tgid: int) -> ProcessMaps | None:
    """Read /proc/PID/maps now; None if the process is already gone (or is a kernel thread)."""
    try:
        entries = parse_maps(_read(f"/proc/{tgid}/maps"), executable_only=True)
    except OSError:
        return None
    if not entries:
        return None
    pm = ProcessMaps(tgid, entries, time.time_ns())
    try:
        pm.comm = _read(f"/proc/{tgid}/comm").strip()
        pm.exe = os.readlink(f"/proc/{tgid}/exe").removesuffix(DELETED)
    except OSError:
        pass
    pm.nspid = _nspid(tgid)
    same_ns = _same_mount_ns(tgid)
    for e in entries:
        if not e.file_backed or e.path in pm.fds:
            continue
        if e.deleted or not same_ns:
            # map_files/ reaches the very inode that is mapped, even when deleted or in
            # another mount namespace; keep it open so it survives the process.
            try:
                pm.fds[e.path] = FDS.open(f"/proc/{tgid}/map_files/{e.start:x}-{e.end:x}")
            except OSError:
                if e.path == pm.exe:
                    try:
                        pm.fds[e.path] = FDS.open(f"/proc/{tgid}/exe")
                    except OSError:
                        pass
    return pm


def _same_mount_ns(tgid: int) -> bool:
    try:
        return os.readlink(f"/proc/{tgid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")
    except OSError:
        return True


class ProcessTable:
    """Snapshots by tgid, taken when a tgid is first sampled and refreshed on a miss."""

    def __init__(self, keep_s: float = 120.0, refresh_s: float = 5.0) -> None:
        self.keep_s, self.refresh_s = keep_s, refresh_s
        # Kept fds (one per deleted or containerized file) may pass the default soft limit.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 1 << 20 if hard == resource.RLIM_INFINITY else min(hard, 1 << 20)
        if soft != resource.RLIM_INFINITY and soft < want:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            except (ValueError, OSError):
                pass  # keep the limit we have; a failed open then leaves a frame unnamed
        self._procs: dict[int, ProcessMaps] = {}
        self._lock = threading.Lock()
        self.snapshots = 0

    def note(self, tgid: int) -> None:
        """A tgid was sampled for the first time (or exec'd): snapshot it now."""
        pm = snapshot(tgid)
        if pm is None:
            return
        self.snapshots += 1
        with self._lock:
            old = self._procs.get(tgid)
            self._procs[tgid] = pm
        if old is not None:
            old.close()

    def get(self, tgid: int) -> ProcessMaps | None:
        with self._lock:
            pm = self._procs.get(tgid)
        if pm is None:
            self.note(tgid)
            with self._lock:
                pm = self._procs.get(tgid)
        return pm

    def refresh(self, tgid: int) -> ProcessMaps | None:
        """Re-read a live process (an address fell outside its snapshot: dlopen, new JIT code).

        At most once per `refresh_s`: a binary without frame pointers yields garbage return
        addresses, and each would otherwise cost a read of /proc/PID/maps."""
        with self._lock:
            pm = self._procs.get(tgid)
        if pm is not None and time.time_ns() - pm.taken_ns < self.refresh_s * 1e9:
            return pm
        if os.path.exists(f"/proc/{tgid}/maps"):
            self.note(tgid)
        return self.get(tgid)

    def sweep(self) -> None:
        """Mark exited processes and forget the ones that exited more than keep_s ago."""
        now = time.time_ns()
        drop = []
        with self._lock:
            for tgid, pm in self._procs.items():
                if pm.exited_ns == 0 and not os.path.exists(f"/proc/{tgid}/maps"):
                    pm.exited_ns = now
                if pm.exited_ns and now - pm.exited_ns > self.keep_s * 1e9:
                    drop.append(tgid)
            gone = [self._procs.pop(t) for t in drop]
        for pm in gone:
            pm.close()

    def close(self) -> None:
        with self._lock:
            procs, self._procs = list(self._procs.values()), {}
        for pm in procs:
            pm.close()

    def __len__(self) -> int:
        return len(self._procs)
