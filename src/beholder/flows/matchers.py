"""One predicate per filter flag: validate the typed value, return a Flow -> bool function."""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from beholder.flows.endpoint import Endpoint
from beholder.flows.enums import FlowType, TrafficDirection, Verdict
from beholder.flows.l3l4 import TCPFlags, parse_ip
from beholder.flows.model import Flow
from beholder.flows.process import Process

Matcher = Callable[[Flow], bool]
Side = str  # "either" | "source" | "destination"


class FilterError(ValueError):
    """An invalid filter flag or value; str() is a one-line message for the user."""


def _bad(flag: str, value: str, why: str) -> FilterError:
    return FilterError(f"invalid {flag} '{value}': {why}")




def _endpoints(flow: Flow, side: Side) -> Iterator[Endpoint]:
    if side in ("either", "source"):
        yield flow.source
    if side in ("either", "destination"):
        yield flow.destination


def _processes(flow: Flow) -> Iterator[Process]:
    for ep in _endpoints(flow, "either"):
        if ep.process is not None:
            yield ep.process


def pid_matcher(flag: str, value: str) -> Matcher:
    if not value.isdigit() or int(value) <= 0:
        raise _bad(flag, value, "not a process id")
    pid = int(value)
    return lambda f: any(p.pid == pid for p in _processes(f))


def comm_matcher(flag: str, value: str) -> Matcher:
    if not value:
        raise _bad(flag, value, "empty process name")
    if any(c in value for c in "*?["):
        return lambda f: any(fnmatch.fnmatchcase(p.comm, value) for p in _processes(f))
    return lambda f: any(p.comm == value for p in _processes(f))


def container_matcher(flag: str, value: str) -> Matcher:
    if not value:
        raise _bad(flag, value, "empty container id or name")
    prefix = value.lower()

    def match(f: Flow) -> bool:
        for p in _processes(f):
            c = p.container
            if c is not None and ((c.id and c.id.startswith(prefix)) or c.name == value):
                return True
        return False

    return match


def namespace_matcher(flag: str, value: str) -> Matcher:
    if not value or "/" in value:
        raise _bad(flag, value, "not a Kubernetes namespace")
    return lambda f: any(ep.namespace == value for ep in _endpoints(f, "either"))


def pod_matcher(flag: str, value: str) -> Matcher:
    """Hubble's --pod: [namespace/]pod-name prefix."""
    ns, _, prefix = value.rpartition("/")
    if not prefix:
        raise _bad(flag, value, "expected [namespace/]pod-name")
    return lambda f: any(ep.pod_name.startswith(prefix) and (not ns or ep.namespace == ns)
                         for ep in _endpoints(f, "either"))


def label_matcher(flag: str, value: str) -> Matcher:
    """key=value or key, with or without Cilium's k8s: source prefix (app=web matches
    k8s:app=web; comm=curl matches beholder's own host labels)."""
    if not value or value.startswith("=") or " " in value:
        raise _bad(flag, value, "expected key=value or key")
    if "=" in value:
        wanted = {value, f"k8s:{value}"}
        return lambda f: any(lbl in wanted for ep in _endpoints(f, "either")
                             for lbl in ep.labels)
    keys = (f"{value}=", f"k8s:{value}=")
    return lambda f: any(lbl.startswith(keys) for ep in _endpoints(f, "either")
                         for lbl in ep.labels)


def ip_matcher(flag: str, value: str, side: Side) -> Matcher:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise _bad(flag, value, "not an IP address or CIDR") from None

    def match(f: Flow) -> bool:
        addrs = []
        if side in ("either", "source"):
            addrs.append(f.ip.source)
        if side in ("either", "destination"):
            addrs.append(f.ip.destination)
        for a in addrs:
            try:
                if a and parse_ip(a) in net:
                    return True
            except ValueError:
                continue
        return False

    return match


def port_matcher(flag: str, value: str, side: Side) -> Matcher:
    if not value.isdigit() or int(value) > 65535:
        raise _bad(flag, value, "not a port number (0-65535)")
    port = int(value)

    def match(f: Flow) -> bool:
        if f.l4.TCP is None and f.l4.UDP is None:
            return False
        sport, dport = f.l4.ports
        return (side != "destination" and sport == port) or (side != "source" and dport == port)

    return match


def protocol_matcher(flag: str, value: str) -> Matcher:
    proto = value.lower()
    if proto == "tcp":
        return lambda f: f.l4.TCP is not None
    if proto == "udp":
        return lambda f: f.l4.UDP is not None
    if proto == "dns":
        return lambda f: (f.l7 is not None and f.l7.dns is not None) or 53 in f.l4.ports
    raise _bad(flag, value, "expected tcp, udp or dns")


def verdict_matcher(flag: str, value: str) -> Matcher:
    try:
        verdict = Verdict(value.upper())
    except ValueError:
        raise _bad(flag, value, "expected FORWARDED, DROPPED, AUDIT or ERROR") from None
    return lambda f: f.verdict is verdict


# Hubble spells event types differently (trace, l7, trace-sock); accept both.
_TYPE_ALIASES = {
    "l3_l4": FlowType.L3_L4,
    "l3-l4": FlowType.L3_L4,
    "l34": FlowType.L3_L4,
    "trace": FlowType.L3_L4,
    "l7": FlowType.L7,
    "sock": FlowType.SOCK,
    "trace-sock": FlowType.SOCK,
}


def type_matcher(flag: str, value: str) -> Matcher:
    kind = _TYPE_ALIASES.get(value.lower())
    if kind is None:
        raise _bad(flag, value, "expected L3_L4, L7 or SOCK")
    return lambda f: f.type is kind


def direction_matcher(flag: str, value: str) -> Matcher:
    try:
        direction = TrafficDirection(value.upper())
    except ValueError:
        direction = TrafficDirection.TRAFFIC_DIRECTION_UNKNOWN
    if direction is TrafficDirection.TRAFFIC_DIRECTION_UNKNOWN:
        raise _bad(flag, value, "expected ingress or egress")
    return lambda f: f.traffic_direction is direction


_FQDN_CHARS = re.compile(r"^[a-z0-9_.*-]+$")


def _normalize_name(name: str) -> str:
    return name.lower().rstrip(".")


def fqdn_matcher(flag: str, value: str, side: Side) -> Matcher:
    pattern = _normalize_name(value.strip())
    if not pattern or not _FQDN_CHARS.match(pattern):
        raise _bad(flag, value, "not a domain name or *-pattern")
    # As in Cilium's FQDN patterns, '*' stays inside one label: *.example.com
    # matches a.example.com but not a.b.example.com nor example.com.
    rx = re.compile("^" + re.escape(pattern).replace(r"\*", "[^.]*") + "$")

    def names(f: Flow) -> Iterator[str]:
        if side != "destination":
            yield from f.source_names
        if side != "source":
            yield from f.destination_names
        if side == "either" and f.l7 is not None and f.l7.dns is not None:
            yield f.l7.dns.query

    return lambda f: any(rx.match(_normalize_name(n)) for n in names(f))


def tcp_flags_matcher(flag: str, value: str) -> Matcher:
    try:
        wanted = TCPFlags.from_names(n for n in value.split(",") if n.strip())
    except ValueError as e:
        raise _bad(flag, value, str(e)) from None
    if not wanted.names():
        raise _bad(flag, value, "no TCP flags given (e.g. SYN,ACK)")
    return lambda f: f.l4.TCP is not None and f.l4.TCP.flags.covers(wanted)


@dataclass(frozen=True, slots=True)
class FlagSpec:
    """How a filter flag is validated, and its help text for the CLI."""

    build: Callable[[str, str], Matcher]
    metavar: str
    help: str


def _sided(fn: Callable[[str, str, Side], Matcher], side: Side) -> Callable[[str, str], Matcher]:
    return lambda flag, value: fn(flag, value, side)


FLAG_SPECS: dict[str, FlagSpec] = {
    "--pid": FlagSpec(pid_matcher, "PID", "Flows owned by this process id (either side)."),
    "--comm": FlagSpec(comm_matcher, "NAME", "Flows of processes with this comm; globs allowed."),
    "--container": FlagSpec(container_matcher, "ID|NAME", "Container id prefix or name."),
    "--namespace": FlagSpec(namespace_matcher, "NS", "Kubernetes namespace of either side."),
    "--pod": FlagSpec(pod_matcher, "[NS/]POD", "Kubernetes pod name prefix, either side."),
    "--label": FlagSpec(label_matcher, "KEY[=VALUE]",
                        "Endpoint label of either side (app=web matches k8s:app=web)."),
    "--ip": FlagSpec(_sided(ip_matcher, "either"), "IP|CIDR", "Source or destination IP/CIDR."),
    "--from-ip": FlagSpec(_sided(ip_matcher, "source"), "IP|CIDR", "Source IP or CIDR."),
    "--to-ip": FlagSpec(_sided(ip_matcher, "destination"), "IP|CIDR", "Destination IP or CIDR."),
    "--port": FlagSpec(_sided(port_matcher, "either"), "PORT", "Source or destination port."),
    "--from-port": FlagSpec(_sided(port_matcher, "source"), "PORT", "Source port."),
    "--to-port": FlagSpec(_sided(port_matcher, "destination"), "PORT", "Destination port."),
    "--protocol": FlagSpec(protocol_matcher, "tcp|udp|dns", "L4 protocol, or dns."),
    "--verdict": FlagSpec(verdict_matcher, "VERDICT", "FORWARDED, DROPPED, AUDIT or ERROR."),
    "--type": FlagSpec(type_matcher, "TYPE", "Flow type: L3_L4, L7 or SOCK."),
    "--fqdn": FlagSpec(_sided(fqdn_matcher, "either"), "NAME", "DNS name of either side or query."),
    "--from-fqdn": FlagSpec(_sided(fqdn_matcher, "source"), "NAME", "DNS name of the source."),
    "--to-fqdn": FlagSpec(
        _sided(fqdn_matcher, "destination"), "NAME", "DNS name of the destination."
    ),
    "--tcp-flags": FlagSpec(tcp_flags_matcher, "FLAGS", "TCP flows with all of e.g. SYN,ACK."),
    "--traffic-direction": FlagSpec(direction_matcher, "DIR", "ingress or egress."),
}
