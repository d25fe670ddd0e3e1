"""Enumerations of the Flow record; names and values follow Hubble's flow.proto where it has them."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class Verdict(StrEnum):
    """What happened to the flow; beholder only observes, so collectors set FORWARDED today."""

    VERDICT_UNKNOWN = "VERDICT_UNKNOWN"
    FORWARDED = "FORWARDED"
    DROPPED = "DROPPED"
    ERROR = "ERROR"
    AUDIT = "AUDIT"


class FlowType(StrEnum):
    """Hubble's FlowType: L3_L4 connection/packet flows, L7 parsed messages, SOCK socket events."""

    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    L3_L4 = "L3_L4"
    L7 = "L7"
    SOCK = "SOCK"


class TrafficDirection(StrEnum):
    """Direction relative to the observed host: EGRESS when a local process initiated it."""

    TRAFFIC_DIRECTION_UNKNOWN = "TRAFFIC_DIRECTION_UNKNOWN"
    INGRESS = "INGRESS"
    EGRESS = "EGRESS"


class IPVersion(StrEnum):
    """Hubble's IPVersion; IP_NOT_USED is the proto3 zero value and is never printed."""

    IP_NOT_USED = "IP_NOT_USED"
    IPv4 = "IPv4"
    IPv6 = "IPv6"


class L7FlowType(StrEnum):
    """Whether an L7 record is a request or a response (Hubble's L7FlowType)."""

    UNKNOWN_L7_TYPE = "UNKNOWN_L7_TYPE"
    REQUEST = "REQUEST"
    RESPONSE = "RESPONSE"
    SAMPLE = "SAMPLE"


class ConnState(StrEnum):
    """Beholder extension: lifecycle state of a connection-level flow."""

    STATE_UNKNOWN = "STATE_UNKNOWN"
    OPEN = "OPEN"  # established and still alive when the flow was emitted
    CLOSED = "CLOSED"  # orderly close (FIN) or local close
    RESET = "RESET"  # established, then torn down by RST
    REFUSED = "REFUSED"  # connect() answered by RST (ECONNREFUSED)
    TIMEOUT = "TIMEOUT"  # connect() never answered (ETIMEDOUT)
    UNREACHABLE = "UNREACHABLE"  # ICMP/route error during connect (EHOSTUNREACH, ENETUNREACH)


class LostEventSource(StrEnum):
    """Where events were lost, using Hubble's names."""

    UNKNOWN_LOST_EVENT_SOURCE = "UNKNOWN_LOST_EVENT_SOURCE"
    PERF_EVENT_RING_BUFFER = "PERF_EVENT_RING_BUFFER"  # kernel ring/perf buffer overran
    OBSERVER_EVENTS_QUEUE = "OBSERVER_EVENTS_QUEUE"  # userspace queue full
    HUBBLE_RING_BUFFER = "HUBBLE_RING_BUFFER"  # agent's flow history overwritten before read


class ContainerRuntime(StrEnum):
    """Beholder extension: the runtime that owns a process's cgroup."""

    DOCKER = "docker"
    CONTAINERD = "containerd"
    CRIO = "cri-o"
    PODMAN = "podman"
    SYSTEMD = "systemd"  # systemd-nspawn / machined containers


def parse_enum(cls: type[E], value: object, default: E) -> E:
    """Decode an enum from JSON, tolerating the proto3 habit of omitting zero values."""
    if value is None or value == "":
        return default
    try:
        return cls(str(value))
    except ValueError:
        raise ValueError(f"unknown {cls.__name__} {value!r}") from None
