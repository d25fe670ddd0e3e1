"""The Printer interface the trace runtime talks to, in text and JSON flavours.

The runtime decodes kernel events / map dumps into the value model
(values.py) and calls one method per bpftrace output event; a Printer only
writes to the text stream it was given.  Event -> method, as in bpftrace:

=================================  ==========================================
printf(...)                        printf(text)   (text already formatted)
print(@m[, top[, div]])            print_map(name, entries, top, div)
print(expr) (non-map)              print_value(value)
time(fmt)                          time(text)     (from printf.time_text)
join / cat / system                message("join" | "cat" | "syscall", text)
probes attached                    attached_probes(n)
perf ring buffer loss              lost_events(n)
program end                        exit_maps(maps)
=================================  ==========================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TextIO

from beholder.trace.output import json as jsonout
from beholder.trace.output import text as textout
from beholder.trace.output.maps import (
    EntriesLike,
    MapSnapshot,
    ValueKind,
    exit_order,
    snapshot,
)

MapsLike = Iterable[MapSnapshot] | Mapping[str, EntriesLike]


class Printer(Protocol):
    def printf(self, text: str) -> None: ...

    def print_map(
        self,
        name: str | MapSnapshot,
        entries: EntriesLike = (),
        top: int = 0,
        div: int = 0,
        *,
        kind: ValueKind | str | None = None,
    ) -> None: ...

    def print_value(self, value: Any) -> None: ...

    def time(self, text: str | None) -> None: ...

    def message(self, type_: str, text: str, newline: bool = True) -> None: ...

    def attached_probes(self, n: int) -> None: ...

    def lost_events(self, n: int) -> None: ...

    def exit_maps(self, maps: MapsLike) -> None: ...


def _snap(
    name: str | MapSnapshot, entries: EntriesLike, kind: ValueKind | str | None
) -> MapSnapshot:
    if isinstance(name, MapSnapshot):
        return name
    return snapshot(name, entries, kind)


def _snaps(maps: MapsLike) -> list[MapSnapshot]:
    if isinstance(maps, Mapping):
        return [m if isinstance(m, MapSnapshot) else snapshot(n, m) for n, m in maps.items()]
    return list(maps)


class _BasePrinter:
    def __init__(self, out: TextIO, flush: bool = False) -> None:
        self.out = out
        self._flush = flush  # bpftrace -B line/none: flush after every event

    def _write(self, s: str) -> None:
        if s:
            self.out.write(s)
            if self._flush:
                self.out.flush()

    def print_map(
        self,
        name: str | MapSnapshot,
        entries: EntriesLike = (),
        top: int = 0,
        div: int = 0,
        *,
        kind: ValueKind | str | None = None,
    ) -> None:
        self._write(self._map(_snap(name, entries, kind), top, div))

    def _map(self, snap: MapSnapshot, top: int, div: int) -> str:
        raise NotImplementedError

    def exit_maps(self, maps: MapsLike) -> None:
        """bpftrace's end-of-run dump: "\\n\\n" (even with -f json), then every
        map sorted by name.  The caller leaves out bpftrace-internal maps."""
        self._write("\n\n")
        for snap in exit_order(_snaps(maps)):
            self._write(self._map(snap, 0, 0))


class TextPrinter(_BasePrinter):
    """bpftrace's default output format."""

    def printf(self, text: str) -> None:
        self._write(text)

    def _map(self, snap: MapSnapshot, top: int, div: int) -> str:
        return textout.map_text(snap, top, div)

    def print_value(self, value: Any) -> None:
        self._write(textout.value_text(value) + "\n")

    def time(self, text: str | None) -> None:
        if text is not None:
            self._write(text)

    def message(self, type_: str, text: str, newline: bool = True) -> None:
        self._write(text + ("\n" if newline else ""))

    def attached_probes(self, n: int) -> None:
        self._write(textout.attached_probes_text(n))

    def lost_events(self, n: int) -> None:
        self._write(textout.lost_events_text(n))


class JsonPrinter(_BasePrinter):
    """bpftrace's ``-f json``: one JSON object per line."""

    def printf(self, text: str) -> None:
        self._write(jsonout.message_json("printf", text))

    def _map(self, snap: MapSnapshot, top: int, div: int) -> str:
        return jsonout.map_json(snap, top, div)

    def print_value(self, value: Any) -> None:
        self._write(jsonout.print_value_json(value))

    def time(self, text: str | None) -> None:
        if text is not None:
            self._write(jsonout.message_json("time", text))

    def message(self, type_: str, text: str, newline: bool = True) -> None:
        self._write(jsonout.message_json(type_, text))

    def attached_probes(self, n: int) -> None:
        self._write(jsonout.counter_json("attached_probes", "probes", n))

    def lost_events(self, n: int) -> None:
        self._write(jsonout.counter_json("lost_events", "events", n))


def make_printer(fmt: str, out: TextIO, flush: bool = False) -> TextPrinter | JsonPrinter:
    """``fmt`` is bpftrace's -f value: "text" or "json"."""
    if fmt == "text":
        return TextPrinter(out, flush)
    if fmt == "json":
        return JsonPrinter(out, flush)
    raise ValueError(f"Invalid output format \"{fmt}\"\nValid formats: 'text', 'json'")
