"""Cgroup ids (what bpf_get_current_cgroup_id returns: the cgroup directory's inode on
cgroup v2) to paths and container ids, and container names to the cgroups to filter on."""

from __future__ import annotations

import os
import time

from beholder.flows.cgroup import container_from_cgroup_path


def _cgroup2_root() -> str:
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 2 and parts[2] == "cgroup2":
                    return parts[1]
    except OSError:
        pass
    return "/sys/fs/cgroup"


class CgroupNames:
    """id -> path under the cgroup v2 root; rescanned on a miss, at most every `rescan_s`."""

    def __init__(self, root: str | None = None, rescan_s: float = 5.0) -> None:
        self.root = root or _cgroup2_root()
        self.rescan_s = rescan_s
        self._paths: dict[int, str] = {}
        self._scanned = 0.0

    def _scan(self) -> None:
        paths: dict[int, str] = {}
        for dirpath, _dirs, _files in os.walk(self.root):
            try:
                ino = os.stat(dirpath).st_ino
            except OSError:
                continue
            rel = "/" + os.path.relpath(dirpath, self.root).removeprefix(".")
            paths[ino] = rel.replace("//", "/")
        self._paths = paths
        self._scanned = time.monotonic()

    def path(self, cgroup_id: int) -> str:
        if cgroup_id not in self._paths and time.monotonic() - self._scanned > self.rescan_s:
            self._scan()
        return self._paths.get(cgroup_id, "")

    def container(self, cgroup_id: int) -> str:
        path = self.path(cgroup_id)
        c = container_from_cgroup_path(path) if path else None
        if c is None:
            return ""
        return (c.id or "")[:12] or (c.name or "")

    def resolve(self, container: str) -> set[int]:
        """Cgroup ids whose path names `container` (an id prefix, a name, or a cgroup path)."""
        self._scan()
        want = container.strip()
        if not want:
            return set()
        out = set()
        for ino, path in self._paths.items():
            c = container_from_cgroup_path(path)
            if path == want or path == "/" + want.strip("/"):
                out.add(ino)
            elif c is not None and ((c.id and len(want) >= 4 and c.id.startswith(want))
                                    or (c.name and c.name == want)):
                out.add(ino)
        return out
