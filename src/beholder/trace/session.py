"""Run a compiled program: create maps, load and attach, run BEGIN, dispatch events, END, print.

Everything it creates is closed in `close()`, on success, error or interrupt alike.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable
from typing import Any

from beholder.ebpf import Object, open_object
from beholder.ebpf.errors import AttachError, BPFError
from beholder.ebpf.maps import Map, possible_cpus
from beholder.ebpf.ringbuf import RingBuffer
from beholder.kernel import maps as kmaps
from beholder.kernel import perf as kperf
from beholder.trace import cache
from beholder.trace.codegen import helpers as h
from beholder.trace.codegen.plan import MapPlan, Plan
from beholder.trace.decode import Decoder
from beholder.trace.output import format_printf, time_text
from beholder.trace.symbols import Symbols

_SW_EVENTS = {"cpu-clock": 0, "task-clock": 1, "page-faults": 2, "context-switches": 3,
              "cpu-migrations": 4, "minor-faults": 5, "major-faults": 6, "alignment-faults": 7,
              "emulation-faults": 8, "dummy": 9, "bpf-output": 10}
_SW_DEFAULT_PERIOD = {"cpu-clock": 1_000_000, "task-clock": 1_000_000}
_UNIT_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "hz": 0}


class Session:
    """One run of a trace program. `on_event(kind, payload)` receives every output event."""

    def __init__(self, compiled: Any, on_event: Callable[[str, Any], None],
                 verbose: bool = False) -> None:
        self.compiled, self.on_event = compiled, on_event
        self.options: dict[str, Any] = compiled.options
        self.verbose = verbose
        self.fds: list[int] = []
        self.obj: Object | None = None
        self.ring: RingBuffer | None = None
        self.exit_code: int | None = None
        self.discard = False  # set after exit(): bpftrace shows nothing more until END runs
        self.attached = 0
        self.plan: Plan
        if compiled.cached is not None:
            self._from_cache(compiled.cached)
        else:
            self._compile(compiled.ctx, compiled.key)
        self.symbols = Symbols()
        self.decoder = Decoder(self.plan, self.symbols, self._stack_ips)

    # -- setup --

    def _compile(self, ctx: Any, key: str | None) -> None:
        from beholder.trace.codegen import generate  # only a cache miss pays for LLVM
        from beholder.trace.emit import emit_object

        _, self.plan = generate(ctx)
        self._create_maps()
        ir_text, self.plan = generate(ctx, self.plan)
        self.elf = emit_object(ir_text)
        if key is not None:
            import copy

            cache.store(key, cache.Entry(copy.deepcopy(self.plan), self.elf))

    def _from_cache(self, entry: cache.Entry) -> None:
        self.plan = entry.plan
        old = self._fd_roles()
        self._create_maps()
        new = self._fd_roles()
        self.elf = cache.remap_fds(entry.elf, {fd: new[role] for fd, role in old.items()})

    def _fd_roles(self) -> dict[Any, Any]:
        roles: dict[Any, Any] = {mp.fd: ("map", name) for name, mp in self.plan.maps.items()}
        roles.update({self.plan.ring_fd: "ring", self.plan.lost_fd: "lost"})
        if self.plan.needs_stacks:
            roles[self.plan.stack_map_fd] = "stacks"
        if not self.fds:  # before creation: fd -> role; after: role -> fd
            return roles
        return {role: fd for fd, role in roles.items()}

    def _create_maps(self) -> None:
        for i, (name, mp) in enumerate(self.plan.maps.items()):
            mp.index = i
            mp.fd = self._map(mp.bpf_type, "m_" + name.lstrip("@")[:12], mp.key_size,
                              mp.value_size, mp.max_entries)
        self.plan.ring_fd = self._map(h.MAP_RINGBUF, "events", 0, 0, self.plan.ring_size)
        self.plan.lost_fd = self._map(h.MAP_PERCPU_ARRAY, "events_lost", 4, 8, 1)
        if self.plan.needs_stacks:
            self.plan.stack_map_fd = self._map(h.MAP_STACK_TRACE, "stacks", 4,
                                               8 * self.plan.stack_depth, 4096)

    def _map(self, type_: int, name: str, ksize: int, vsize: int, entries: int) -> int:
        try:
            fd = kmaps.create(type_, name, ksize, vsize, entries)
        except OSError as e:
            raise BPFError(f"cannot create map {name}: {e.strerror}") from e
        self.fds.append(fd)
        return fd

    def _wrap(self, mp: MapPlan) -> Map:
        m = Map(mp.fd, mp.name, mp.bpf_type, mp.key_size, mp.value_size, mp.max_entries)
        m.key_type = m.value_type = None  # raw bytes: the Decoder knows the layout
        return m

    def load(self) -> None:
        spec = open_object(self.elf, name="trace")
        self.obj = spec.load(log_level=1 if self.verbose else 0)
        if self.verbose:
            for name, log in self.obj.verifier_logs.items():
                self.on_event("verifier_log", f"{name}:\n{log}")
        ring = Map(self.plan.ring_fd, "events", h.MAP_RINGBUF, 0, 0, self.plan.ring_size)
        lost = Map(self.plan.lost_fd, "events_lost", h.MAP_PERCPU_ARRAY, 4, 8, 1)
        self.ring = RingBuffer(ring, self._on_record, lost=lost)

    def attach(self) -> int:
        assert self.obj is not None
        for pp in self.plan.probes:
            if pp.provider in ("begin", "end"):
                continue
            prog = self.obj.program(pp.function)
            p = pp.provider
            if p == "tracepoint":
                prog.attach_tracepoint(pp.target, pp.func)
            elif p == "rawtracepoint":
                prog.attach_raw_tracepoint(pp.func or pp.target)
            elif p in ("kprobe", "kretprobe"):
                prog.attach_kprobe(pp.func or pp.target, retprobe=p == "kretprobe")
            elif p in ("fentry", "fexit"):
                prog.attach_btf()
            elif p in ("uprobe", "uretprobe"):
                prog.attach_uprobe(resolve_binary(pp.target), pp.func,
                                   pid=int(self.options.get("pid") or -1),
                                   retprobe=p == "uretprobe")
            elif p in ("profile", "interval"):
                unit, value = _timer(pp)
                cpus = None if p == "profile" else kperf.online_cpus()[:1]
                if unit == "hz":
                    prog.attach_perf_sampling(kperf.PERF_TYPE_SOFTWARE, 0, frequency=value, cpus=cpus)
                else:
                    prog.attach_perf_sampling(kperf.PERF_TYPE_SOFTWARE, 0,
                                              period=value * _UNIT_NS[unit], cpus=cpus)
            elif p == "software":
                event = pp.target
                count = int(pp.params.get("count") or 0) or _SW_DEFAULT_PERIOD.get(event, 1000)
                prog.attach_perf_sampling(kperf.PERF_TYPE_SOFTWARE, _SW_EVENTS[event], period=count)
            else:
                raise AttachError(f"{pp.name}: {p} probes cannot be attached here")
            self.attached += 1
        return self.attached

    def detach(self) -> None:
        if self.obj is not None:
            self.obj.detach()

    def run_special(self, which: str) -> None:
        assert self.obj is not None
        for pp in self.plan.probes:
            if pp.provider == which:
                self.obj.program(pp.function).test_run()

    # -- events --

    def _stack_ips(self, sid: int) -> list[int]:
        raw = kmaps.lookup(self.plan.stack_map_fd, sid.to_bytes(4, "little"), 8 * self.plan.stack_depth)
        if raw is None:
            return []
        ips = [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]
        return [ip for ip in ips if ip]

    def _on_record(self, raw: bytes) -> None:
        if self.discard:
            return
        aid, args = self.decoder.record(raw)
        action = self.plan.actions[aid]
        kind = action.kind
        if kind == "printf":
            self.on_event("printf", format_printf(action.fmt, args))
        elif kind == "exit":
            self.exit_code = int(args[0]) if args else 0
            self.discard = True
        elif kind == "time":
            self.on_event("time", time_text(action.fmt))
        elif kind == "print_map":
            self.on_event("print_map", (self.map_snapshot(action.extra["map"]),
                                        action.extra.get("top", 0), action.extra.get("div", 0)))
        elif kind == "print_value":
            self.on_event("print_value", args[0])
        elif kind in ("clear", "zero"):
            self.clear_map(action.extra["map"], zero=kind == "zero")
        elif kind == "join":
            parts = []
            for a in args:
                if not a:
                    break
                parts.append(a)
            self.on_event("join", action.fmt.join(parts))
        elif kind == "system":
            out = subprocess.run(format_printf(action.fmt, args), shell=True, capture_output=True,
                                 text=True, timeout=60)
            self.on_event("system", out.stdout)
        elif kind == "cat":
            path = format_printf(action.fmt, args)
            try:
                with open(path) as f:
                    self.on_event("cat", f.read())
            except OSError as e:
                self.on_event("error", f"cat(\"{path}\"): {e.strerror}")

    def poll(self, timeout_ms: int) -> None:
        assert self.ring is not None
        self.ring.poll(timeout_ms)

    @property
    def lost(self) -> int:
        return self.ring.lost if self.ring is not None else 0

    # -- maps --

    def map_snapshot(self, name: str) -> Any:
        mp = self.plan.maps[name]
        m = self._wrap(mp)
        rows = m.items(per_cpu=True)
        entries = [(k, v if isinstance(v, list) else [v]) for k, v in rows]
        return self.decoder.snapshot(mp, entries)

    def all_maps(self) -> list[Any]:
        return [self.map_snapshot(name) for name in self.plan.maps]

    def clear_map(self, name: str, zero: bool = False) -> None:
        mp = self.plan.maps[name]
        m = self._wrap(mp)
        if not zero:
            m.clear()
            return
        stride = mp.value_size * (possible_cpus() if m.per_cpu else 1)
        for kraw, _ in m._raw_items():
            kmaps.update(mp.fd, kraw, b"\0" * stride)

    def close(self) -> None:
        if self.ring is not None:
            self.ring.close()
            self.ring = None
        if self.obj is not None:
            self.obj.close()
            self.obj = None
        for fd in self.fds:
            os.close(fd)
        self.fds.clear()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _timer(pp: Any) -> tuple[str, int]:
    params = pp.params or {}
    unit = str(params.get("unit") or pp.target)
    value = int(params.get("value") or 0)
    if unit not in _UNIT_NS or value <= 0:
        raise AttachError(f"{pp.name}: expected a unit of hz, s, ms or us and a positive rate")
    return unit, value


def resolve_binary(target: str) -> str:
    """A uprobe target: a path, or a library name such as 'libc' found like the loader would."""
    if "/" in target:
        return target
    for name in (target, f"lib{target}", target.removeprefix("lib")):
        for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"):
            for cand in (f"{d}/{name}", f"{d}/{name}.so", f"{d}/{name}.so.6", f"{d}/{name}.so.1"):
                if os.path.exists(cand):
                    return cand
    import shutil

    found = shutil.which(target)
    if found:
        return found
    raise AttachError(f"uprobe target '{target}' is not a file, a library or a command on PATH")


def run_command(cmd: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(shlex.split(cmd))


def now() -> float:
    return time.monotonic()
