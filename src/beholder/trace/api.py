"""The Python API: `beholder.trace(program, duration=...)` and `beholder.trace_events(program)`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from beholder.trace.output import MapSnapshot
from beholder.trace.output.printf import format_printf  # noqa: F401  (re-exported for users)
from beholder.trace.run import Options, compile_program, events, run


@dataclass
class TraceResult:
    """What a finished run left: maps as dicts of Python values, printf output, exit code."""

    maps: dict[str, Any] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    exit_code: int = 0
    lost: int = 0

    def __getitem__(self, name: str) -> Any:
        return self.maps[name if name.startswith("@") else "@" + name]


def _as_python(snap: MapSnapshot) -> Any:
    """A key-less map is its value; one key gives {k: v}; several give {(k1, k2): v}."""
    if not snap.keyed:
        return snap.entries[0].value if snap.entries else None
    return {(e.key[0] if len(e.key) == 1 else e.key): e.value for e in snap.entries}


def _options(params: Sequence[str], unsafe: bool, duration: float | None, pid: int | None) -> Options:
    return Options(params=[str(p) for p in params], unsafe=unsafe, duration=duration, pid=pid)


def trace(program: str, duration: float | None = None, *, params: Sequence[Any] = (),
          unsafe: bool = False, pid: int | None = None) -> TraceResult:
    """Run `program` (bpftrace language) until exit() or `duration` seconds; return its maps.

    Every probe is detached before this returns, also on an exception or Ctrl-C."""
    ctx = compile_program(program, "<trace>", _options(params, unsafe, duration, pid))
    result = TraceResult()

    def on_event(kind: str, payload: Any) -> None:
        if kind == "printf":
            result.output.append(payload)
        elif kind == "lost":
            result.lost = int(payload)
        elif kind == "exit_maps":
            result.maps = {s.name: _as_python(s) for s in payload}

    result.exit_code = run(ctx, _options(params, unsafe, duration, pid), on_event)
    return result


@dataclass(frozen=True)
class TraceEvent:
    kind: str  # printf, print_map, print_value, time, system, cat, lost, exit_maps, attached
    value: Any

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else str(self.value)


def trace_events(program: str, duration: float | None = None, *, params: Sequence[Any] = (),
                 unsafe: bool = False, pid: int | None = None) -> Iterator[TraceEvent]:
    """Yield events (printf lines first of all) while the program runs; stop iterating to end it."""
    opts = _options(params, unsafe, duration, pid)
    ctx = compile_program(program, "<trace>", opts)
    for kind, payload in events(ctx, opts):
        if kind == "exit_maps":
            payload = {s.name: _as_python(s) for s in payload}
        yield TraceEvent(kind, payload)
