"""Property tests: any Flow survives JSON, and every renderer accepts it."""

from __future__ import annotations

import json
from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from beholder.flows import (
    DNS,
    IP,
    TCP,
    UDP,
    ConnState,
    Container,
    ContainerRuntime,
    Counters,
    Endpoint,
    Flow,
    FlowType,
    L7FlowType,
    Layer4,
    Layer7,
    Process,
    TCPFlags,
    TCPStats,
    TrafficDirection,
    Verdict,
)
from beholder.flows.render import get_renderer

u16 = st.integers(0, 65535)
u32 = st.integers(0, 2**32 - 1)
u63 = st.integers(0, 2**63 - 1)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
ips = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)

containers = st.builds(
    Container,
    id=st.text("0123456789abcdef", max_size=64),
    runtime=st.none() | st.sampled_from(ContainerRuntime),
    name=text,
    pod_uid=text,
)
processes = st.builds(
    Process,
    pid=u32,
    tid=u32,
    comm=text,
    exe=text,
    uid=st.none() | u32,
    cgroup_id=u63,
    cgroup_path=text,
    container=st.none() | containers,
    netns=u32,
)
endpoints = st.builds(
    Endpoint,
    id=u32,
    identity=u32,
    namespace=text,
    labels=st.lists(text, max_size=3),
    pod_name=text,
    process=st.none() | processes,
)
flags = st.builds(TCPFlags, **{n: st.booleans() for n in ("SYN", "ACK", "RST", "FIN", "PSH")})
layer4 = st.one_of(
    st.just(Layer4()),
    st.builds(lambda s, d, f: Layer4(TCP=TCP(s, d, f)), u16, u16, flags),
    st.builds(lambda s, d: Layer4(UDP=UDP(s, d)), u16, u16),
)
dns = st.builds(
    DNS,
    query=text,
    ips=st.lists(ips, max_size=2),
    ttl=u32,
    cnames=st.lists(text, max_size=2),
    observation_source=text,
    rcode=st.integers(0, 15),
    qtypes=st.lists(st.sampled_from(["A", "AAAA", "CNAME"]), max_size=2),
)
layer7 = st.builds(Layer7, type=st.sampled_from(L7FlowType), latency_ns=u63, dns=st.none() | dns)
counters = st.builds(Counters, sent=u63, received=u63)
flows = st.builds(
    Flow,
    time_ns=st.integers(0, 4_000_000_000 * 10**9),
    uuid=text,
    verdict=st.sampled_from(Verdict),
    ip=st.builds(IP, source=ips, destination=ips) | st.just(IP()),
    l4=layer4,
    source=endpoints,
    destination=endpoints,
    type=st.sampled_from(FlowType),
    node_name=text,
    source_names=st.lists(text, max_size=2),
    destination_names=st.lists(text, max_size=2),
    l7=st.none() | layer7,
    traffic_direction=st.sampled_from(TrafficDirection),
    is_reply=st.none() | st.booleans(),
    summary=text,
    socket_cookie=u63,
    bytes=st.none() | counters,
    packets=st.none() | counters,
    tcp=st.none() | st.builds(TCPStats, retransmits=u32, resets=u32),
    duration_ns=u63,
    state=st.sampled_from(ConnState),
)


@settings(max_examples=60, deadline=None)
@given(flows)
def test_any_flow_round_trips(flow: Flow) -> None:
    d = flow.to_dict()
    again = Flow.from_dict(json.loads(json.dumps(d)))
    assert again.to_dict() == d


@settings(max_examples=40, deadline=None)
@given(flows)
def test_renderers_accept_any_flow(flow: Flow) -> None:
    for name in ("compact", "json", "table"):
        line = get_renderer(name, tz=UTC).flow(flow)
        # One flow is one line, with nothing a terminal would interpret.
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line), line
