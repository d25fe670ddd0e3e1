"""The Flow record: Hubble's observer.Flow field names plus beholder's process extensions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from beholder.flows.counters import Counters, TCPStats
from beholder.flows.dns import Layer7
from beholder.flows.endpoint import Endpoint
from beholder.flows.enums import ConnState, FlowType, TrafficDirection, Verdict, parse_enum
from beholder.flows.l3l4 import IP, Layer4
from beholder.flows.summary import build_summary
from beholder.flows.timestamps import datetime_from_ns, format_rfc3339_ns, parse_rfc3339_ns
from beholder.flows.wire import JSONDict, as_dict, as_int, as_str_list, compact, u64


@dataclass(slots=True)
class Flow:
    """One observed flow. JSON keys are documented in docs/flows.md.

    Python attributes are snake_case; ``to_dict`` maps them to Hubble's JSON
    names (``IP``, ``Type``, ``Summary``, ``ID``...).
    """

    time_ns: int = 0  # wall clock, ns since the epoch (UTC); JSON "time"
    uuid: str = ""
    verdict: Verdict = Verdict.FORWARDED
    ip: IP = field(default_factory=IP)  # JSON "IP"
    l4: Layer4 = field(default_factory=Layer4)
    source: Endpoint = field(default_factory=Endpoint)
    destination: Endpoint = field(default_factory=Endpoint)
    type: FlowType = FlowType.L3_L4  # JSON "Type"
    node_name: str = ""
    source_names: list[str] = field(default_factory=list)
    destination_names: list[str] = field(default_factory=list)
    l7: Layer7 | None = None
    traffic_direction: TrafficDirection = TrafficDirection.TRAFFIC_DIRECTION_UNKNOWN
    is_reply: bool | None = None  # BoolValue in Hubble: None = unknown
    summary: str = ""  # JSON "Summary"; empty = derive with build_summary()
    # --- beholder extensions (not in Hubble's Flow) ---
    socket_cookie: int = 0  # Hubble has it for SOCK events; we set it on every socket flow
    bytes: Counters | None = None
    packets: Counters | None = None
    tcp: TCPStats | None = None
    duration_ns: int = 0  # connect/accept to close (or to emission while OPEN)
    state: ConnState = ConnState.STATE_UNKNOWN

    # ---- derived views -------------------------------------------------

    @property
    def time(self) -> str:
        """RFC3339 UTC with nine fraction digits, as in the JSON."""
        return format_rfc3339_ns(self.time_ns)

    @property
    def datetime(self) -> datetime:
        return datetime_from_ns(self.time_ns)

    def summary_text(self) -> str:
        """The explicit summary if a collector set one, else the derived one."""
        return self.summary or build_summary(self)

    def owner(self) -> Endpoint:
        """The local side whose process the counters belong to (see Counters)."""
        if self.traffic_direction is TrafficDirection.INGRESS:
            return self.destination
        if self.source.process is None and self.destination.process is not None:
            return self.destination
        return self.source

    # ---- JSON ----------------------------------------------------------

    def to_dict(self) -> JSONDict:
        """Hubble-style JSON object (protobuf JSON mapping: empty fields are omitted)."""
        unknown_dir = TrafficDirection.TRAFFIC_DIRECTION_UNKNOWN
        d = compact(
            {
                "time": self.time if self.time_ns else None,
                "uuid": self.uuid,
                "verdict": None if self.verdict is Verdict.VERDICT_UNKNOWN else self.verdict.value,
                "IP": self.ip.to_dict(),
                "l4": self.l4.to_dict(),
                "source": self.source.to_dict(),
                "destination": self.destination.to_dict(),
                "Type": None if self.type is FlowType.UNKNOWN_TYPE else self.type.value,
                "node_name": self.node_name,
                "source_names": list(self.source_names),
                "destination_names": list(self.destination_names),
            }
        )
        if self.l7 is not None:
            d["l7"] = self.l7.to_dict()
        if self.traffic_direction is not unknown_dir:
            d["traffic_direction"] = self.traffic_direction.value
        if self.is_reply is not None:
            d["is_reply"] = self.is_reply  # wrapper type: false is printed
        d.update(
            compact({"socket_cookie": u64(self.socket_cookie), "Summary": self.summary_text()})
        )
        # Extensions: messages print when set, even if all-zero, so a flow that
        # moved 0 bytes is distinguishable from one without byte accounting.
        for key, msg in (("bytes", self.bytes), ("packets", self.packets), ("tcp", self.tcp)):
            if msg is not None:
                d[key] = msg.to_dict()
        d.update(compact({"duration_ns": self.duration_ns}))
        if self.state is not ConnState.STATE_UNKNOWN:
            d["state"] = self.state.value
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Flow:
        """Inverse of to_dict; also accepts a `hubble observe -o json` flow object.

        Missing enums decode to their *zero* value (e.g. VERDICT_UNKNOWN), as
        protobuf would, not to the constructor defaults.
        """
        l7 = d.get("l7")
        is_reply = d.get("is_reply")
        opt = {k: d.get(k) for k in ("bytes", "packets", "tcp")}
        flow = cls(
            time_ns=parse_rfc3339_ns(str(d["time"])) if d.get("time") else 0,
            uuid=str(d.get("uuid", "")),
            verdict=parse_enum(Verdict, d.get("verdict"), Verdict.VERDICT_UNKNOWN),
            ip=IP.from_dict(as_dict(d.get("IP"))),
            l4=Layer4.from_dict(as_dict(d.get("l4"))),
            source=Endpoint.from_dict(as_dict(d.get("source"))),
            destination=Endpoint.from_dict(as_dict(d.get("destination"))),
            type=parse_enum(FlowType, d.get("Type"), FlowType.UNKNOWN_TYPE),
            node_name=str(d.get("node_name", "")),
            source_names=as_str_list(d.get("source_names")),
            destination_names=as_str_list(d.get("destination_names")),
            l7=Layer7.from_dict(as_dict(l7)) if l7 is not None else None,
            traffic_direction=parse_enum(
                TrafficDirection,
                d.get("traffic_direction"),
                TrafficDirection.TRAFFIC_DIRECTION_UNKNOWN,
            ),
            is_reply=None if is_reply is None else bool(is_reply),
            socket_cookie=as_int(d.get("socket_cookie")),
            bytes=Counters.from_dict(as_dict(opt["bytes"])) if opt["bytes"] is not None else None,
            packets=(
                Counters.from_dict(as_dict(opt["packets"])) if opt["packets"] is not None else None
            ),
            tcp=TCPStats.from_dict(as_dict(opt["tcp"])) if opt["tcp"] is not None else None,
            duration_ns=as_int(d.get("duration_ns")),
            state=parse_enum(ConnState, d.get("state"), ConnState.STATE_UNKNOWN),
        )
        # Keep only summaries that say more than the derived one, so that
        # Flow.from_dict(f.to_dict()) == f for collector-built flows.
        text = str(d.get("Summary", d.get("summary", "")))
        if text != build_summary(flow):
            flow.summary = text
        return flow


def protocol_of(flow: Flow) -> str:
    """"dns", "tcp", "udp" or "": what --protocol and the metrics' protocol label mean."""
    if flow.l7 is not None and flow.l7.dns is not None:
        return "dns"
    if flow.l4.TCP is not None:
        return "tcp"
    if flow.l4.UDP is not None:
        return "udp"
    return ""
