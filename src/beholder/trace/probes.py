"""Attach-point specs: split a probe header like 'uprobe:/bin/sh:main' into a normalized ProbeSpec."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PROVIDER_ALIASES: dict[str, str] = {
    "BEGIN": "begin", "begin": "begin", "END": "end", "end": "end",
    "t": "tracepoint", "tracepoint": "tracepoint",
    "rt": "rawtracepoint", "rawtracepoint": "rawtracepoint",
    "k": "kprobe", "kprobe": "kprobe", "kr": "kretprobe", "kretprobe": "kretprobe",
    "f": "fentry", "fentry": "fentry", "kfunc": "fentry",
    "fr": "fexit", "fexit": "fexit", "kretfunc": "fexit",
    "u": "uprobe", "uprobe": "uprobe", "ur": "uretprobe", "uretprobe": "uretprobe",
    "U": "usdt", "usdt": "usdt", "p": "profile", "profile": "profile",
    "i": "interval", "interval": "interval", "s": "software", "software": "software",
    "h": "hardware", "hardware": "hardware", "w": "watchpoint", "watchpoint": "watchpoint",
    "aw": "asyncwatchpoint", "asyncwatchpoint": "asyncwatchpoint",
    "it": "iter", "iter": "iter",
}  # fmt: skip

SOFTWARE_EVENTS: dict[str, str] = {
    "cpu-clock": "cpu-clock", "cpu": "cpu-clock", "task-clock": "task-clock",
    "page-faults": "page-faults", "faults": "page-faults",
    "context-switches": "context-switches", "cs": "context-switches",
    "cpu-migrations": "cpu-migrations", "minor-faults": "minor-faults",
    "major-faults": "major-faults", "alignment-faults": "alignment-faults",
    "emulation-faults": "emulation-faults", "dummy": "dummy", "bpf-output": "bpf-output",
}  # fmt: skip

HARDWARE_EVENTS: dict[str, str] = {
    "cpu-cycles": "cpu-cycles", "cycles": "cpu-cycles", "instructions": "instructions",
    "cache-references": "cache-references", "cache-misses": "cache-misses",
    "branch-instructions": "branch-instructions", "branches": "branch-instructions",
    "branch-misses": "branch-misses", "bus-cycles": "bus-cycles",
    "frontend-stalls": "frontend-stalls", "backend-stalls": "backend-stalls",
    "ref-cycles": "ref-cycles",
}  # fmt: skip

TIMER_UNITS: dict[str, frozenset[str]] = {
    "profile": frozenset({"hz", "s", "ms", "us"}),
    "interval": frozenset({"hz", "s", "ms", "us"}),
}
_OFFSET = re.compile(r"^(?P<name>.+?)\+(?P<off>0x[0-9a-fA-F]+|\d+)$")


class ProbeSpecError(ValueError):
    """A malformed attach point; the message is user-facing."""


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    provider: str  # normalized: kprobe, tracepoint, fentry, begin, ...
    raw: str
    target: str = ""  # binary, tracepoint category, module, timer unit, event name
    func: str = ""  # symbol, tracepoint name, usdt probe
    offset: int | None = None  # kprobe:f+10, uprobe:bin:f+10
    address: int | None = None  # uprobe:bin:0x1234, watchpoint address
    params: dict[str, int | str] = field(default_factory=dict)

    @property
    def wildcard(self) -> bool:
        return any(c in part for part in (self.target, self.func) for c in "*?")

    def canonical(self) -> str:
        """Header text with the provider spelled out, e.g. 't:a:b' -> 'tracepoint:a:b'."""
        if self.provider in ("begin", "end"):
            return self.provider
        rest = self.raw.split(":", 1)[1] if ":" in self.raw else ""
        return f"{self.provider}:{rest}" if rest else self.provider


def split_parts(raw: str) -> list[str]:
    """Split on ':' outside double quotes, dropping the quotes."""
    parts: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in raw:
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _int(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise ProbeSpecError(f"invalid {what} '{text}': expected an integer") from None


def _symbol(provider: str, text: str, what: str = "function") -> str:
    if not text:
        raise ProbeSpecError(f"{provider} probe is missing a {what} name")
    return text


def _with_offset(provider: str, text: str) -> tuple[str, int | None]:
    m = _OFFSET.match(text)
    if m is None:
        return _symbol(provider, text), None
    if provider in ("kretprobe", "uretprobe"):
        raise ProbeSpecError(f"{provider} probes cannot have an offset")
    return m["name"], _int(m["off"], "offset")


def parse_attach_point(raw: str) -> ProbeSpec:
    parts = split_parts(raw)
    alias, args = parts[0], parts[1:]
    provider = PROVIDER_ALIASES.get(alias)
    if provider is None:
        raise ProbeSpecError(f"unknown probe type '{alias}'")
    handler = _HANDLERS[provider]
    return handler(provider, raw, args)


def _no_args(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    if args:
        raise ProbeSpecError(f"{provider} probe takes no arguments")
    return ProbeSpec(provider, raw)


def _kernel_func(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    usage = f"{provider}:[<module>:]<function>"
    if len(args) not in (1, 2):
        raise ProbeSpecError(f"{provider} probe requires a function name: {usage}")
    module = args[0] if len(args) == 2 else ""
    func, offset = _with_offset(provider, args[-1])
    if offset is not None and provider not in ("kprobe",):
        raise ProbeSpecError(f"{provider} probes cannot have an offset")
    return ProbeSpec(provider, raw, target=module, func=func, offset=offset)


def _user_func(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    usage = f"{provider}:<binary or library>:<symbol or 0xADDRESS>"
    if len(args) not in (2, 3) or not args[0]:
        raise ProbeSpecError(f"{provider} probe requires a binary and a symbol: {usage}")
    params: dict[str, int | str] = {}
    if len(args) == 3:
        # uprobe:bin:cpp:"ns::fn" - the middle part names the symbol's language.
        params["lang"] = args[1]
    sym = args[-1]
    if re.fullmatch(r"0x[0-9a-fA-F]+", sym):
        return ProbeSpec(provider, raw, target=args[0], address=int(sym, 16), params=params)
    func, offset = _with_offset(provider, sym)
    return ProbeSpec(provider, raw, target=args[0], func=func, offset=offset, params=params)


def _tracepoint(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    if len(args) != 2 or not all(args):
        raise ProbeSpecError(
            "tracepoint probe requires category and name: tracepoint:<category>:<name>"
        )
    return ProbeSpec(provider, raw, target=args[0], func=args[1])


def _rawtracepoint(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    if len(args) not in (1, 2) or not args[-1]:
        raise ProbeSpecError("rawtracepoint probe requires a name: rawtracepoint:[<module>:]<name>")
    return ProbeSpec(provider, raw, target=args[0] if len(args) == 2 else "", func=args[-1])


def _usdt(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    if len(args) not in (2, 3) or not all(args):
        raise ProbeSpecError(
            "usdt probe requires a binary and a probe: usdt:<binary>:[<provider>:]<probe>"
        )
    params: dict[str, int | str] = {"namespace": args[1]} if len(args) == 3 else {}
    return ProbeSpec(provider, raw, target=args[0], func=args[-1], params=params)


def _timer(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    units = TIMER_UNITS[provider]
    usage = f"{provider}:<{'|'.join(sorted(units))}>:<rate>, e.g. {provider}:hz:99"
    if len(args) != 2:
        raise ProbeSpecError(f"{provider} probe requires a unit and a rate: {usage}")
    unit, rate = args
    if unit not in units:
        raise ProbeSpecError(
            f"invalid {provider} unit '{unit}': expected one of {', '.join(sorted(units))}"
        )
    value = _int(rate, f"{provider} rate")
    if value <= 0:
        raise ProbeSpecError(f"{provider} rate must be positive, got {value}")
    return ProbeSpec(provider, raw, target=unit, params={"unit": unit, "value": value})


def _perf_event(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    table = SOFTWARE_EVENTS if provider == "software" else HARDWARE_EVENTS
    if len(args) not in (1, 2) or not args[0]:
        raise ProbeSpecError(f"{provider} probe requires an event: {provider}:<event>[:<count>]")
    event = table.get(args[0])
    if event is None:
        known = ", ".join(sorted(set(table.values())))
        raise ProbeSpecError(f"unknown {provider} event '{args[0]}'; known events: {known}")
    params: dict[str, int | str] = {"event": event}
    if len(args) == 2 and args[1]:
        params["count"] = _int(args[1], "sample count")
        if int(params["count"]) <= 0:
            raise ProbeSpecError(f"{provider} sample count must be positive")
    return ProbeSpec(provider, raw, target=event, params=params)


def _watchpoint(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    usage = f"{provider}:<0xADDRESS>:<length>:<mode>"
    if len(args) != 3:
        raise ProbeSpecError(f"{provider} probe requires address, length and mode: {usage}")
    address, length = _int(args[0], "address"), _int(args[1], "length")
    if length not in (1, 2, 4, 8):
        raise ProbeSpecError(f"{provider} length must be 1, 2, 4 or 8, got {length}")
    mode = args[2]
    if not mode or set(mode) - set("rwx") or len(set(mode)) != len(mode):
        raise ProbeSpecError(f"invalid {provider} mode '{mode}': use a combination of r, w, x")
    params: dict[str, int | str] = {"length": length, "mode": mode}
    return ProbeSpec(provider, raw, address=address, params=params)


def _iter(provider: str, raw: str, args: list[str]) -> ProbeSpec:
    if len(args) not in (1, 2) or not args[0]:
        raise ProbeSpecError("iter probe requires an iterator name: iter:<task|task_file|task_vma>")
    params: dict[str, int | str] = {"pin": args[1]} if len(args) == 2 else {}
    return ProbeSpec(provider, raw, func=args[0], params=params)


_HANDLERS = {
    "begin": _no_args, "end": _no_args, "kprobe": _kernel_func, "kretprobe": _kernel_func,
    "fentry": _kernel_func, "fexit": _kernel_func, "uprobe": _user_func,
    "uretprobe": _user_func, "tracepoint": _tracepoint, "rawtracepoint": _rawtracepoint,
    "usdt": _usdt, "profile": _timer, "interval": _timer, "software": _perf_event,
    "hardware": _perf_event, "watchpoint": _watchpoint, "asyncwatchpoint": _watchpoint,
    "iter": _iter,
}  # fmt: skip
