"""Hubble-style filters: OR within a flag, AND across flags, --not on the next flag only."""

from __future__ import annotations

import flow_samples as samples
import pytest

from beholder.flows import FilterError, Flow, FlowFilter, extract_filter_args

FLOWS = {
    "tcp_closed": samples.tcp_closed(),
    "tcp_refused": samples.tcp_refused(),
    "udp": samples.udp(),
    "dns_query": samples.dns_query(),
    "dns_answer": samples.dns_answer(),
    "ipv6_ingress": samples.ipv6_ingress(),
    "container": samples.container_flow(),
}
ALL = set(FLOWS)


def selected(*pairs: tuple[str, str | None]) -> set[str]:
    f = FlowFilter.from_args(pairs)
    return {name for name, flow in FLOWS.items() if f.matches(flow)}


def test_empty_filter_matches_everything() -> None:
    assert selected() == ALL
    assert not FlowFilter()


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("--pid", "1234")], {"tcp_closed", "tcp_refused", "dns_query", "dns_answer"}),
        ([("--comm", "nginx")], {"ipv6_ingress"}),
        ([("--comm", "ch*")], {"udp"}),
        ([("--container", "3f2a1b")], {"container"}),
        ([("--container", "api")], {"container"}),
        ([("--container", "3F2A1B")], {"container"}),
        ([("--ip", "10.0.0.53")], {"dns_query", "dns_answer"}),
        ([("--from-ip", "10.0.0.53")], {"dns_answer"}),
        ([("--to-ip", "10.0.0.53")], {"dns_query"}),
        ([("--ip", "10.96.0.0/12")], {"container"}),
        ([("--ip", "10.0.0.5/30")], set()),  # host bits allowed: 10.0.0.4/30
        ([("--ip", "2001:db8::/32")], {"ipv6_ingress"}),
        ([("--from-ip", "2001:db8::1")], {"ipv6_ingress"}),
        ([("--to-ip", "2001:db8::1")], set()),
        ([("--port", "123")], {"udp"}),
        ([("--from-port", "53")], {"dns_answer"}),
        ([("--to-port", "53")], {"dns_query"}),
        ([("--protocol", "udp")], {"udp", "dns_query", "dns_answer"}),
        ([("--protocol", "TCP")], {"tcp_closed", "tcp_refused", "ipv6_ingress", "container"}),
        ([("--protocol", "dns")], {"dns_query", "dns_answer"}),
        ([("--verdict", "forwarded")], ALL),
        ([("--verdict", "DROPPED")], set()),
        ([("--type", "l7")], {"dns_query", "dns_answer"}),
        ([("--type", "L3_L4")], ALL - {"dns_query", "dns_answer"}),
        ([("--type", "trace")], ALL - {"dns_query", "dns_answer"}),
        ([("--type", "sock")], set()),
        ([("--fqdn", "example.com")], {"tcp_closed", "dns_query", "dns_answer"}),
        ([("--fqdn", "*.com")], {"tcp_closed", "dns_query", "dns_answer"}),
        ([("--fqdn", "*.local")], {"dns_answer"}),
        ([("--fqdn", "*.example.com")], set()),  # '*' needs a label; no bare example.com
        ([("--to-fqdn", "EXAMPLE.COM.")], {"tcp_closed"}),
        ([("--from-fqdn", "dns.local")], {"dns_answer"}),
        ([("--tcp-flags", "SYN,RST")], {"tcp_refused"}),
        ([("--tcp-flags", "syn")], {"tcp_closed", "tcp_refused", "ipv6_ingress", "container"}),
        ([("--tcp-flags", "PSH")], {"container"}),
        ([("--traffic-direction", "ingress")], {"dns_answer", "ipv6_ingress"}),
        ([("--traffic-direction", "EGRESS")], ALL - {"dns_answer", "ipv6_ingress"}),
        ([("pid", "612")], {"udp"}),  # flags may be given without dashes (JSON, config)
    ],
)
def test_single_flags(pairs: list[tuple[str, str | None]], expected: set[str]) -> None:
    assert selected(*pairs) == expected


def test_same_flag_is_ored() -> None:
    assert selected(("--port", "123"), ("--port", "443")) == {"udp", "ipv6_ingress"}
    assert selected(("--tcp-flags", "RST"), ("--tcp-flags", "PSH")) == {"tcp_refused", "container"}


def test_different_flags_are_anded() -> None:
    assert selected(("--pid", "1234"), ("--protocol", "tcp")) == {"tcp_closed", "tcp_refused"}
    assert selected(("--pid", "1234"), ("--port", "123")) == set()


def test_not_negates_next_flag_only() -> None:
    got = selected(("--pid", "1234"), ("--not", None), ("--port", "53"), ("--protocol", "tcp"))
    assert got == {"tcp_closed", "tcp_refused"}
    got = selected(("--not", None), ("--protocol", "tcp"), ("--pid", "1234"))
    assert got == {"dns_query", "dns_answer"}


def test_repeated_not_excludes_each() -> None:
    got = selected(("--not", None), ("--port", "53"), ("--not", None), ("--port", "123"))
    assert got == {"tcp_closed", "tcp_refused", "ipv6_ingress", "container"}


def test_positive_or_with_negation() -> None:
    got = selected(
        ("--port", "53"), ("--port", "80"), ("--not", None), ("--traffic-direction", "ingress")
    )
    assert got == {"tcp_closed", "dns_query"}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("--ip", "10.0.0.300")], "invalid --ip '10.0.0.300': not an IP address or CIDR"),
        ([("--to-ip", "10.0.0.0/33")], "invalid --to-ip '10.0.0.0/33': not an IP address or CIDR"),
        ([("--port", "70000")], "invalid --port '70000': not a port number (0-65535)"),
        ([("--from-port", "http")], "invalid --from-port 'http': not a port number (0-65535)"),
        ([("--pid", "-1")], "invalid --pid '-1': not a process id"),
        ([("--protocol", "sctp")], "invalid --protocol 'sctp': expected tcp, udp or dns"),
        (
            [("--verdict", "ok")],
            "invalid --verdict 'ok': expected FORWARDED, DROPPED, AUDIT or ERROR",
        ),
        ([("--type", "http")], "invalid --type 'http': expected L3_L4, L7 or SOCK"),
        (
            [("--traffic-direction", "up")],
            "invalid --traffic-direction 'up': expected ingress or egress",
        ),
        ([("--tcp-flags", "SYN,FOO")], "invalid --tcp-flags 'SYN,FOO': unknown TCP flag 'FOO'"),
        ([("--tcp-flags", ",")], "invalid --tcp-flags ',': no TCP flags given (e.g. SYN,ACK)"),
        (
            [("--fqdn", "exa mple.com")],
            "invalid --fqdn 'exa mple.com': not a domain name or *-pattern",
        ),
        ([("--bogus", "1")], "unknown filter flag '--bogus'"),
        ([("--port", None)], "--port needs a value"),
        ([("--port", "53"), ("--not", None)], "--not must be followed by a filter flag"),
        (
            [("--not", None), ("--not", None), ("--port", "1")],
            "--not cannot be repeated; it negates the next filter flag",
        ),
    ],
)
def test_invalid_filters(pairs: list[tuple[str, str | None]], message: str) -> None:
    with pytest.raises(FilterError) as exc:
        FlowFilter.from_args(pairs)
    assert str(exc.value) == message
    assert "\n" not in str(exc.value)


def test_json_round_trip() -> None:
    f = FlowFilter.from_args(
        [("--pid", "12"), ("--not", None), ("--port", "53"), ("--ip", "10.0.0.0/8")]
    )
    assert f.to_dict() == {
        "version": 1,
        "filters": [
            {"flag": "--pid", "value": "12"},
            {"flag": "--port", "value": "53", "not": True},
            {"flag": "--ip", "value": "10.0.0.0/8"},
        ],
    }
    assert FlowFilter.from_json(f.to_json()) == f
    assert FlowFilter.from_json(f.to_dict()) == f
    assert FlowFilter.from_args(f.to_args()) == f
    assert str(f) == "--pid 12 --not --port 53 --ip 10.0.0.0/8"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{", "invalid filter JSON"),
        ('{"filters": []}', "version 1"),
        ('{"version": 1, "filters": {}}', "'filters' must be a list"),
        ('{"version": 1, "filters": [{"value": "1"}]}', "bad term"),
        ('{"version": 1, "filters": [{"flag": "--ip", "value": "x"}]}', "invalid --ip 'x'"),
        ('{"version": 1, "filters": [{"flag": "--nope", "value": "x"}]}', "unknown filter flag"),
    ],
)
def test_from_json_validates(data: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        FlowFilter.from_json(data)


def test_extract_filter_args_keeps_order() -> None:
    argv = [
        "observe",
        "--since",
        "5m",
        "--pid=12",
        "--not",
        "--port",
        "53",
        "-o",
        "json",
        "--ip",
        "10.0.0.1",
        "--",
        "--port",
        "80",
    ]
    assert extract_filter_args(argv) == [
        ("--pid", "12"),
        ("--not", None),
        ("--port", "53"),
        ("--ip", "10.0.0.1"),
    ]
    with pytest.raises(FilterError, match="--port needs a value"):
        extract_filter_args(["--port"])


def test_filter_is_callable_and_handles_bare_flows() -> None:
    f = FlowFilter.from_args(
        [
            ("--ip", "10.0.0.1"),
            ("--port", "80"),
            ("--fqdn", "x.com"),
            ("--pid", "1"),
            ("--container", "abc"),
            ("--tcp-flags", "SYN"),
        ]
    )
    assert f(Flow()) is False
    assert FlowFilter.from_args([("--not", None), ("--ip", "10.0.0.1")])(Flow()) is True


def test_from_json_rejects_non_bool_not() -> None:
    with pytest.raises(FilterError, match="bad term"):
        FlowFilter.from_json(
            '{"version": 1, "filters": [{"flag": "--pid", "value": "1", "not": "false"}]}'
        )


def test_kubernetes_filters() -> None:
    from beholder.flows.endpoint import Workload

    pod = samples.container_flow()
    pod.source.namespace, pod.source.pod_name = "shop", "web-7d4b9c8f5-x2v9q"
    pod.source.labels = [*pod.source.labels, "k8s:app=web",
                         "k8s:io.kubernetes.pod.namespace=shop"]
    pod.source.workloads = [Workload(name="web", kind="Deployment")]
    flows = {"pod": pod, "host": samples.tcp_closed()}

    def sel(*pairs: tuple[str, str | None]) -> set[str]:
        f = FlowFilter.from_args(pairs)
        return {name for name, flow in flows.items() if f.matches(flow)}

    assert sel(("--namespace", "shop")) == {"pod"}
    assert sel(("--namespace", "default")) == set()
    assert sel(("--pod", "web-")) == {"pod"}
    assert sel(("--pod", "shop/web")) == {"pod"}
    assert sel(("--pod", "other/web")) == set()
    assert sel(("--label", "app=web")) == {"pod"}
    assert sel(("--label", "k8s:app=web")) == {"pod"}
    assert sel(("--label", "app")) == {"pod"}
    assert sel(("--label", "app=api")) == set()
    assert sel(("--label", "comm=curl")) == {"host"}
    assert sel(("--not", None), ("--namespace", "shop")) == {"host"}
    for pairs, message in (
            ([("--pod", "shop/")], "invalid --pod 'shop/': expected [namespace/]pod-name"),
            ([("--namespace", "a/b")], "invalid --namespace 'a/b': not a Kubernetes namespace"),
            ([("--label", "=x")], "invalid --label '=x': expected key=value or key")):
        with pytest.raises(FilterError, match=None) as exc:
            FlowFilter.from_args(pairs)
        assert str(exc.value) == message
