"""Render a doctor Report as JSON (stable keys for scripts) or as text for people."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from .report import Report


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False)


def _mark(ok: bool) -> str:
    return "[green]yes[/]" if ok else "[red]no[/]"


def to_console(report: Report, console: Console) -> None:
    console.print(f"[bold]beholder {report.beholder_version}[/] on Linux {report.kernel['release']} "
                  f"({report.kernel['machine']})")
    console.print(f"BTF: {_mark(report.btf['vmlinux'])}   lockdown: {report.lockdown}   "
                  f"cgroup v2: {report.cgroup_v2}")
    console.print("file systems: " + ", ".join(f"{k} at {v}" for k, v in report.filesystems.items()))
    console.print(f"kprobes: {_mark(report.kprobe)}   fentry/fexit: {_mark(report.fentry)}   "
                  f"perf events: software {_mark(report.perf_events['software'])}, "
                  f"hardware {_mark(report.perf_events['hardware'])}")

    t = Table(title="program types (loaded and attached here)", title_justify="left")
    t.add_column("type")
    t.add_column("works")
    t.add_column("detail")
    for name, p in report.program_types.items():
        detail = p["detail"] + (f" -> {p['hint']}" if p["hint"] and not p["available"] else "")
        t.add_row(name, _mark(p["available"]), detail)
    console.print(t)

    f = Table(title="beholder features on this host", title_justify="left")
    f.add_column("feature")
    f.add_column("works")
    f.add_column("path")
    f.add_column("why not / fallback / notes")
    for name, st in report.features.items():
        extra = "; ".join(x for x in (st.why, st.fallback, *st.notes) if x)
        works = _mark(st.available) if st.shipped else (
            "[yellow]kernel ready, not in this build yet[/]" if st.available else _mark(False))
        f.add_row(name, works, st.path, extra)
    console.print(f)
