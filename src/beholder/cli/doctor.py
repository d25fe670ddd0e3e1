"""`beholder doctor`: report what this host supports."""

from __future__ import annotations

import click
from rich.console import Console

from beholder.doctor import collect
from beholder.doctor.render import to_console, to_json
from beholder.ebpf import env


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (keys are stable).")
def doctor(as_json: bool) -> None:
    """Probe the kernel by loading tiny programs and report what beholder can do here."""
    env.require_privileges()
    report = collect()
    if as_json:
        click.echo(to_json(report))
    else:
        to_console(report, Console())
