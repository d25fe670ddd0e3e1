"""`beholder tool NAME [args]`: run a shipped tool (a .bt file under beholder/tools)."""

from __future__ import annotations

import sys

import click

from beholder.cli.errors import UserError


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("-l", "--list", "listing", is_flag=True, help="List the tools.")
@click.option("--source", is_flag=True, help="Print the tool's program instead of running it.")
@click.option("-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-d", "--duration", type=float, metavar="SECONDS", help="Stop after SECONDS.")
@click.argument("name", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def tool(listing: bool, source: bool, fmt: str, duration: float | None, name: str | None,
         args: tuple[str, ...]) -> None:
    """Run a shipped tool: syscount, syslat, slowsys, opensnoop, tcpretrans, kmalloc, execsnoop,
    runqlat. Options after NAME are the tool's own (see -l)."""
    from beholder.tools import all_tools

    tools = all_tools()
    if listing or name is None:
        for t in tools.values():
            opts = " ".join(f"[{flag} {meta}]" for flag, (_, meta, _) in t.options.items())
            click.echo(f"{t.name:<11} {t.about}" + (f"  {opts}" if opts else ""))
        return
    if name not in tools:
        raise UserError(f"no tool named '{name}' (beholder tool -l lists them)")
    t = tools[name]
    if source:
        click.echo(t.source, nl=False)
        return
    try:
        params = t.params(list(args))
    except ValueError as e:
        raise UserError(str(e)) from e
    from beholder.cli.trace import run_program
    from beholder.ebpf import env

    env.require_privileges()
    sys.exit(run_program(t.source, str(t.path), params=tuple(params), fmt=fmt, quiet=True,
                         verbose=False, dump=None, unsafe=False, pid=None, command=None,
                         duration=duration))
