"""Entry point of the `beholder` console script."""

from __future__ import annotations

import click

from beholder import __version__

from .doctor import doctor
from .errors import run_guarded
from .tool import tool
from .trace import trace


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="beholder")
def cli() -> None:
    """beholder: zero-instrumentation observability on eBPF."""


cli.add_command(doctor)
cli.add_command(trace)
cli.add_command(tool)


def main() -> None:
    run_guarded(lambda: cli.main(prog_name="beholder", standalone_mode=False))
