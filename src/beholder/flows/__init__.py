"""Kernel-free network flows: the Flow record, its filters, time specs and renderers."""

from beholder.flows.build import dns_flow, orient, socket_flow
from beholder.flows.cgroup import container_from_cgroup_path
from beholder.flows.counters import Counters, TCPStats
from beholder.flows.dns import DNS, Layer7
from beholder.flows.endpoint import Endpoint, Workload
from beholder.flows.enums import (
    ConnState,
    ContainerRuntime,
    FlowType,
    IPVersion,
    L7FlowType,
    LostEventSource,
    TrafficDirection,
    Verdict,
)
from beholder.flows.filters import FilterTerm, FlowFilter, extract_filter_args
from beholder.flows.l3l4 import IP, TCP, UDP, Layer4, TCPFlags
from beholder.flows.lost import LostEvent
from beholder.flows.matchers import FLAG_SPECS, FilterError
from beholder.flows.model import Flow
from beholder.flows.names import NameCache
from beholder.flows.process import Container, Process, process_labels
from beholder.flows.summary import build_summary
from beholder.flows.timespec import TimeSpecError, parse_duration, parse_time_range, parse_time_spec

__all__ = [
    "DNS",
    "FLAG_SPECS",
    "IP",
    "TCP",
    "UDP",
    "ConnState",
    "Container",
    "ContainerRuntime",
    "Counters",
    "Endpoint",
    "FilterError",
    "FilterTerm",
    "Flow",
    "FlowFilter",
    "FlowType",
    "IPVersion",
    "L7FlowType",
    "Layer4",
    "Layer7",
    "LostEvent",
    "LostEventSource",
    "NameCache",
    "Process",
    "TCPFlags",
    "TCPStats",
    "TimeSpecError",
    "TrafficDirection",
    "Verdict",
    "Workload",
    "build_summary",
    "container_from_cgroup_path",
    "dns_flow",
    "extract_filter_args",
    "orient",
    "parse_duration",
    "parse_time_range",
    "parse_time_spec",
    "process_labels",
    "socket_flow",
]
