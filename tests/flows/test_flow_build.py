"""Builders, process labels and cgroup parsing used by collectors."""

from __future__ import annotations

import flow_samples as samples
import pytest

from beholder.flows import (
    ConnState,
    Container,
    ContainerRuntime,
    FlowType,
    L7FlowType,
    Process,
    TrafficDirection,
    container_from_cgroup_path,
    dns_flow,
    process_labels,
    socket_flow,
)
from beholder.flows.render.text import human_bytes, human_duration, stamp

CID = "a" * 64


def test_socket_flow_places_owner_by_direction() -> None:
    out = samples.tcp_closed()
    assert out.source.process == samples.CURL and out.destination.process is None
    inn = samples.ipv6_ingress()
    assert inn.destination.process == samples.NGINX and inn.source.process is None
    assert inn.source.labels == [] and inn.destination.labels == ["comm=nginx", "uid=33"]


def test_socket_flow_optional_counters() -> None:
    f = socket_flow(
        time_ns=1,
        protocol="udp",
        source_ip="10.0.0.1",
        source_port=1,
        destination_ip="10.0.0.2",
        destination_port=2,
        direction=TrafficDirection.EGRESS,
        flow_uuid="u",
    )
    assert f.bytes is None and f.packets is None and f.tcp is None
    assert f.state is ConnState.STATE_UNKNOWN
    assert f.uuid == "u"
    generated = socket_flow(
        time_ns=1,
        protocol="TCP",
        source_ip="10.0.0.1",
        source_port=1,
        destination_ip="10.0.0.2",
        destination_port=2,
        direction=TrafficDirection.EGRESS,
    )
    assert len(generated.uuid) == 36 and generated.l4.TCP is not None


def test_socket_flow_rejects_unknown_protocol() -> None:
    with pytest.raises(ValueError, match="unsupported protocol 'icmp'"):
        socket_flow(
            time_ns=1,
            protocol="icmp",
            source_ip="10.0.0.1",
            source_port=0,
            destination_ip="10.0.0.2",
            destination_port=0,
            direction=TrafficDirection.EGRESS,
        )


def test_dns_flow() -> None:
    q = samples.dns_query()
    assert q.type is FlowType.L7 and q.l7 is not None and q.l7.dns is not None
    assert q.l7.type is L7FlowType.REQUEST and q.l7.dns.query == "example.com."
    assert q.is_reply is False and q.l7.latency_ns == 0
    a = samples.dns_answer()
    assert a.is_reply is True and a.l7 is not None and a.l7.latency_ns == 1_500_000
    base = samples.tcp_closed()
    converted = dns_flow(base=base, response=False, query="x.example.")
    assert converted.bytes is None and converted.state is ConnState.STATE_UNKNOWN
    assert base.bytes is not None  # the skeleton is not modified


def test_process_labels() -> None:
    assert process_labels(Process(pid=1, comm="curl")) == ["comm=curl"]
    assert process_labels(samples.PY) == [
        "comm=python3",
        "uid=0",
        "container=3f2a1b9c8d7e",
        "container_name=api",
        "runtime=docker",
    ]


def test_process_label_text() -> None:
    assert Process(pid=7, comm="x").label() == "x/7"
    assert Process(exe="/usr/bin/python3").label() == "python3"
    assert Process().label() == "?"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/user.slice/user-1000.slice/session-3.scope", None),
        ("/", None),
        (f"/system.slice/docker-{CID}.scope", Container(CID, ContainerRuntime.DOCKER)),
        (f"/docker/{CID}", Container(CID, ContainerRuntime.DOCKER)),
        (f"/machine.slice/libpod-{CID}.scope/container", Container(CID, ContainerRuntime.PODMAN)),
        (f"/system.slice/crio-{CID}.scope", Container(CID, ContainerRuntime.CRIO)),
        (
            "/machine.slice/systemd-nspawn@web.service/payload",
            Container(name="web", runtime=ContainerRuntime.SYSTEMD),
        ),
        (
            "/kubepods.slice/kubepods-burstable.slice/"
            "kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901.slice/"
            f"cri-containerd-{CID}.scope",
            Container(
                CID, ContainerRuntime.CONTAINERD, pod_uid="1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901"
            ),
        ),
        (
            f"/kubepods/besteffort/pod1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901/{CID}",
            Container(CID, None, pod_uid="1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901"),
        ),
    ],
)
def test_container_from_cgroup_path(path: str, expected: Container | None) -> None:
    assert container_from_cgroup_path(path) == expected


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (1234, "1.2 kB"),
        (9960, "10 kB"),
        (45678, "46 kB"),
        (999_499, "999 kB"),
        (999_500, "1.0 MB"),
        (2_500_000, "2.5 MB"),
        (10**15, "1.0 PB"),
    ],
)
def test_human_bytes(n: int, text: str) -> None:
    assert human_bytes(n) == text


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (850, "850ns"),
        (42_000, "42us"),
        (1_200_000, "1.2ms"),
        (12_300_000, "12ms"),
        (3_400_000_000, "3.4s"),
        (59_000_000_000, "59s"),
        (123_000_000_000, "2m3s"),
        (3_720_000_000_000, "1h2m"),
    ],
)
def test_human_duration(ns: int, text: str) -> None:
    assert human_duration(ns) == text


def test_stamp_pads_day() -> None:
    from datetime import UTC

    from beholder.flows.timestamps import parse_rfc3339_ns

    assert stamp(parse_rfc3339_ns("2026-03-05T01:02:03.004Z"), UTC) == "Mar  5 01:02:03.004"


def test_kernel_value_helpers() -> None:
    from beholder.flows import TCPFlags, orient

    assert TCPFlags.from_bits(0x12).names() == ["SYN", "ACK"]
    assert TCPFlags.from_bits(0x104).names() == ["RST", "NS"]
    local, remote = ("10.0.0.1", 80), ("10.0.0.9", 50000)
    assert orient(TrafficDirection.INGRESS, local, remote) == (remote, local)
    assert orient(TrafficDirection.EGRESS, local, remote) == (local, remote)


def test_socket_flow_accepts_flag_bits() -> None:
    f = socket_flow(
        time_ns=1,
        protocol="tcp",
        source_ip="10.0.0.1",
        source_port=1,
        destination_ip="10.0.0.2",
        destination_port=2,
        direction=TrafficDirection.EGRESS,
        tcp_flags=0x06,
    )
    assert f.summary_text() == "TCP Flags: SYN, RST"
