"""Kernel-free parts of the collector: record layout, DNS parsing, the DNS cache,
attribution helpers, the DuckDB store and the metrics' cardinality bounds."""

from __future__ import annotations

import json
import os
import struct
import time
import uuid
from pathlib import Path

import pytest

from beholder import bpf
from beholder.ebpf import open_object
from beholder.flows import dnsparse
from beholder.flows import kernel_records as kr
from beholder.flows.attribution import Attributor, systemd_unit
from beholder.flows.build import socket_flow
from beholder.flows.dnscache import DNSCache
from beholder.flows.enums import TrafficDirection
from beholder.flows.filters import FlowFilter
from beholder.flows.store import FlowStore
from beholder.server.metrics import FlowMetrics, MetricsConfig


def test_record_layout_matches_the_object() -> None:
    spec = open_object(bpf.path("flows"))
    try:
        maps = spec.maps
        assert maps["tcp_flows"].value_size == kr.SIZES["tcp_flow"]
        assert maps["udp_flows"].key_size == kr.SIZES["udp_key"]
        assert maps["udp_flows"].value_size == kr.SIZES["udp_flow"]
        assert maps["sk_owner"].value_size == kr.SIZES["flow_owner"]
        kr.check_layout({n: m.value_size for n, m in maps.items()})
    finally:
        spec.close()


def test_tcp_record_decodes_fields_in_order() -> None:
    owner = (7, 8, 1234, 1235, 0, 4026531840, b"curl".ljust(16, b"\0"))
    raw = kr.TCP_FLOW.pack(0xFFFF1, 99, 10, 20, 90, 100, 200, 3, 4, *owner,
                           bytes([10, 0, 0, 1]).ljust(16, b"\0"),
                           bytes([10, 0, 0, 2]).ljust(16, b"\0"), 5, 0x02 | 0x10 | 0x04, 1, 2,
                           40000, 80, kr.AF_INET, kr.DIR_EGRESS, kr.TCP_CLOSE, 2, 1)
    rec = kr.TcpRecord.decode(raw)
    assert (rec.sk, rec.cookie, rec.start_ns, rec.established_ns, rec.end_ns) == \
        (0xFFFF1, 99, 10, 20, 90)
    assert (rec.bytes_sent, rec.bytes_recv, rec.pkts_sent, rec.pkts_recv) == (100, 200, 3, 4)
    assert rec.owner is not None and rec.owner.pid == 1234 and rec.owner.comm == "curl"
    assert rec.owner.cgroup_id == 7 and rec.owner.netns == 4026531840
    assert (rec.local_ip, rec.remote_ip, rec.local_port, rec.remote_port) == \
        ("10.0.0.1", "10.0.0.2", 40000, 80)
    assert rec.retransmits == 5 and kr.flag_names(rec.flags) == ["SYN", "ACK", "RST"]
    assert (rec.resets_sent, rec.resets_recv) == (1, 2) and rec.closed


def test_dns_round_trip_with_cname_and_ttl() -> None:
    q = dnsparse.build_query("www.Example.com", ident=77)
    msg = dnsparse.parse(q)
    assert (msg.id, msg.response, msg.query, msg.qtypes) == (77, False, "www.example.com", ["A"])
    r = dnsparse.build_response(q, ["192.0.2.7", "2001:db8::7"], ttl=42,
                                cnames=["edge.example.net"])
    ans = dnsparse.parse(r)
    assert ans.response and ans.rcode == 0 and ans.id == 77
    assert ans.cnames == ["edge.example.net"]
    assert ans.ips == ["192.0.2.7", "2001:db8::7"]
    assert ans.ttl == 42 and ans.rrtypes == ["CNAME", "A", "AAAA"]
    nx = dnsparse.parse(dnsparse.build_response(q, [], rcode=3))
    assert nx.rcode == 3 and nx.ips == []


def test_dns_truncated_capture_keeps_the_question() -> None:
    q = dnsparse.build_query("a.example.org")
    full = dnsparse.build_response(q, [f"198.51.100.{i}" for i in range(40)])
    assert len(full) > kr.DNS_CAPTURE
    msg = dnsparse.parse(full[:kr.DNS_CAPTURE])
    assert msg.truncated and msg.query == "a.example.org"
    assert 0 < len(msg.ips) < 40


@pytest.mark.parametrize("raw", [
    b"", b"\x00" * 5,
    struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c",  # pointer to itself
    struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x3fabc",  # label past the end
    struct.pack("!HHHHHH", 1, 0, 9999, 0, 0, 0),
])
def test_dns_garbage_is_rejected(raw: bytes) -> None:
    with pytest.raises(dnsparse.DNSParseError):
        dnsparse.parse(raw)


def test_dns_cache_is_per_process_and_expires() -> None:
    cache = DNSCache(min_ttl_s=1.0)
    q = dnsparse.build_query("api.example.com", ident=5)
    r = dnsparse.parse(dnsparse.build_response(q, ["203.0.113.9"], ttl=0))
    tup = ("10.0.0.1", 5555, "10.0.0.53", 53)
    assert cache.latency(dnsparse.parse(q), tup, 1_000) == 0
    assert cache.latency(r, tup, 1_500) == 500
    cache.learn(42, r, now=100.0)
    assert cache.names(42, "203.0.113.9", now=100.5) == ["api.example.com."]
    assert cache.names(43, "203.0.113.9", now=100.5) == []
    assert cache.names(0, "203.0.113.9", now=100.5) == ["api.example.com."]
    assert cache.names(42, "203.0.113.9", now=101.5) == []
    assert cache.first_sighting(r, tup, 10) and not cache.first_sighting(r, tup, 20)


def test_attribution_of_this_process() -> None:
    a = Attributor()
    owner = kr.Owner(pid=os.getpid(), tid=os.getpid(), uid=os.getuid(), netns=1,
                     cgroup_id=0, ts_ns=0, comm="pytest")
    p = a.process(owner)
    assert p is not None and p.pid == os.getpid() and p.comm == "pytest"
    assert os.path.realpath(p.exe) == os.path.realpath(f"/proc/{os.getpid()}/exe")
    assert p.uid == os.getuid()
    assert a.process(None) is None
    assert systemd_unit("/system.slice/nginx.service") == "nginx.service"
    assert systemd_unit("/user.slice/user-0.slice/session-3.scope") == "session-3.scope"
    assert systemd_unit("/") == ""


def test_attribution_container_from_cgroup(tmp_path: Path) -> None:
    cid = "ab" * 32
    pod = "1b2c3d4e-1111-2222-3333-444455556666"
    leaf = tmp_path / "kubepods.slice" / f"kubepods-besteffort-pod{pod.replace('-', '_')}.slice" \
        / f"cri-containerd-{cid}.scope"
    leaf.mkdir(parents=True)
    a = Attributor(cgroup_root=str(tmp_path))
    owner = kr.Owner(pid=0x7FFFFFF0, tid=1, uid=0, netns=1, cgroup_id=leaf.stat().st_ino,
                     ts_ns=0, comm="app")
    p = a.process(owner)
    assert p is not None and p.cgroup_path.endswith(f"cri-containerd-{cid}.scope")
    assert p.container is not None and p.container.id == cid
    assert p.container.runtime is not None and p.container.runtime.value == "containerd"
    assert p.container.pod_uid == pod


def _flow(t: int, port: int, pid: int = 1):
    from beholder.flows.process import Process

    return socket_flow(time_ns=t, protocol="tcp", source_ip="10.0.0.1", source_port=40000,
                       destination_ip="10.0.0.2", destination_port=port,
                       direction=TrafficDirection.EGRESS, process=Process(pid=pid, comm="x"),
                       bytes_sent=1, bytes_received=2)


def test_store_query_filter_and_retention(tmp_path: Path) -> None:
    now = time.time_ns()
    with FlowStore(tmp_path, max_bytes=10**9, max_age_s=3600) as st:
        st.add([_flow(now - 7200 * 10**9, 1)])  # two hours old
        st.add([_flow(now - i * 10**9, 80 + i % 2) for i in range(300)])
        st.add([_flow(now, 443, pid=9)])
        assert st.count() == 302
        last = st.query(last=5)
        assert len(last) == 5 and last[-1].l4.TCP.destination_port == 443
        assert [f.time_ns for f in last] == sorted(f.time_ns for f in last)
        only81 = st.query(flt=FlowFilter.from_args([("--to-port", "81")]))
        assert len(only81) == 150
        assert st.query(flt=FlowFilter.from_args([("--pid", "9")]))[0].l4.TCP.destination_port \
            == 443
        assert st.query(since_ns=now - 10 * 10**9, until_ns=now - 5 * 10**9, last=None)
        assert st.enforce_retention(now) == 1  # the old one, by age
        st.max_bytes = st.stored_bytes() // 2
        deleted = st.enforce_retention(now)
        assert deleted > 0 and st.stored_bytes() <= st.max_bytes
        assert st.query(last=1)[0].l4.TCP.destination_port == 443  # newest survives


def test_metrics_cardinality_is_bounded() -> None:
    m = FlowMetrics(MetricsConfig(contexts=("process",), max_label_values=3))
    for port in range(10):
        m.observe(_flow(time.time_ns(), 1000 + port))
    text = m.render().decode()
    ports = {line.split('port="')[1].split('"')[0] for line in text.splitlines()
             if line.startswith("beholder_port_distribution_total{")}
    assert ports == {"1000", "1001", "1002", "other"}
    assert 'beholder_flows_processed_total{process="x",protocol="TCP"' in text
    with pytest.raises(ValueError):
        FlowMetrics(MetricsConfig(contexts=("pod",)))


def test_flow_uuid_is_uuid5_of_the_socket() -> None:
    from beholder.flows.collector import _NS_UUID, flow_uuid

    for name in ("tcp/ffff888104a1c000/123456789", "udp/2a/10.0.0.1/53/1", "", "é"):
        assert flow_uuid(name) == str(uuid.uuid5(_NS_UUID, name))


def test_metrics_count_what_was_observed_before_a_scrape() -> None:
    m = FlowMetrics()
    for port in (80, 80, 443):
        m.observe(_flow(time.time_ns(), port))
    text = m.render().decode()
    assert 'beholder_port_distribution_total{port="80",protocol="TCP"} 2.0' in text
    assert 'beholder_port_distribution_total{port="443",protocol="TCP"} 1.0' in text
    m.observe(_flow(time.time_ns(), 443))
    assert 'port="443",protocol="TCP"} 2.0' in m.render().decode()


def test_store_keeps_paths_that_are_not_utf8(tmp_path: Path) -> None:
    """os.readlink gives a lone surrogate for a non-UTF-8 byte; the store must take it."""
    from beholder.flows.process import Process

    odd = socket_flow(time_ns=time.time_ns(), protocol="tcp", source_ip="10.0.0.1",
                      source_port=1, destination_ip="10.0.0.2", destination_port=2,
                      direction=TrafficDirection.EGRESS,
                      process=Process(pid=5, comm="x", exe="/tmp/\udcff-tool"))
    plain = _flow(time.time_ns(), 80)
    plain.source.process.exe = "/usr/bin/café"  # type: ignore[union-attr]
    with FlowStore(tmp_path) as st:
        assert st.add([odd, plain]) == 2
        got = {f.l4.TCP.destination_port: f for f in st.query()}  # type: ignore[union-attr]
        assert got[2].source.process.exe == "/tmp/\udcff-tool"  # type: ignore[union-attr]
        assert got[80].source.process.exe == "/usr/bin/café"  # type: ignore[union-attr]
        # sizes are bytes: "é" is two; the surrogate is written escaped, six
        compact = {"separators": (",", ":")}
        assert st.stored_bytes() == (
            len(json.dumps(plain.to_dict(), ensure_ascii=False, **compact).encode())
            + len(json.dumps(odd.to_dict(), **compact)))  # type: ignore[arg-type]


def test_agent_counts_a_batch_the_store_refuses_and_keeps_writing(tmp_path: Path) -> None:
    from beholder.server.agent import Agent, AgentConfig

    agent = Agent(AgentConfig(data_dir=tmp_path, profile_frequency=0))
    try:
        agent._on_flow(_flow(time.time_ns(), 80))
        agent.store.close()  # the database goes away under the writer
        agent.flush()
        assert agent.lost()["store"] == 1 and agent.store_error
        agent.store = FlowStore(tmp_path)
        agent._on_flow(_flow(time.time_ns(), 443))
        agent.flush()
        assert [f.l4.TCP.destination_port for f in agent.store.query()] == [443]
    finally:
        agent.store.close()
