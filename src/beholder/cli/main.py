"""Entry point of the `beholder` console script.

Commands are imported when they run, not at start-up: `beholder trace` should not pay for the
profiler's DuckDB or the server's web stack."""

from __future__ import annotations

import importlib
from typing import Any

import click

from beholder import __version__

from .errors import run_guarded

COMMANDS = {
    "doctor": "beholder.cli.doctor:doctor",
    "trace": "beholder.cli.trace:trace",
    "tool": "beholder.cli.tool:tool",
    "observe": "beholder.cli.observe:observe",
    "serve": "beholder.cli.serve:serve",
    "profile": "beholder.cli.profile:profile",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> Any:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="beholder")
def cli() -> None:
    """beholder: zero-instrumentation observability on eBPF."""


def main() -> None:
    run_guarded(lambda: cli.main(prog_name="beholder", standalone_mode=False))
