"""One side of a flow: Hubble's Endpoint plus beholder's ``process`` extension."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from beholder.flows.process import Process, process_labels
from beholder.flows.wire import JSONDict, as_dict, as_int, as_str_list, compact


@dataclass(slots=True)
class Workload:
    """Kubernetes controller owning a pod (Hubble's Workload)."""

    name: str = ""
    kind: str = ""

    def to_dict(self) -> JSONDict:
        return compact({"name": self.name, "kind": self.kind})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Workload:
        return cls(name=str(d.get("name", "")), kind=str(d.get("kind", "")))


@dataclass(slots=True)
class Endpoint:
    """Hubble's Endpoint. ID/identity are Cilium concepts and stay 0 outside Cilium."""

    id: int = 0  # JSON "ID"
    identity: int = 0
    namespace: str = ""  # Kubernetes namespace, filled by the k8s enricher
    labels: list[str] = field(default_factory=list)  # "key=value", see process_labels
    pod_name: str = ""
    workloads: list[Workload] = field(default_factory=list)
    process: Process | None = None  # beholder extension; None when the side is remote

    @classmethod
    def for_process(cls, process: Process) -> Endpoint:
        """Endpoint for a local process, with host labels derived from it."""
        return cls(labels=process_labels(process), process=process)

    def to_dict(self) -> JSONDict:
        return compact(
            {
                "ID": self.id,
                "identity": self.identity,
                "namespace": self.namespace,
                "labels": list(self.labels),
                "pod_name": self.pod_name,
                "workloads": [w.to_dict() for w in self.workloads],
                "process": self.process.to_dict() if self.process else None,
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Endpoint:
        proc = d.get("process")
        workloads = d.get("workloads") or []
        return cls(
            id=as_int(d.get("ID")),
            identity=as_int(d.get("identity")),
            namespace=str(d.get("namespace", "")),
            labels=as_str_list(d.get("labels")),
            pod_name=str(d.get("pod_name", "")),
            workloads=[Workload.from_dict(as_dict(w)) for w in workloads],
            process=Process.from_dict(as_dict(proc)) if proc is not None else None,
        )
