"""Kubernetes enrichment: a process in a real kubepods cgroup makes a connection, and its flow
carries the pod's namespace, name, labels and workload from an API server.

The API server is a small HTTP server in the test that answers GET /api/v1/pods like the real
one; the cgroups, the process, the connection and the collector are real."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from beholder.ebpf import env
from beholder.flows.collector import CollectorConfig, FlowCollector
from beholder.flows.endpoint import Workload
from beholder.flows.enums import TrafficDirection
from beholder.flows.k8s import KubeConfig, KubeError, PodIndex, pods_from_list

from .conftest import NETPROGS, PYTHON, NetPair, Proc, Recorder, one, wait_for


def pod_list(uid: str) -> dict[str, object]:
    return {"kind": "PodList", "apiVersion": "v1", "items": [
        {"metadata": {"name": "web-7d4b9c8f5-x2v9q", "namespace": "shop", "uid": uid,
                      "labels": {"app": "web", "pod-template-hash": "7d4b9c8f5"},
                      "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7d4b9c8f5",
                                           "controller": True}]}},
        {"metadata": {"name": "other", "namespace": "kube-system", "uid": str(uuid.uuid4())}},
    ]}


class FakeAPI:
    """Answers GET /api/v1/pods with a PodList when the bearer token matches."""

    def __init__(self, doc: dict[str, object], token: str) -> None:
        self.requests: list[tuple[str, dict[str, list[str]], str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                auth = self.headers.get("Authorization", "")
                api.requests.append((url.path, parse_qs(url.query), auth))
                if auth != f"Bearer {token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps(doc).encode()
                self.send_response(200 if url.path == "/api/v1/pods" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pod_cgroup() -> Iterator[tuple[str, Path]]:
    """A kubepods cgroup as the kubelet's systemd driver names it: (pod uid, leaf)."""
    uid = str(uuid.uuid4())
    root = Path(env.cgroup2()) / "kubepods.slice"
    parts = ["kubepods-besteffort.slice",
             f"kubepods-besteffort-pod{uid.replace('-', '_')}.slice",
             f"cri-containerd-{secrets.token_hex(32)}.scope"]
    made = []
    path = root
    for part in ["", *parts]:
        path = path / part if part else path
        if not path.exists():
            path.mkdir()
            made.append(path)
    try:
        yield uid, path
    finally:
        for p in reversed(made):
            try:
                p.rmdir()
            except OSError:
                pass


@pytest.mark.needs_root
def test_pod_flow_carries_namespace_name_labels_and_workload(
        netpair: NetPair, pod_cgroup: tuple[str, Path], tmp_path: Path) -> None:
    uid, leaf = pod_cgroup
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    api = FakeAPI(pod_list(uid), "s3cret")
    index = PodIndex(KubeConfig(api=api.url, token_file=str(token), node_name="node-1"))
    rec = Recorder()
    c = FlowCollector(on_flow=rec, config=CollectorConfig(harvest_interval=0.3),
                      enrich=index.enrich)
    try:
        index.start()
        c.start()
        a, b = netpair.a, netpair.b
        server = b.start("tcp-server", b.ip, 0, 5, 7)
        port = int(server.line()["port"])  # type: ignore[arg-type]
        # the client joins the pod's cgroup before it execs, as a container's process would
        client = Proc(subprocess.Popen(
            ["sh", "-c", f'echo $$ > {leaf}/cgroup.procs && exec "$@"', "sh",
             *a.cmd(PYTHON, NETPROGS, "tcp-client", b.ip, str(port), "5", "7")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        client.wait_done()
        server.wait_done()
        assert wait_for(lambda: len(rec.tcp(port)) >= 2)
    finally:
        c.stop()
        index.stop()
        api.close()
    out = one(rec.tcp(port), TrafficDirection.EGRESS)
    src = out.source
    assert src.process is not None and src.process.container is not None
    assert src.process.container.pod_uid == uid
    assert (src.namespace, src.pod_name) == ("shop", "web-7d4b9c8f5-x2v9q")
    assert "k8s:app=web" in src.labels and "k8s:io.kubernetes.pod.namespace=shop" in src.labels
    assert f"comm={src.process.comm}" in src.labels  # the host labels stay
    assert src.workloads == [Workload(name="web", kind="Deployment")]
    assert out.to_dict()["source"]["pod_name"] == "web-7d4b9c8f5-x2v9q"
    # the server is not in a pod: its side of the connection stays a host process
    inside = one(rec.tcp(port), TrafficDirection.INGRESS)
    assert inside.destination.pod_name == "" and inside.destination.namespace == ""
    path, query, _ = api.requests[0]
    assert path == "/api/v1/pods" and query == {"fieldSelector": ["spec.nodeName=node-1"]}


def test_api_server_refusing_the_token_is_an_error_at_start(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("wrong")
    api = FakeAPI(pod_list(str(uuid.uuid4())), "s3cret")
    try:
        with pytest.raises(KubeError, match="HTTP 401"):
            PodIndex(KubeConfig(api=api.url, token_file=str(token))).start()
    finally:
        api.close()


@pytest.mark.needs_root
def test_serve_rejects_a_bad_kube_api_flag(tmp_path: Path) -> None:
    beholder = str(Path(PYTHON).parent / "beholder")
    r = subprocess.run([beholder, "serve", "--kube-api", "localhost:6443", "--data-dir",
                        str(tmp_path)], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "NODE_NAME": ""})
    assert r.returncode != 0
    assert r.stderr.strip().splitlines() == [
        "beholder: error: --kube-api: expected auto, off or an http(s):// URL, got "
        "'localhost:6443'"]


def test_pod_list_parsing() -> None:
    uid = str(uuid.uuid4())
    pods = pods_from_list(pod_list(uid))
    web = pods[uid]
    assert web.workloads == (Workload(name="web", kind="Deployment"),)
    assert web.endpoint_labels() == ["k8s:app=web", "k8s:pod-template-hash=7d4b9c8f5",
                                     "k8s:io.kubernetes.pod.namespace=shop"]
    other = next(p for p in pods.values() if p.name == "other")
    assert other.workloads == () and other.endpoint_labels() == [
        "k8s:io.kubernetes.pod.namespace=kube-system"]
    ds = pods_from_list({"kind": "PodList", "items": [{"metadata": {
        "uid": "u", "name": "agent-x", "namespace": "n",
        "ownerReferences": [{"kind": "DaemonSet", "name": "agent", "controller": True}]}}]})
    assert ds["u"].workloads == (Workload(name="agent", kind="DaemonSet"),)
    with pytest.raises(KubeError):
        pods_from_list({"kind": "Status", "message": "forbidden"})
