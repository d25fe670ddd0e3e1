"""`beholder observe`: print or stream flows, from a running agent or standalone."""

from __future__ import annotations

import json
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import click

from beholder.flows.filters import FlowFilter, extract_filter_args
from beholder.flows.lost import LostEvent
from beholder.flows.matchers import FLAG_SPECS, FilterError
from beholder.flows.model import Flow
from beholder.flows.render import RENDERER_NAMES, get_renderer
from beholder.flows.render.base import Renderer
from beholder.flows.render.json import parse_response
from beholder.flows.timespec import TimeSpecError, parse_time_range

from .errors import UserError

DEFAULT_SERVER = "http://127.0.0.1:7600"
DEFAULT_DATA_DIR = "/var/lib/beholder"
DEFAULT_LAST = 20
_RAW = "beholder.raw_args"


class _KeepRawArgs(click.Command):
    """click loses the order of different options, and --not needs it: keep the raw args."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_RAW] = list(args)
        return super().parse_args(ctx, args)


def _filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for flag, spec in reversed(list(FLAG_SPECS.items())):
        fn = click.option(flag, f"filter_{flag[2:].replace('-', '_')}", multiple=True,
                          metavar=spec.metavar, help=spec.help)(fn)
    return click.option("--not", "negate", count=True,
                        help="Negate the filter flag that follows.")(fn)


def _ns(dt: datetime | None) -> int | None:
    return None if dt is None else int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


class _Printer:
    def __init__(self, renderer: Renderer, follow: bool) -> None:
        self.r, self.follow = renderer, follow
        self.shown = 0
        self.lost = 0
        self._header_done = False

    def header(self) -> None:
        head = self.r.header()
        if head is not None and not self._header_done:
            click.echo(head)
        self._header_done = True

    def flows(self, flows: Iterable[Flow]) -> None:
        flows = list(flows)
        if not flows:
            return
        if self.follow:
            self.header()
            for f in flows:
                click.echo(self.r.flow(f))
        else:
            for line in self.r.batch(flows):
                click.echo(line)
        self.shown += len(flows)

    def one(self, flow: Flow) -> None:
        self.header()
        click.echo(self.r.flow(flow))
        self.shown += 1

    def lost_event(self, ev: LostEvent) -> None:
        self.lost += ev.num_events_lost
        click.echo(self.r.lost(ev), err=self.r.name == "json")

    def closing(self) -> None:
        click.echo(self.r.closing(self.shown, self.lost), err=True)


def _server_up(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/api/v1/status", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _remote(url: str, flt: FlowFilter, since: int | None, until: int | None, last: int | None,
            follow: bool, printer: _Printer, duration: float | None) -> None:
    import httpx

    params: dict[str, Any] = {"filter": flt.to_json()}
    if since is not None:
        params["since"] = since
    if until is not None:
        params["until"] = until
    if last is not None:
        params["last"] = last
    if follow:
        params["follow"] = 1
    deadline = time.monotonic() + duration if duration else None
    batch: list[Flow] = []
    try:
        with httpx.stream("GET", f"{url}/api/v1/flows", params=params,
                          timeout=httpx.Timeout(10.0, read=None)) as resp:
            if resp.status_code != 200:
                resp.read()
                try:
                    msg = json.loads(resp.text).get("error", resp.text)
                except ValueError:
                    msg = resp.text
                raise UserError(f"{url}: {msg.strip()}")
            if follow:
                click.echo(f"beholder: observing flows from {url}; Ctrl-C to stop", err=True)
            for line in resp.iter_lines():
                if not line.strip():
                    continue
                item = parse_response(line)
                if isinstance(item, LostEvent):
                    printer.lost_event(item)
                elif follow:
                    printer.one(item)
                else:
                    batch.append(item)
                if deadline is not None and time.monotonic() >= deadline:
                    break
    except httpx.HTTPError as e:
        raise UserError(f"cannot reach beholder serve at {url}: {e}") from None
    finally:
        printer.flows(batch)


def _standalone(data_dir: str, flt: FlowFilter, since: int | None, until: int | None,
                last: int | None, follow: bool, printer: _Printer,
                duration: float | None) -> None:
    from beholder.flows.store import FlowStore, StoreError

    try:
        store = FlowStore(data_dir, read_only=not follow)
    except StoreError as e:
        raise UserError(str(e)) from None
    with store:
        if follow:
            store.enforce_retention()  # the agent's defaults: 7 days, 1 GiB of flows
        if not follow or since is not None:
            printer.flows(store.query(since_ns=since, until_ns=until, last=last, flt=flt))
        if follow:
            _follow_live(store, flt, printer, duration)


def _follow_live(store: Any, flt: FlowFilter, printer: _Printer, duration: float | None) -> None:
    from beholder.flows.collector import LOST_SOURCES, FlowCollector

    from .serve import tune_gc

    tune_gc()
    q: queue.Queue[Flow] = queue.Queue()
    collector = FlowCollector(on_flow=q.put)
    collector.start()
    click.echo(f"beholder: observing flows (standalone, {collector.path} path); "
               "Ctrl-C to stop", err=True)
    deadline = time.monotonic() + duration if duration else None
    pending: list[Flow] = []
    last_write = last_retention = time.monotonic()

    reported: dict[str, int] = {}

    def handle(flow: Flow) -> None:
        pending.append(flow)
        if flt.matches(flow):
            printer.one(flow)

    def report_lost(lost: dict[str, int]) -> None:
        # Hubble prints a LostEvent line in the stream when events were dropped
        for source, n in lost.items():
            if n > reported.get(source, 0):
                printer.lost_event(LostEvent(source=LOST_SOURCES[source],
                                             num_events_lost=n - reported.get(source, 0),
                                             time_ns=time.time_ns()))
                reported[source] = n

    # Ctrl-C sets a flag rather than raising KeyboardInterrupt wherever the main thread is:
    # inside a DuckDB insert, DuckDB turns the interrupt into its own error (a traceback
    # instead of the summary). An inherited "ignore SIGINT" is left alone.
    interrupted = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        while (deadline is None or time.monotonic() < deadline) and not interrupted.is_set():
            try:
                handle(q.get(timeout=0.2))
            except queue.Empty:
                pass
            if collector.error is not None:
                raise collector.error
            if time.monotonic() - last_write > 1.0:
                store.add(pending)
                pending.clear()
                last_write = time.monotonic()
                report_lost(collector.lost())
                if last_write - last_retention > 60:
                    store.enforce_retention()
                    last_retention = last_write
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, previous)
        collector.stop()
        while not q.empty():
            handle(q.get_nowait())
        store.add(pending)
        report_lost(collector.lost())


@click.command(cls=_KeepRawArgs)
@click.option("-f", "--follow", is_flag=True, help="Stream new flows until Ctrl-C.")
@click.option("--last", type=click.IntRange(min=1), default=None,
              help=f"Show the newest N matching flows (default {DEFAULT_LAST}).")
@click.option("--since", metavar="TIME", help="Flows since TIME: a duration ago (5m) or RFC3339.")
@click.option("--until", metavar="TIME", help="Flows until TIME: a duration ago or RFC3339.")
@click.option("-o", "--output", type=click.Choice(RENDERER_NAMES, case_sensitive=False),
              default="compact", show_default=True, help="Output format.")
@click.option("--server", metavar="URL", help=f"Agent API to ask (default {DEFAULT_SERVER}).")
@click.option("--standalone", is_flag=True,
              help="Load the eBPF programs here instead of asking a running agent.")
@click.option("--data-dir", default=DEFAULT_DATA_DIR, show_default=True,
              help="Flow history directory (standalone).")
@click.option("--duration", type=float, default=None, metavar="SECONDS",
              help="With --follow, stop after this many seconds.")
@_filter_options
@click.pass_context
def observe(ctx: click.Context, follow: bool, last: int | None, since: str | None,
            until: str | None, output: str, server: str | None, standalone: bool,
            data_dir: str, duration: float | None, **_filters: Any) -> None:
    """Show network flows with their processes, like `hubble observe`.

    Repeats of one filter flag are ORed, different flags are ANDed, and --not negates
    the filter flag after it.
    """
    try:
        flt = FlowFilter.from_args(extract_filter_args(ctx.meta.get(_RAW, [])))
    except FilterError as e:
        raise UserError(str(e)) from None
    try:
        start, end = parse_time_range(since, until, now=datetime.now(UTC))
    except TimeSpecError as e:
        raise UserError(str(e)) from None
    if follow and until:
        raise click.UsageError("--until cannot be combined with --follow")
    if standalone and server:
        raise click.UsageError("--standalone and --server exclude each other")
    if last is None and since is None and not follow:
        last = DEFAULT_LAST
    printer = _Printer(get_renderer(output), follow)
    url = (server or DEFAULT_SERVER).rstrip("/")
    remote = not standalone and (server is not None or _server_up(url))
    try:
        if remote:
            _remote(url, flt, _ns(start), _ns(end), last, follow, printer, duration)
        else:
            from beholder.ebpf import env

            if follow:
                env.require_privileges()
            _standalone(data_dir, flt, _ns(start), _ns(end), last, follow, printer, duration)
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout.flush()
    printer.closing()
