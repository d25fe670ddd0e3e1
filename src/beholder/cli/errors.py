"""Turn every expected failure into a one-line message and a non-zero exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from beholder.ebpf.errors import BPFError, PrivilegeError


class UserError(click.ClickException):
    """Bad input from the user (program, filter, file, flag): one line, exit 1."""


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"beholder: error: {message}", err=True)
    sys.exit(code)


def run_guarded(fn: Callable[[], Any]) -> Any:
    """Run the CLI, mapping known failures to clean exits."""
    try:
        return fn()
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.UsageError as e:
        # One line, not click's usage block: the user asked for `--help` if they want it.
        hint = f" (see 'beholder {e.ctx.command_path.split(' ', 1)[1]} --help')" if e.ctx and " " in e.ctx.command_path else ""
        fail(f"{e.format_message()}{hint}", 2)
    except click.ClickException as e:
        fail(e.format_message(), e.exit_code)
    except PrivilegeError as e:
        fail(str(e))
    except BPFError as e:
        # Verifier logs are multi-line by nature; the first line is the summary.
        fail(str(e))
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as e:
        fail(f"{e.filename + ': ' if e.filename else ''}{e.strerror or e}")
