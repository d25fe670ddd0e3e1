"""Beholder extension: the process (and container) that owns one side of a flow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from beholder.flows.enums import ContainerRuntime
from beholder.flows.wire import JSONDict, as_dict, as_int, compact

SHORT_ID_LEN = 12  # the length docker/crictl print


@dataclass(slots=True)
class Container:
    """Container identity derived from the cgroup path (see beholder.flows.cgroup)."""

    id: str = ""  # full 64-hex id when the runtime has one
    runtime: ContainerRuntime | None = None
    name: str = ""  # filled by a runtime enricher, or the unit name for systemd-nspawn
    # Kubernetes pod UID from the kubepods cgroup; a later enricher maps it to
    # namespace/pod_name/labels on the Endpoint.
    pod_uid: str = ""

    @property
    def short_id(self) -> str:
        return self.id[:SHORT_ID_LEN]

    def to_dict(self) -> JSONDict:
        return compact(
            {
                "id": self.id,
                "runtime": self.runtime.value if self.runtime else None,
                "name": self.name,
                "pod_uid": self.pod_uid,
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Container:
        runtime = d.get("runtime")
        return cls(
            id=str(d.get("id", "")),
            runtime=ContainerRuntime(runtime) if runtime else None,
            name=str(d.get("name", "")),
            pod_uid=str(d.get("pod_uid", "")),
        )


@dataclass(slots=True)
class Process:
    """A task as the kernel saw it when the flow was attributed to it."""

    pid: int = 0  # tgid, i.e. what ps calls PID; 0 = unknown / kernel context
    tid: int = 0  # thread that made the call; 0 = unknown
    comm: str = ""  # task->comm, at most 15 bytes
    exe: str = ""  # /proc/<pid>/exe when userspace could resolve it
    uid: int | None = None  # None = unknown; 0 is root and must be printed
    cgroup_id: int = 0  # cgroup v2 inode id (bpf_get_current_cgroup_id)
    cgroup_path: str = ""  # path under the cgroup2 mount, e.g. /system.slice/x.service
    container: Container | None = None
    netns: int = 0  # network namespace inode number

    def to_dict(self) -> JSONDict:
        d = compact(
            {
                "pid": self.pid,
                "tid": self.tid,
                "comm": self.comm,
                "exe": self.exe,
            }
        )
        if self.uid is not None:
            d["uid"] = self.uid
        d.update(
            compact(
                {
                    "cgroup_id": self.cgroup_id,
                    "cgroup_path": self.cgroup_path,
                    "container": self.container.to_dict() if self.container else None,
                    "netns": self.netns,
                }
            )
        )
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Process:
        uid = d.get("uid")
        container = d.get("container")
        return cls(
            pid=as_int(d.get("pid")),
            tid=as_int(d.get("tid")),
            comm=str(d.get("comm", "")),
            exe=str(d.get("exe", "")),
            uid=None if uid is None else as_int(uid),
            cgroup_id=as_int(d.get("cgroup_id")),
            cgroup_path=str(d.get("cgroup_path", "")),
            container=Container.from_dict(as_dict(container)) if container is not None else None,
            netns=as_int(d.get("netns")),
        )

    def label(self) -> str:
        """Short human form used by renderers: ``curl/1234``."""
        name = self.comm or (self.exe.rsplit("/", 1)[-1] if self.exe else "?")
        return f"{name}/{self.pid}" if self.pid else name


def process_labels(process: Process) -> list[str]:
    """Endpoint labels for a non-Kubernetes host, in ``key=value`` form like Cilium's.

    Beholder's own labels are unprefixed (``comm=curl``); a Kubernetes enricher
    adds ``k8s:``-prefixed ones, so the two never collide.
    """
    labels: list[str] = []
    if process.comm:
        labels.append(f"comm={process.comm}")
    if process.uid is not None:
        labels.append(f"uid={process.uid}")
    c = process.container
    if c is not None:
        if c.id:
            labels.append(f"container={c.short_id}")
        if c.name:
            labels.append(f"container_name={c.name}")
        if c.runtime:
            labels.append(f"runtime={c.runtime.value}")
    return labels
