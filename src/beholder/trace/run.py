"""Compile and run a trace program end to end: the driver behind the CLI and the Python API."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from beholder.ebpf import env
from beholder.ebpf.errors import BPFError
from beholder.trace import cache
from beholder.trace.session import Session

Event = tuple[str, Any]  # (kind, payload): printf text, print_map (snapshot, top, div), ...


@dataclass
class Options:
    params: list[str] = field(default_factory=list)
    unsafe: bool = False
    pid: int | None = None
    command: str | None = None
    duration: float | None = None
    verbose: bool = False
    strlen: int = 64


@dataclass
class Compiled:
    """A checked program: its front-end context, or a cache hit that needs none."""

    options: dict[str, Any]
    ctx: Any = None  # PassContext
    cached: cache.Entry | None = None
    key: str | None = None


def compile_program(text: str, filename: str = "-e", opts: Options | None = None,
                    use_cache: bool = True) -> Compiled:
    """Parse and check against the running kernel; raises CompileError with diagnostics."""
    opts = opts or Options()
    env.require_privileges()
    options: dict[str, Any] = {"positional": list(opts.params), "unsafe": opts.unsafe,
                               "pid": opts.pid, "strlen": opts.strlen}
    key = cache.key(text, options) if use_cache and not opts.command else None
    if key is not None and (hit := cache.load(key)) is not None:
        return Compiled(options, cached=hit)
    from beholder.trace.frontend import compile_front
    from beholder.trace.kcatalog import KernelCatalog

    ctx = compile_front(text, filename, KernelCatalog(), options)
    return Compiled(ctx.options, ctx=ctx, key=key)


class Runner:
    """Load, attach, run BEGIN, poll events until exit()/duration/command end/Ctrl-C, run END."""

    def __init__(self, compiled: Compiled, opts: Options,
                 on_event: Callable[[str, Any], None]) -> None:
        self.compiled, self.opts, self.on_event = compiled, opts, on_event
        self.child: subprocess.Popen[bytes] | None = None
        self._go: int | None = None
        if opts.command:
            self._spawn_paused(opts.command)
        try:
            self.session = Session(compiled, on_event, verbose=opts.verbose)
        except BaseException:
            self._end_child()
            raise
        self.interrupted = False

    def _spawn_paused(self, command: str) -> None:
        """Start -c's command held before exec, so `cpid` is known when code is generated and
        no early syscall of the command is missed (as bpftrace does)."""
        import shlex

        argv = shlex.split(command)
        if not argv:
            raise ValueError("-c needs a command")
        read_fd, write_fd = os.pipe()
        # A shell waits on the pipe, then execs the command in place: same pid, nothing missed.
        hold = 'read -r _ <&"$0"; eval "exec $0<&-"; exec "$@"'
        try:
            self.child = subprocess.Popen(["/bin/sh", "-c", hold, str(read_fd), *argv],
                                          pass_fds=(read_fd,))
        except OSError as e:
            os.close(read_fd)
            os.close(write_fd)
            raise BPFError(f"-c {argv[0]}: {e.strerror}") from e
        os.close(read_fd)
        self._go = write_fd
        self.compiled.options["cpid"] = self.child.pid

    def start(self) -> None:
        s = self.session
        s.load()
        # BEGIN runs before anything else is attached, so its output comes first and the state
        # it sets up (thresholds, lookup tables) is there when the first probe fires.
        self.on_event("attached", len(s.plan.probes))
        s.run_special("begin")
        s.poll(0)
        s.attach()
        if self._go is not None:
            os.write(self._go, b"go\n")
            os.close(self._go)
            self._go = None
        self.deadline = time.monotonic() + self.opts.duration if self.opts.duration else None

    def step(self, timeout_ms: int = 100) -> bool:
        """Poll once; False when the run should end."""
        s = self.session
        if s.exit_code is not None:  # BEGIN may have exited already: no need to wait
            return False
        if self.child is not None and self.child.poll() is None:
            s.symbols.remember(self.child.pid)  # its maps vanish when it exits
        s.poll(timeout_ms)
        if s.exit_code is not None:
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return False
        return not (self.child is not None and self.child.poll() is not None)

    def finish(self) -> int:
        s = self.session
        s.detach()  # as bpftrace: probes stop before END runs, so END sees a still world
        s.poll(0)  # drain what came before the end (discarded after an exit())
        s.discard = False
        s.run_special("end")
        s.poll(0)
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)
            self.child.wait(timeout=10)
        if s.lost:
            self.on_event("lost", s.lost)
        self.on_event("exit_maps", s.all_maps())
        if s.exit_code is not None:
            return s.exit_code
        if self.child is not None and self.child.returncode is not None:
            return self.child.returncode
        return 0

    def _end_child(self) -> None:
        if self._go is not None:  # never started: release it, then end it
            os.close(self._go)
            self._go = None
        if self.child is not None and self.child.poll() is None:
            self.child.kill()
            self.child.wait()

    def close(self) -> None:
        self._end_child()
        self.session.close()


def run(compiled: Compiled, opts: Options, on_event: Callable[[str, Any], None]) -> int:
    runner = Runner(compiled, opts, on_event)
    try:
        runner.start()
        try:
            while runner.step():
                pass
        except KeyboardInterrupt:
            runner.interrupted = True
        return runner.finish()
    finally:
        runner.close()


def events(compiled: Compiled, opts: Options) -> Iterator[Event]:
    """Yield events as they arrive; closing the generator detaches everything."""
    queue: list[Event] = []
    runner = Runner(compiled, opts, lambda kind, payload: queue.append((kind, payload)))
    try:
        runner.start()
        going = True
        while going:
            going = runner.step()
            while queue:
                yield queue.pop(0)
        runner.finish()
        while queue:
            yield queue.pop(0)
    finally:
        runner.close()
