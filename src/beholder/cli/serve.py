"""`beholder serve`: run the flow collector continuously behind a local HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from beholder.flows.timespec import TimeSpecError, parse_duration

from .errors import UserError

DEFAULT_LISTEN = "127.0.0.1:7600"
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def tune_gc() -> None:
    """Flows are many small acyclic objects: with the default thresholds the cyclic GC
    runs full collections over the backlog many times a second and holds the GIL (seen as
    the event loop thread "Garbage-collecting" under a connection storm)."""
    import gc

    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)


def parse_size(text: str) -> int:
    t = text.strip().lower().removesuffix("b").removesuffix("i")
    num, unit = (t[:-1], t[-1]) if t and t[-1] in "kmgt" else (t, "")
    try:
        value = float(num)
    except ValueError:
        raise UserError(f"invalid --retention-size '{text}': expected e.g. 500M or 2G") from None
    if value <= 0:
        raise UserError(f"invalid --retention-size '{text}': must be positive")
    return int(value * _SIZE_UNITS[unit])


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"invalid --listen '{text}': expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


@click.command()
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True,
              help="Address of the HTTP API and /metrics.")
@click.option("--data-dir", default="/var/lib/beholder", show_default=True,
              help="Where the flow history (DuckDB) lives.")
@click.option("--retention-size", default="1G", show_default=True,
              help="Keep at most this much flow history (stored JSON bytes).")
@click.option("--retention-age", default="7d", show_default=True,
              help="Drop flows older than this.")
@click.option("--metrics-context", "contexts", multiple=True,
              type=click.Choice(["process", "container", "namespace"]),
              help="Add a label per context to the flow metrics (repeatable).")
@click.option("--metrics-max-label-values", default=100, show_default=True,
              type=click.IntRange(min=1), help="Distinct values per label before 'other'.")
@click.option("--tcp-entries", default=65536, show_default=True, type=click.IntRange(min=64),
              help="Open TCP connections tracked in the kernel (LRU).")
@click.option("--udp-entries", default=16384, show_default=True, type=click.IntRange(min=64),
              help="UDP (socket, peer) pairs tracked in the kernel (LRU).")
@click.option("--open-report-interval", default="30s", show_default=True,
              help="Report a long-lived connection at most this often.")
@click.option("--kube-api", default="auto", show_default=True, metavar="auto|off|URL",
              help="Kubernetes API server for pod names, namespaces and labels; auto = the "
                   "in-cluster one when running in a pod, else off.")
@click.option("--kube-token-file", default="", metavar="FILE",
              help="Bearer token for --kube-api (default: the pod's service account).")
@click.option("--kube-ca-file", default="", metavar="FILE",
              help="CA bundle for --kube-api (default: the service account's ca.crt).")
@click.option("--kube-node", default="", metavar="NAME", envvar="NODE_NAME",
              help="Only this node's pods (default: $NODE_NAME, else every pod).")
@click.option("--profile-frequency", default=19, show_default=True, type=click.IntRange(min=0),
              help="Continuous CPU profiling of every process, in Hz (0: off).")
@click.option("--profile-interval", default="10s", show_default=True,
              help="Harvest and store profiles this often.")
def serve(listen: str, data_dir: str, retention_size: str, retention_age: str,
          contexts: tuple[str, ...], metrics_max_label_values: int, tcp_entries: int,
          udp_entries: int, open_report_interval: str, kube_api: str, kube_token_file: str,
          kube_ca_file: str, kube_node: str, profile_frequency: int,
          profile_interval: str) -> None:
    """Run the flow collector and the continuous profiler, keep history, serve the API."""
    import faulthandler
    import signal

    import uvicorn

    from beholder.ebpf import env
    from beholder.flows.collector import CollectorConfig
    from beholder.flows.k8s import KubeError
    from beholder.flows.store import StoreError
    from beholder.server.agent import Agent, AgentConfig
    from beholder.server.app import create_app
    from beholder.server.metrics import MetricsConfig

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1`: dump stacks
    tune_gc()
    host, port = parse_listen(listen)
    try:
        age = parse_duration(retention_age, flag="--retention-age")
        report = parse_duration(open_report_interval, flag="--open-report-interval")
        prof_every = parse_duration(profile_interval, flag="--profile-interval")
    except TimeSpecError as e:
        raise UserError(str(e)) from None
    env.require_privileges()
    config = AgentConfig(
        data_dir=Path(data_dir), max_bytes=parse_size(retention_size), max_age_s=age,
        collector=CollectorConfig(tcp_entries=tcp_entries, udp_entries=udp_entries,
                                  open_report_interval=report),
        metrics=MetricsConfig(contexts=contexts, max_label_values=metrics_max_label_values),
        profile_frequency=profile_frequency, profile_interval_s=prof_every,
        kube=kube_config(kube_api, kube_token_file, kube_ca_file, kube_node))
    try:
        agent = Agent(config)
    except StoreError as e:
        raise UserError(str(e)) from None
    try:
        agent.start()
    except KubeError as e:
        agent.store.close()
        raise UserError(f"--kube-api: {e}") from None
    except BaseException:
        agent.store.close()
        raise
    if agent.pods is not None:
        click.echo(f"beholder serve: pods from {agent.pods.config.api}", err=True)
    profiling = (f"profiles at {profile_frequency} Hz into {config.profile_store_path}"
                 if profile_frequency else "profiling off")
    click.echo(f"beholder serve: flows on the {agent.collector.path} path, {profiling}, "
               f"API on http://{host}:{port}/api/v1/flows, metrics on /metrics", err=True)
    try:
        uvicorn.run(create_app(agent), host=host, port=port, log_level="warning",
                    timeout_graceful_shutdown=2)
    finally:
        agent.stop()


def kube_config(api: str, token_file: str, ca_file: str, node: str) -> Any:
    """--kube-* flags -> k8s.KubeConfig, or None when enrichment is off."""
    from beholder.flows.k8s import KubeConfig

    if api == "off":
        return None
    if api == "auto":
        cfg = KubeConfig.in_cluster()
        if cfg is None:
            return None
    elif api.startswith(("http://", "https://")):
        cfg = KubeConfig(api=api.rstrip("/"))
    else:
        raise UserError(f"--kube-api: expected auto, off or an http(s):// URL, got {api!r}")
    cfg.token_file, cfg.ca_file = token_file, ca_file
    if node:
        cfg.node_name = node
    return cfg
