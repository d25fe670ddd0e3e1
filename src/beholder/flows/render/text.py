"""Shared text formatting for renderers: timestamps, sizes, durations, endpoints, processes."""

from __future__ import annotations

import re
from datetime import tzinfo

from beholder.flows.endpoint import Endpoint
from beholder.flows.enums import FlowType, TrafficDirection
from beholder.flows.model import Flow
from beholder.flows.process import Process
from beholder.flows.timestamps import NS_PER_S, datetime_from_ns

# C0/C1 controls and DEL. comm, DNS names and labels come from untrusted
# processes and packets; printed raw they could forge lines or drive the terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """Escape control characters as ``\\xNN`` so one flow is always one harmless line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# Fixed English month names: output must not depend on the user's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def stamp(ns: int, tz: tzinfo | None = None) -> str:
    """``Nov 25 19:20:01.123`` (Go's StampMilli, as hubble prints); tz None = local time."""
    dt = datetime_from_ns(ns)
    dt = dt.astimezone(tz) if tz is not None else dt.astimezone()
    ms = (ns % NS_PER_S) // 1_000_000
    return f"{_MONTHS[dt.month - 1]} {dt.day:>2} {dt:%H:%M:%S}.{ms:03d}"


def human_bytes(n: int) -> str:
    """SI sizes with one decimal below 10 units: ``999 B``, ``1.2 kB``, ``45 kB``, ``3.4 MB``."""
    if n < 1000:
        return f"{n} B"
    value = float(n)
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        value /= 1000
        if value < 999.5 or unit == "PB":
            # Round first so 9.96 kB prints "10 kB" rather than "10.0 kB".
            return f"{value:.1f} {unit}" if round(value, 1) < 10 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def human_duration(ns: int) -> str:
    """Compact durations: ``850ns``, ``42us``, ``1.2ms``, ``12ms``, ``3.4s``, ``2m3s``, ``1h2m``."""
    if ns < 1000:
        return f"{ns}ns"
    for unit, size in (("us", 1_000), ("ms", 1_000_000), ("s", NS_PER_S)):
        value = ns / size
        if value < 999.5 or unit == "s":
            if unit == "s" and value >= 60:
                break
            return f"{value:.1f}{unit}" if round(value, 1) < 10 else f"{value:.0f}{unit}"
    secs = ns // NS_PER_S
    if secs < 3600:
        return f"{secs // 60}m{secs % 60}s"
    return f"{secs // 3600}h{secs % 3600 // 60}m"


def host_port(ip: str, port: int) -> str:
    """``10.0.0.1:80``, ``[fd00::1]:443``; no port part when the port is 0 (unknown)."""
    if not port:
        return ip or "?"
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def process_text(p: Process) -> str:
    """``curl/1234``, plus ``@<container short id or name>`` when containerised."""
    text = p.label()
    c = p.container
    if c is not None and (c.id or c.name):
        text += f"@{c.short_id or c.name}"
    return text


def side(flow: Flow, which: str) -> tuple[str, list[str], Endpoint]:
    """(address text, DNS names, endpoint) of the source or destination."""
    sport, dport = flow.l4.ports
    if which == "source":
        return host_port(flow.ip.source, sport), flow.source_names, flow.source
    return host_port(flow.ip.destination, dport), flow.destination_names, flow.destination


def address_text(flow: Flow, which: str) -> str:
    """Address plus the names/pod it is known by: ``10.0.0.2:443 (example.com)``."""
    addr, names, ep = side(flow, which)
    if ep.pod_name:
        addr += f" ({ep.namespace + '/' if ep.namespace else ''}{ep.pod_name})"
    if names:
        addr += f" ({','.join(n.rstrip('.') for n in names)})"
    return addr


def type_text(flow: Flow) -> str:
    """``L3_L4``, or Hubble's ``dns-request``/``dns-response`` for L7 DNS records."""
    if flow.type is FlowType.L7 and flow.l7 is not None and flow.l7.dns is not None:
        kind = flow.l7.type.value
        return "dns" if kind == "UNKNOWN_L7_TYPE" else f"dns-{kind.lower()}"
    return flow.type.value


def direction_text(flow: Flow) -> str:
    if flow.traffic_direction is TrafficDirection.TRAFFIC_DIRECTION_UNKNOWN:
        return ""
    return flow.traffic_direction.value.lower()


def counters_text(flow: Flow) -> str:
    """``sent/received`` bytes of the owner, e.g. ``1.2 kB/4.5 kB``; empty without counters."""
    if flow.bytes is None:
        return ""
    return f"{human_bytes(flow.bytes.sent)}/{human_bytes(flow.bytes.received)}"


def owner_process_text(flow: Flow) -> str:
    """Local processes of the flow, source first, joined by ``>`` when both ends are local."""
    procs = [ep.process for ep in (flow.source, flow.destination) if ep.process is not None]
    return " > ".join(process_text(p) for p in procs)
