"""`beholder trace`: run a program in the bpftrace language (-e PROG or FILE)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from beholder.cli.errors import UserError


def _listing(pattern: str) -> list[str]:
    from beholder.trace.kcatalog import KernelCatalog

    cat = KernelCatalog()
    provider, _, rest = pattern.partition(":")
    provider = {"t": "tracepoint", "": "tracepoint"}.get(provider, provider)
    if provider != "tracepoint":
        raise UserError(f"-l lists tracepoints here (tracepoint:CAT:NAME); {provider} probes "
                        "cannot be listed on this host" if provider in ("kprobe", "kfunc", "fentry")
                        else f"-l: cannot list {provider} probes")
    return [f"tracepoint:{tp}" for tp in cat.tracepoints(rest or "*")]


def run_program(text: str, filename: str, *, params: tuple[str, ...], fmt: str, quiet: bool,
                verbose: bool, dump: str | None, unsafe: bool, pid: int | None,
                command: str | None, duration: float | None) -> int:
    from beholder.trace.diagnostics import CompileError
    from beholder.trace.output import make_printer
    from beholder.trace.run import Options, compile_program, run

    opts = Options(params=list(params), unsafe=unsafe, pid=pid, command=command,
                   duration=duration, verbose=verbose)
    try:
        compiled = compile_program(text, filename, opts, use_cache=dump is None)
        if dump == "ast":
            from beholder.trace.ast_dump import dump as dump_ast

            click.echo(dump_ast(compiled.ctx.program))
            return 0
        if dump == "ir":
            from beholder.trace.codegen import generate

            ir_text, plan = generate(compiled.ctx)
            click.echo(generate(compiled.ctx, plan)[0])
            return 0
    except CompileError as e:
        click.echo(str(e).rstrip("\n"), err=True)
        return 1

    printer = make_printer(fmt, sys.stdout)

    def on_event(kind: str, payload: Any) -> None:
        if kind == "printf":
            printer.printf(payload)
        elif kind == "attached":
            if not quiet:
                printer.attached_probes(payload)
        elif kind == "print_map":
            snap, top, div = payload
            printer.print_map(snap, top=top, div=div)
        elif kind == "print_value":
            printer.print_value(payload)
        elif kind == "time":
            printer.time(payload)
        elif kind == "join":
            printer.message("join", payload)
        elif kind in ("system", "cat"):
            printer.message("syscall" if kind == "system" else "cat", payload, newline=False)
        elif kind == "lost":
            printer.lost_events(payload)
        elif kind == "exit_maps":
            printer.exit_maps([s for s in payload if s.entries or s.name])
        elif kind == "verifier_log":
            click.echo(payload, err=True)
        elif kind == "error":
            click.echo(f"beholder: {payload}", err=True)
        sys.stdout.flush()

    try:
        from beholder.trace.diagnostics import CompileError as _CE

        return run(compiled, opts, on_event)
    except _CE as e:  # codegen errors surface at load time
        click.echo(str(e).rstrip("\n"), err=True)
        return 1


@click.command(context_settings={"ignore_unknown_options": False})
@click.option("-e", "program", metavar="PROGRAM", help="Program text.")
@click.option("-l", "listing", metavar="PATTERN", help="List probes matching PATTERN, e.g. 'tracepoint:tcp:*'.")
@click.option("-p", "pid", type=int, help="PID for uprobes/uretprobes.")
@click.option("-c", "command", metavar="CMD", help="Run CMD, trace until it exits, exit with its code.")
@click.option("-q", "quiet", is_flag=True, help="Do not print 'Attaching N probes...'.")
@click.option("-v", "verbose", is_flag=True, help="Print the verifier log of every program.")
@click.option("-d", "dump", type=click.Choice(["ast", "ir"]), help="Dump the AST or the LLVM IR and exit.")
@click.option("-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--unsafe", is_flag=True, help="Allow system() and signal().")
@click.option("--duration", type=float, metavar="SECONDS", help="Stop after SECONDS.")
@click.argument("args", nargs=-1)
def trace(program: str | None, listing: str | None, pid: int | None, command: str | None,
          quiet: bool, verbose: bool, dump: str | None, fmt: str, unsafe: bool,
          duration: float | None, args: tuple[str, ...]) -> None:
    """Trace with a program in the bpftrace language: -e 'PROGRAM' or FILE.bt, then $1.. params."""
    from beholder.ebpf import env

    env.require_privileges()
    if listing is not None:
        for line in _listing(listing):
            click.echo(line)
        return
    if program is None:
        if not args:
            raise UserError("give a program with -e 'PROGRAM' or a file FILE.bt")
        path, args = Path(args[0]), args[1:]
        try:
            program, filename = path.read_text(), str(path)
        except OSError as e:
            raise UserError(f"cannot read {path}: {e.strerror}") from e
    else:
        filename = "-e"
    code = run_program(program, filename, params=args, fmt=fmt, quiet=quiet, verbose=verbose,
                       dump=dump, unsafe=unsafe, pid=pid, command=command, duration=duration)
    sys.exit(code)
