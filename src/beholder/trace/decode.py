"""Kernel bytes -> the output value model, using the Plan's layouts (never the other way round)."""

from __future__ import annotations

import pwd
import socket
import time
from collections import defaultdict
from typing import Any

from beholder.trace.codegen.plan import BUCKETED_KINDS, MapPlan, Plan
from beholder.trace.codegen.types import CType, layout
from beholder.trace.output import (
    Avg,
    Count,
    Histogram,
    LinearHistogram,
    MapEntry,
    MapSnapshot,
    Max,
    Min,
    Stack,
    Stats,
    Sum,
    Symbol,
    decode_bpftrace_min,
)
from beholder.trace.output.values import Buffer, to_s64

from .symbols import Symbols


class Decoder:
    def __init__(self, plan: Plan, symbols: Symbols, stacks: Any = None) -> None:
        self.plan, self.symbols, self.stacks = plan, symbols, stacks

    def value(self, ty: CType, raw: bytes) -> Any:
        k = ty.kind
        if k == "int":
            n = int.from_bytes(raw[:8], "little")
            return to_s64(n) if ty.signed else n
        if k == "ptr":
            return int.from_bytes(raw[:8], "little")
        if k == "str":
            return raw[: ty.size].split(b"\0", 1)[0].decode("utf-8", "replace")
        if k == "bytes":
            return Buffer(raw[: ty.size])
        if k == "tuple":
            return tuple(
                self.value(e, raw[o : o + e.size])
                for e, o in zip(ty.elems, ty.offsets, strict=True)
            )
        if k == "inet":
            family = int.from_bytes(raw[:8], "little")
            packed = raw[8 : 8 + (4 if family == socket.AF_INET else 16)]
            try:
                return Symbol(
                    socket.inet_ntop(socket.AF_INET if family == 2 else socket.AF_INET6, packed)
                )
            except (ValueError, OSError):
                return Symbol("")
        if k == "ksym":
            return Symbol(self.symbols.kernel(int.from_bytes(raw[:8], "little")))
        if k == "usym":
            addr, pid = int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:16], "little")
            return Symbol(self.symbols.user(pid, addr))
        if k == "probe":
            idx = int.from_bytes(raw[:8], "little")
            names = self.plan.probe_names
            return Symbol(names[idx] if idx < len(names) else "?")
        if k == "username":
            uid = int.from_bytes(raw[:8], "little")
            try:
                return Symbol(pwd.getpwuid(uid).pw_name)
            except KeyError:
                return Symbol(str(uid))
        if k in ("kstack", "ustack"):
            return self.stack(k == "ustack", raw)
        if k == "strftime":
            from beholder.trace.output import strftime_text

            fid, ns = int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:16], "little")
            boot = time.time_ns() - time.monotonic_ns()
            fmt = self.plan.strftime_formats[fid]
            return Symbol(strftime_text(fmt, ns, boot // 1_000_000_000, boot % 1_000_000_000))
        return int.from_bytes(raw[:8], "little")

    def stack(self, user: bool, raw: bytes) -> Stack:
        sid = to_s64(int.from_bytes(raw[:8], "little"))
        pid = int.from_bytes(raw[8:16], "little") if user else 0
        if sid < 0 or self.stacks is None:
            return Stack(())
        ips = self.stacks(sid)
        if user:
            return Stack(tuple(self.symbols.user(pid, ip, offset=True) for ip in ips), tuple(ips))
        return Stack(tuple(self.symbols.kernel(ip, offset=True) for ip in ips), tuple(ips))

    def record(self, raw: bytes) -> tuple[int, list[Any]]:
        aid = int.from_bytes(raw[:8], "little")
        action = self.plan.actions[aid]
        offsets, _ = layout(action.args)
        return aid, [
            self.value(t, raw[8 + o : 8 + o + t.size])
            for t, o in zip(action.args, offsets, strict=True)
        ]

    def key(self, plan: MapPlan, raw: bytes) -> tuple[Any, ...]:
        if not plan.keys:
            return ()
        offsets, _ = layout(plan.keys)
        return tuple(
            self.value(t, raw[o : o + t.size]) for t, o in zip(plan.keys, offsets, strict=True)
        )

    def snapshot(self, plan: MapPlan, entries: list[tuple[bytes, list[bytes]]]) -> MapSnapshot:
        """entries: (raw key, raw value per CPU) as read from the kernel."""
        kind = plan.kind
        ukey = plan.user_key_size
        if kind in BUCKETED_KINDS:
            groups: dict[bytes, dict[int, int]] = defaultdict(dict)
            for kraw, vals in entries:
                bucket = int.from_bytes(kraw[ukey : ukey + 8], "little")
                groups[kraw[:ukey]][bucket] = sum(int.from_bytes(v[:8], "little") for v in vals)
            out = []
            for kraw, buckets in groups.items():
                if kind == "hist":
                    val: Any = Histogram(buckets)  # type: ignore[arg-type]  # a dict works too
                elif kind == "lhist":
                    lo, hi, step = plan.lhist_args or (0, 0, 1)
                    val = LinearHistogram(lo, hi, step, buckets)  # type: ignore[arg-type]
                else:
                    cls = Stats if kind == "stats" else Avg
                    val = cls(buckets.get(0, 0), to_s64(buckets.get(1, 0)))
                out.append(MapEntry(self.key(plan, kraw), val, kraw))
            return MapSnapshot(plan.name, out, kind=_KIND.get(kind))
        rows = []
        for kraw, vals in entries:
            ints = [int.from_bytes(v[:8], "little") for v in vals]
            if kind == "count":
                val = Count(sum(ints))
            elif kind == "sum":
                val = Sum(to_s64(sum(to_s64(i) for i in ints)))
            elif kind == "min":
                val = Min(decode_bpftrace_min(ints))
            elif kind == "max":
                val = Max(max(to_s64(i) for i in ints))
            else:
                assert plan.value is not None
                val = self.value(plan.value, vals[0])
            rows.append(MapEntry(self.key(plan, kraw), val, kraw))
        return MapSnapshot(plan.name, rows, kind=_KIND.get(kind))


_KIND: dict[str, Any] = {}


def _init_kinds() -> None:
    from beholder.trace.output import ValueKind

    _KIND.update(
        {
            "count": ValueKind.COUNT,
            "sum": ValueKind.SUM,
            "min": ValueKind.MIN,
            "max": ValueKind.MAX,
            "avg": ValueKind.AVG,
            "stats": ValueKind.STATS,
            "hist": ValueKind.HIST,
            "lhist": ValueKind.LHIST,
            "int": ValueKind.INT,
            "str": ValueKind.STRING,
            "tuple": ValueKind.TUPLE,
        }
    )


_init_kinds()
