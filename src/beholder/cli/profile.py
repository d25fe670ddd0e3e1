"""`beholder profile`: one-shot CPU profiles, and queries and diffs over stored ones."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from beholder.ebpf import env
from beholder.flows.timespec import TimeSpecError, parse_duration
from beholder.profiles import merge_all
from beholder.profiles.diff import diff as diff_profiles
from beholder.profiles.diff import format_table
from beholder.profiles.model import Profile
from beholder.profiles.render import DIFF_RENDERERS, Renderer, get_renderer, renderer_for_path
from beholder.profiles.sampler import DEFAULT_ONESHOT_HZ, Filter, Sampler
from beholder.profiles.store import DEFAULT_PATH, ProfileStore, Query, QueryError
from beholder.profiles.symbolize import Symbolizer
from beholder.symbols.cgroups import CgroupNames

from .errors import UserError

HARVEST_EVERY_S = 10.0  # long runs harvest (and symbolize) as they go, keeping maps small


def _duration(text: str, flag: str = "--duration") -> float:
    try:
        seconds = parse_duration(text, flag=flag)
    except TimeSpecError as e:
        raise UserError(str(e)) from None
    if seconds <= 0:
        raise UserError(f"invalid {flag} '{text}': must be more than 0")
    return seconds


def _output(path: str | None, fmt: str | None) -> Renderer | None:
    """Check the output path and format before sampling, not after a 30 s run."""
    if fmt is not None and path is None:
        raise UserError("--format needs -o/--output")
    if path is None:
        return None
    try:
        renderer = renderer_for_path(path, fmt)
    except ValueError as e:
        raise UserError(str(e)) from None
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise UserError(f"cannot write {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (Path(path).exists() and not os.access(path, os.W_OK)):
        raise UserError(f"cannot write {path}: permission denied")
    if Path(path).is_dir():
        raise UserError(f"cannot write {path}: it is a directory")
    return renderer


def _write(profile: Profile, path: str, renderer: Renderer) -> None:
    try:
        renderer.write(profile, path)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}") from None


def _top_table(profile: Profile, n: int) -> Table:
    total = profile.total() or 1
    t = Table(box=None, pad_edge=False)
    for col in ("self", "self%", "total", "total%"):
        t.add_column(col, justify="right")
    t.add_column("function", overflow="fold")
    for name, own, tot in profile.top_functions(n):
        t.add_row(str(own), f"{100 * own / total:.1f}%", str(tot), f"{100 * tot / total:.1f}%", name)
    return t


def _summary(profile: Profile, seconds: float, idle_kept: bool = False) -> str:
    lost = ", ".join(f"{k} {v}" for k, v in sorted(profile.lost.items()) if v) or "none"
    pids = len(profile.label_values("pid"))
    return (f"{profile.total()} samples from {pids} process(es) in {seconds:.1f}s at "
            f"{profile.frequency_hz:g} Hz; idle {profile.idle_samples} "
            f"({'included' if idle_kept else 'left out'}); lost: {lost}")


def _filter(pids: tuple[int, ...], comm: str | None, container: str | None,
            include_idle: bool) -> Filter:
    for pid in pids:
        if pid <= 0 or not os.path.isdir(f"/proc/{pid}"):
            raise UserError(f"invalid --pid {pid}: no such process")
    if comm is not None and not comm.strip():
        raise UserError("invalid --comm: empty name")
    if comm is not None and len(comm.encode()) > 15:
        raise UserError(f"invalid --comm {comm!r}: the kernel keeps 15 bytes of a task name")
    cgroups: set[int] = set()
    if container is not None:
        cgroups = CgroupNames().resolve(container)
        if not cgroups:
            raise UserError(f"invalid --container {container!r}: no cgroup matches "
                            "(give a container id prefix, a name, or a cgroup path)")
    return Filter(frozenset(pids), frozenset(cgroups), comm or "", include_idle)


@click.group(invoke_without_command=True)
@click.option("-p", "--pid", "pids", type=int, multiple=True, help="Profile this process (repeatable).")
@click.option("--comm", help="Profile tasks with this name (as in /proc/PID/comm).")
@click.option("--container", help="Profile a container: id prefix, name or cgroup path.")
@click.option("--all", "all_", is_flag=True, help="Profile every process (the default).")
@click.option("-d", "--duration", default="30s", show_default=True, help="How long to sample.")
@click.option("-F", "--frequency", type=click.IntRange(1, 10_000), default=DEFAULT_ONESHOT_HZ,
              show_default=True, help="Samples per second per CPU.")
@click.option("-o", "--output", help="Write the profile: flame.html, profile.pb.gz, "
              "out.folded, out.speedscope.json (chosen by extension).")
@click.option("--format", "fmt", help="Output format, overriding the extension: "
              "html, pprof, folded, speedscope.")
@click.option("--idle", "include_idle", is_flag=True, help="Keep idle (swapper) samples.")
@click.option("--top", type=click.IntRange(0, 10_000), default=20, show_default=True,
              help="Functions listed on the terminal.")
@click.pass_context
def profile(ctx: click.Context, pids: tuple[int, ...], comm: str | None, container: str | None,
            all_: bool, duration: str, frequency: int, output: str | None, fmt: str | None,
            include_idle: bool, top: int) -> None:
    """Sample CPU stacks (user + kernel) and write a flame graph, pprof, folded or speedscope."""
    if ctx.invoked_subcommand is not None:
        return
    if all_ and (pids or comm or container):
        raise UserError("--all cannot be combined with --pid, --comm or --container")
    seconds = _duration(duration)
    renderer = _output(output, fmt)
    env.require_privileges()
    filt = _filter(pids, comm, container, include_idle)
    prof = _sample(filt, frequency, seconds)
    err = Console(stderr=True)
    err.print(_summary(prof, prof.duration_ns / 1e9 or seconds, include_idle), highlight=False)
    if output and renderer:
        _write(prof, output, renderer)
        err.print(f"wrote {renderer.name} to {output}", highlight=False)
    if top and (not output or sys.stdout.isatty()):
        Console().print(_top_table(prof, top))


def _sample(filt: Filter, frequency: int, seconds: float) -> Profile:
    sym = Symbolizer()
    parts: list[Profile] = []
    show = seconds >= 5 and sys.stderr.isatty()
    meta = {"mode": "one-shot", "node": socket.gethostname()}
    try:
        with Sampler(frequency, filt, on_new_tgid=sym.note_tgid,
                     harvest_interval_s=min(seconds, HARVEST_EVERY_S)) as sampler, Progress(
                TextColumn("profiling"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f}s"),
                TimeRemainingColumn(), transient=True, disable=not show,
                console=Console(stderr=True)) as bar:
            task = bar.add_task("profile", total=seconds)
            start = time.monotonic()
            next_harvest = start + HARVEST_EVERY_S
            try:
                while (now := time.monotonic()) < start + seconds:
                    time.sleep(min(0.2, start + seconds - now))
                    bar.update(task, completed=min(seconds, time.monotonic() - start))
                    if time.monotonic() >= next_harvest:
                        parts.append(sym.profile(sampler.harvest(), meta))
                        next_harvest += HARVEST_EVERY_S
            except KeyboardInterrupt:  # Ctrl-C ends the run early; what was sampled is kept
                meta["interrupted"] = "yes"
            parts.append(sym.profile(sampler.harvest(), meta))
    finally:
        sym.close()
    return merge_all(parts)


# -- stored profiles --

def _store(path: str) -> ProfileStore:
    if path != ":memory:" and not Path(path).exists():
        raise UserError(f"no profile store at {path} (run `beholder serve` to collect profiles, "
                        "or give --store)")
    try:
        return ProfileStore(path)
    except Exception as e:  # duckdb raises its own types for a bad or locked file
        raise UserError(f"cannot open profile store {path}: {str(e).splitlines()[0]}") from None


def _query(text: str, flag: str) -> Query:
    try:
        return Query.parse(text)
    except QueryError as e:
        raise UserError(f"invalid {flag}: {e}") from None


@profile.command("query")
@click.option("--since", default="1h", show_default=True, help="Start: a duration ago or RFC3339.")
@click.option("--until", default="now", show_default=True, help="End: a duration ago or RFC3339.")
@click.option("--comm")
@click.option("--pid")
@click.option("--exe")
@click.option("--container")
@click.option("--cgroup")
@click.option("--node")
@click.option("--top", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("-o", "--output", help="Also write the merged profile (by extension).")
@click.option("--format", "fmt")
@click.option("--store", "store_path", default=DEFAULT_PATH, show_default=True)
def query_cmd(since: str, until: str, comm: str | None, pid: str | None, exe: str | None,
              container: str | None, cgroup: str | None, node: str | None, top: int,
              output: str | None, fmt: str | None, store_path: str) -> None:
    """Merge stored profiles over a time range and list the top functions."""
    if pid is not None and not pid.isdigit():
        raise UserError(f"invalid --pid {pid!r}: expected a number")
    renderer = _output(output, fmt)
    labels = {"comm": comm, "pid": pid, "exe": exe, "container": container, "cgroup": cgroup,
              "node": node}
    q = _query(f"since={since} until={until}", "--since/--until")
    q = Query.make(q.since_ns, q.until_ns, labels)
    with _store(store_path) as store:
        prof = store.query(q)
        rows = len(store.rows(q))
    if not prof.samples:
        raise UserError("no stored samples match (check --since and the labels)")
    err = Console(stderr=True)
    err.print(f"{rows} stored profile(s) merged: {prof.total()} samples, idle "
              f"{prof.idle_samples}, lost {sum(prof.lost.values())}", highlight=False)
    Console().print(_top_table(prof, top))
    if output and renderer:
        _write(prof, output, renderer)
        err.print(f"wrote {renderer.name} to {output}", highlight=False)


@profile.command("diff")
@click.option("--a", "a_text", required=True, help="Baseline: 'since=2h until=1h comm=nginx'.")
@click.option("--b", "b_text", required=True, help="Comparison, same syntax.")
@click.option("--top", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("-o", "--output", help="Write a diff flame graph (.html).")
@click.option("--store", "store_path", default=DEFAULT_PATH, show_default=True)
def diff_cmd(a_text: str, b_text: str, top: int, output: str | None, store_path: str) -> None:
    """Compare two stored ranges: grown and shrunk functions, and a diff flame graph."""
    qa, qb = _query(a_text, "--a"), _query(b_text, "--b")
    if output is not None:
        if not output.lower().endswith((".html", ".htm")):
            raise UserError(f"cannot write {output}: a diff flame graph is HTML (use .html)")
        _output(output, "html")
    with _store(store_path) as store:
        a, b = store.query(qa), store.query(qb)
    for name, p in (("--a", a), ("--b", b)):
        if not p.samples:
            raise UserError(f"no stored samples match {name}")
    click.echo(format_table(diff_profiles(a, b), top))
    if output:
        try:
            Path(output).write_text(DIFF_RENDERERS["html"](a, b), encoding="utf-8")
        except OSError as e:
            raise UserError(f"cannot write {output}: {e.strerror}") from None
        click.echo(f"wrote diff flame graph to {output}", err=True)


__all__ = ["profile", "get_renderer"]
