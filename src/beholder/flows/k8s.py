"""Kubernetes enrichment: a pod uid found in a process's cgroup path -> the Endpoint's
namespace, pod_name, `k8s:` labels and workloads, as Hubble fills them.

The pod list comes from the API server (``GET /api/v1/pods``, this node's pods when the node
name is known), refreshed in the background and on a miss for an unknown uid (rate-limited),
so a lookup on the flow path never waits for the network. Without an API server nothing
changes: flows keep the pod uid in ``process.container.pod_uid``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from beholder.flows.endpoint import Endpoint, Workload
from beholder.flows.model import Flow

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
# Cilium's label for the pod's namespace; Hubble shows it among the endpoint's labels
NAMESPACE_LABEL = "io.kubernetes.pod.namespace"


class KubeError(RuntimeError):
    """The API server cannot be used (bad URL, token, answer)."""


@dataclass(frozen=True, slots=True)
class Pod:
    uid: str
    namespace: str
    name: str
    labels: tuple[tuple[str, str], ...] = ()
    workloads: tuple[Workload, ...] = ()

    def endpoint_labels(self) -> list[str]:
        out = [f"k8s:{k}={v}" for k, v in sorted(self.labels)]
        out.append(f"k8s:{NAMESPACE_LABEL}={self.namespace}")
        return out


def _workload(meta: Mapping[str, Any], labels: Mapping[str, str]) -> tuple[Workload, ...]:
    """The controller owning the pod; a ReplicaSet made by a Deployment is named as the
    Deployment (the ReplicaSet's name is the Deployment's plus '-<pod-template-hash>')."""
    for ref in meta.get("ownerReferences") or []:
        if not ref.get("controller"):
            continue
        kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
        suffix = "-" + labels.get("pod-template-hash", "\0")
        if kind == "ReplicaSet" and name.endswith(suffix):
            return (Workload(name=name[: -len(suffix)], kind="Deployment"),)
        return (Workload(name=name, kind=kind),)
    return ()


def pods_from_list(doc: Mapping[str, Any]) -> dict[str, Pod]:
    """A PodList (the API's JSON) -> pods by uid."""
    if doc.get("kind") not in ("PodList", None) or not isinstance(doc.get("items"), list):
        raise KubeError(f"expected a PodList, got {doc.get('kind')!r}")
    out = {}
    for item in doc["items"]:
        meta = item.get("metadata") or {}
        uid = str(meta.get("uid", ""))
        if not uid:
            continue
        labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
        out[uid] = Pod(uid=uid, namespace=str(meta.get("namespace", "")),
                       name=str(meta.get("name", "")), labels=tuple(sorted(labels.items())),
                       workloads=_workload(meta, labels))
    return out


@dataclass
class KubeConfig:
    api: str = ""  # https://host:port; "" = in-cluster (KUBERNETES_SERVICE_HOST/PORT)
    token_file: str = ""  # "" = the pod's service account token, when there is one
    ca_file: str = ""  # "" = the service account's ca.crt, else the system's CAs
    node_name: str = field(default_factory=lambda: os.environ.get("NODE_NAME", ""))
    refresh_s: float = 30.0
    timeout_s: float = 5.0

    @classmethod
    def in_cluster(cls) -> KubeConfig | None:
        """The API server a pod reaches, or None outside a cluster."""
        host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get(
            "KUBERNETES_SERVICE_PORT", "443")
        if not host:
            return None
        host = f"[{host}]" if ":" in host else host
        return cls(api=f"https://{host}:{port}")


class PodIndex:
    """Pods of this node by uid, kept fresh by a background thread."""

    def __init__(self, config: KubeConfig) -> None:
        self.config = config
        self._pods: dict[str, Pod] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_miss_refresh = 0.0
        self.refreshes = 0
        self.last_error = ""

    def _client(self) -> httpx.Client:
        cfg = self.config
        headers = {"Accept": "application/json"}
        token_file = cfg.token_file or (str(SERVICE_ACCOUNT / "token")
                                        if (SERVICE_ACCOUNT / "token").exists() else "")
        if token_file:
            try:
                headers["Authorization"] = "Bearer " + Path(token_file).read_text().strip()
            except OSError as e:
                raise KubeError(f"cannot read the token {token_file}: {e.strerror}") from None
        ca = cfg.ca_file or (str(SERVICE_ACCOUNT / "ca.crt")
                             if (SERVICE_ACCOUNT / "ca.crt").exists() else "")
        return httpx.Client(base_url=cfg.api, headers=headers, timeout=cfg.timeout_s,
                            verify=ca or True)

    def refresh(self) -> int:
        """Fetch the pod list now; the number of pods, or KubeError."""
        params = {}
        if self.config.node_name:
            params["fieldSelector"] = f"spec.nodeName={self.config.node_name}"
        try:
            with self._client() as client:
                r = client.get("/api/v1/pods", params=params)
                if r.status_code != 200:
                    raise KubeError(f"GET /api/v1/pods: HTTP {r.status_code}")
                pods = pods_from_list(r.json())
        except httpx.HTTPError as e:
            raise KubeError(f"{self.config.api}: {e}") from None
        except ValueError as e:
            raise KubeError(f"GET /api/v1/pods: not JSON ({e})") from None
        with self._lock:
            self._pods = pods
        self.refreshes += 1
        return len(pods)

    def start(self) -> PodIndex:
        """First fetch in the foreground (a bad URL or token is an error at start), then a
        background refresh every refresh_s."""
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="beholder-k8s", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.config.timeout_s + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.config.refresh_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.refresh()
                self.last_error = ""
            except KubeError as e:  # kept, shown in status; the old list stays in use
                self.last_error = str(e)

    def get(self, uid: str) -> Pod | None:
        with self._lock:
            pod = self._pods.get(uid)
        if pod is None and self._thread is not None:
            now = time.monotonic()  # a pod newer than the list: refresh soon, at most 1/s
            if now - self._last_miss_refresh >= 1.0:
                self._last_miss_refresh = now
                self._wake.set()
        return pod

    def enrich(self, flow: Flow) -> None:
        """Fill namespace, pod_name, labels and workloads of each local pod endpoint."""
        for ep in (flow.source, flow.destination):
            _fill(ep, self)


def _fill(ep: Endpoint, index: PodIndex) -> None:
    proc = ep.process
    if proc is None or proc.container is None or not proc.container.pod_uid:
        return
    pod = index.get(proc.container.pod_uid)
    if pod is None:
        return
    ep.namespace, ep.pod_name = pod.namespace, pod.name
    ep.labels = [*ep.labels, *pod.endpoint_labels()]
    ep.workloads = list(pod.workloads)
