"""Flow value model: Hubble JSON names, proto3 omission rules, exact round trips."""

from __future__ import annotations

import json

import flow_samples as samples
import pytest

from beholder.flows import (
    IP,
    ConnState,
    Counters,
    Endpoint,
    Flow,
    FlowType,
    IPVersion,
    Layer4,
    LostEvent,
    LostEventSource,
    Process,
    TCPFlags,
    TrafficDirection,
    Verdict,
    build_summary,
)
from beholder.flows.dns import DNS, Layer7
from beholder.flows.enums import L7FlowType
from beholder.flows.l3l4 import TCP, UDP
from beholder.flows.timestamps import format_rfc3339_ns, parse_rfc3339_ns


@pytest.mark.parametrize("flow", samples.all_flows(), ids=lambda f: f.uuid[-1])
def test_round_trip_is_exact(flow: Flow) -> None:
    d = flow.to_dict()
    again = Flow.from_dict(json.loads(json.dumps(d)))
    assert again == flow
    assert again.to_dict() == d


def test_hubble_field_names() -> None:
    d = samples.tcp_closed().to_dict()
    for key in (
        "time",
        "uuid",
        "verdict",
        "IP",
        "l4",
        "source",
        "Type",
        "node_name",
        "destination_names",
        "traffic_direction",
        "is_reply",
        "Summary",
        "socket_cookie",
    ):
        assert key in d, key
    assert d["IP"] == {"source": "10.0.0.1", "destination": "93.184.216.34", "ipVersion": "IPv4"}
    assert d["l4"]["TCP"]["flags"] == {"SYN": True, "ACK": True, "FIN": True}
    assert d["l4"]["TCP"]["source_port"] == 43210
    assert d["Type"] == "L3_L4" and d["verdict"] == "FORWARDED"
    assert d["time"] == "2026-11-25T19:20:01.123456789Z"
    # uint64 fields follow the protobuf JSON mapping (decimal strings)
    assert d["socket_cookie"] == "4097"
    dns = samples.dns_answer().to_dict()
    assert dns["l7"]["latency_ns"] == "1500000"
    assert set(dns["l7"]["dns"]) == {
        "query",
        "ips",
        "ttl",
        "observation_source",
        "qtypes",
        "rrtypes",
    }


def test_empty_fields_are_omitted() -> None:
    d = Flow().to_dict()
    # Defaults: FORWARDED + L3_L4 are set; nothing else is.
    assert d == {"verdict": "FORWARDED", "Type": "L3_L4"}
    zero = Flow(verdict=Verdict.VERDICT_UNKNOWN, type=FlowType.UNKNOWN_TYPE)
    assert zero.to_dict() == {}
    assert Flow.from_dict({}) == zero


def test_wrappers_print_false_and_zero() -> None:
    flow = Flow(is_reply=False, bytes=Counters(0, 0))
    d = flow.to_dict()
    assert d["is_reply"] is False
    assert d["bytes"] == {"sent": 0, "received": 0}
    root = Endpoint(process=Process(pid=1, comm="init", uid=0))
    assert root.to_dict()["process"]["uid"] == 0
    assert "uid" not in Endpoint(process=Process(pid=1)).to_dict()["process"]


def test_from_dict_accepts_hubble_json() -> None:
    hubble = {
        "time": "2023-03-01T10:00:00.5Z",
        "verdict": "DROPPED",
        "IP": {"source": "10.0.0.1", "destination": "10.0.0.2", "ipVersion": "IPv4"},
        "l4": {"TCP": {"source_port": 1, "destination_port": 2, "flags": {"SYN": True}}},
        "source": {
            "ID": 12,
            "identity": 3,
            "namespace": "default",
            "labels": ["k8s:app=a"],
            "pod_name": "a-1",
            "workloads": [{"name": "a", "kind": "Deployment"}],
        },
        "Type": "L3_L4",
        "node_name": "kind-worker",
        "event_type": {"type": 4},  # unknown to us: ignored
        "traffic_direction": "INGRESS",
        "is_reply": False,
        "Summary": "TCP Flags: SYN",
    }
    flow = Flow.from_dict(hubble)
    assert flow.time_ns == parse_rfc3339_ns("2023-03-01T10:00:00.500Z")
    assert flow.verdict is Verdict.DROPPED
    assert flow.source.id == 12 and flow.source.workloads[0].kind == "Deployment"
    assert flow.summary == ""  # equal to the derived one, so not stored
    assert flow.to_dict()["source"] == hubble["source"]


def test_custom_summary_survives() -> None:
    flow = Flow(summary="custom")
    assert Flow.from_dict(flow.to_dict()).summary == "custom"


def test_ip_version_derived_and_unmapped() -> None:
    assert IP("fd00::1", "fd00::2").ip_version is IPVersion.IPv6
    ip = IP.of("::ffff:10.0.0.1", "10.0.0.2")
    assert ip.source == "10.0.0.1" and ip.ip_version is IPVersion.IPv4
    with pytest.raises(ValueError):
        IP.of("nope", "10.0.0.1")


def test_layer4_oneof() -> None:
    with pytest.raises(ValueError, match="oneof"):
        Layer4(TCP=TCP(), UDP=UDP())
    assert Layer4(TCP=TCP()).to_dict() == {"TCP": {}}
    assert Layer4.from_dict({"TCP": {}}) == Layer4(TCP=TCP())


def test_tcp_flags() -> None:
    flags = TCPFlags.from_names(["ack", " SYN "])
    assert flags.names() == ["SYN", "ACK"]
    assert flags.covers(TCPFlags(SYN=True))
    assert not TCPFlags(SYN=True).covers(flags)
    with pytest.raises(ValueError, match="unknown TCP flag 'XYZ'"):
        TCPFlags.from_names(["XYZ"])


def test_summaries() -> None:
    assert build_summary(samples.tcp_refused()) == "TCP Flags: SYN, RST"
    assert build_summary(samples.udp()) == "UDP"
    assert build_summary(samples.dns_query()) == "DNS Query example.com. A"
    assert build_summary(Flow(l4=Layer4(TCP=TCP()))) == "TCP"
    assert build_summary(Flow(ip=IP("fd00::1", "fd00::2"))) == "IPv6"
    proxy = Layer7(
        type=L7FlowType.RESPONSE,
        dns=DNS(
            query="example.com.", ips=["10.0.0.2"], ttl=30, qtypes=["A"], observation_source="proxy"
        ),
    )
    assert build_summary(Flow(l7=proxy)) == 'DNS Answer "10.0.0.2" TTL: 30 (Proxy example.com. A)'
    nx = Layer7(type=L7FlowType.RESPONSE, dns=DNS(query="nope.example.", rcode=3, qtypes=["AAAA"]))
    assert build_summary(Flow(l7=nx)) == "DNS Answer RCode: NXDOMAIN (Query nope.example. AAAA)"
    cname = Layer7(
        type=L7FlowType.RESPONSE,
        dns=DNS(
            query="www.example.", ips=["10.0.0.3"], ttl=5, cnames=["cdn.example."], qtypes=["A"]
        ),
    )
    assert build_summary(Flow(l7=cname)) == (
        'DNS Answer "10.0.0.3" TTL: 5 CNAMEs: "cdn.example." (Query www.example. A)'
    )


def test_owner_side() -> None:
    assert samples.tcp_closed().owner().process == samples.CURL
    assert samples.ipv6_ingress().owner().process == samples.NGINX
    assert samples.dns_answer().owner().process == samples.CURL


def test_flow_time_views() -> None:
    flow = samples.tcp_closed()
    assert flow.time == "2026-11-25T19:20:01.123456789Z"
    assert flow.datetime.isoformat() == "2026-11-25T19:20:01.123456+00:00"


def test_state_and_extensions_round_trip() -> None:
    flow = samples.tcp_refused()
    d = flow.to_dict()
    assert d["state"] == "REFUSED"
    assert d["tcp"] == {"resets": 1}
    assert Flow.from_dict(d).state is ConnState.REFUSED


def test_lost_event() -> None:
    ev = LostEvent(source=LostEventSource.OBSERVER_EVENTS_QUEUE, num_events_lost=3, cpu=0)
    assert ev.to_dict() == {"source": "OBSERVER_EVENTS_QUEUE", "num_events_lost": "3", "cpu": 0}
    assert LostEvent.from_dict(ev.to_dict()) == ev
    assert LostEvent.from_dict({"num_events_lost": 5}).cpu is None


def test_bad_enum_rejected() -> None:
    with pytest.raises(ValueError, match="unknown Verdict 'MAYBE'"):
        Flow.from_dict({"verdict": "MAYBE"})


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:01.5Z", 1_500_000_000),
        ("1970-01-01T01:00:00+01:00", 0),
        ("1969-12-31T23:00:00-01:00", 0),
        ("2026-11-25T19:20:01.000000001Z", 1795634401_000_000_001),
    ],
)
def test_rfc3339(text: str, ns: int) -> None:
    assert parse_rfc3339_ns(text) == ns
    assert parse_rfc3339_ns(format_rfc3339_ns(ns)) == ns


def test_rfc3339_format_is_fixed_width() -> None:
    assert format_rfc3339_ns(0) == "1970-01-01T00:00:00.000000000Z"


def test_direction_enum_values() -> None:
    assert (
        Flow(traffic_direction=TrafficDirection.INGRESS).to_dict()["traffic_direction"] == "INGRESS"
    )
