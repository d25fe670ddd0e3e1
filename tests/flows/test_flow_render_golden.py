"""Golden output of the three renderers for the fixed sample flows (UTC, fixed times)."""

from __future__ import annotations

import json
import os
from datetime import UTC
from pathlib import Path

import flow_samples as samples
import pytest

from beholder.flows import Flow, LostEvent
from beholder.flows.render import get_renderer, parse_response

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("BEHOLDER_UPDATE_GOLDEN") == "1"


def _render(name: str, streaming: bool = False) -> str:
    r = get_renderer(name, tz=UTC)
    flows = samples.all_flows()
    if streaming:
        head = r.header()
        lines = ([head] if head is not None else []) + [r.flow(f) for f in flows]
    else:
        lines = r.batch(flows)
    lines.append(r.lost(samples.lost_event()))
    lines.append(r.closing(len(flows), samples.lost_event().num_events_lost))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("name", "streaming", "golden"),
    [
        ("compact", False, "compact.txt"),
        ("json", False, "json.txt"),
        ("table", False, "table.txt"),
        ("table", True, "table_stream.txt"),
    ],
)
def test_golden(name: str, streaming: bool, golden: str) -> None:
    got = _render(name, streaming)
    path = GOLDEN / golden
    if UPDATE:
        path.write_text(got)
    assert got == path.read_text()


def test_compact_is_batch_of_lines() -> None:
    r = get_renderer("compact", tz=UTC)
    flows = samples.all_flows()
    assert r.header() is None
    assert r.batch(flows) == [r.flow(f) for f in flows]


def test_json_lines_parse_back() -> None:
    r = get_renderer("json")
    for flow in samples.all_flows():
        line = r.flow(flow)
        obj = json.loads(line)
        assert set(obj) == {"flow", "node_name", "time"}
        assert obj["time"] == obj["flow"]["time"]
        assert parse_response(line) == flow
    lost = parse_response(r.lost(samples.lost_event()))
    assert isinstance(lost, LostEvent)
    assert lost == samples.lost_event()


def test_json_ignores_tz() -> None:
    from datetime import timedelta, timezone

    flow = samples.tcp_closed()
    tz = timezone(timedelta(hours=5))
    assert get_renderer("json", tz=tz).flow(flow) == get_renderer("json", tz=UTC).flow(flow)


def test_streaming_table_columns_align() -> None:
    r = get_renderer("table", tz=UTC)
    header = r.header()
    assert header is not None
    start = header.index("DESTINATION")
    for flow in (samples.tcp_closed(), samples.udp(), samples.tcp_refused()):
        line = r.flow(flow)
        assert line[start - 2 : start] == "  " and line[start] != " "


def test_table_batch_sizes_columns_to_content() -> None:
    lines = get_renderer("table", tz=UTC).batch(samples.all_flows())
    starts = {line.index("FORWARDED") for line in lines[1:]}
    assert starts == {lines[0].index("VERDICT")}


def test_compact_reply_flips_arrow() -> None:
    line = get_renderer("compact", tz=UTC).flow(samples.dns_answer())
    assert "10.0.0.1:53211 (curl/1234) <- 10.0.0.53:53 (dns.local)" in line


def test_compact_names_and_container() -> None:
    r = get_renderer("compact", tz=UTC)
    assert "93.184.216.34:80 (example.com)" in r.flow(samples.tcp_closed())
    assert "(python3/4242@3f2a1b9c8d7e)" in r.flow(samples.container_flow())
    assert "[2001:db8::2]:443 (nginx/999)" in r.flow(samples.ipv6_ingress())


def test_compact_minimal_flow() -> None:
    flow = Flow(time_ns=samples.T0)
    assert (
        get_renderer("compact", tz=UTC).flow(flow) == "Nov 25 19:20:01.123: ? -> ? L3_L4 FORWARDED"
    )


def test_closing_summary_wording() -> None:
    from beholder.flows.render import closing_summary

    assert closing_summary(42, 0) == "Shown 42 flows, lost 0 events"
    assert closing_summary(1, 1) == "Shown 1 flow, lost 1 event"


def test_unknown_renderer() -> None:
    with pytest.raises(
        ValueError, match="unknown output 'yaml': choose one of compact, json, table"
    ):
        get_renderer("yaml")
    assert get_renderer("JSONPB").name == "json"


def test_untrusted_text_is_escaped() -> None:
    flow = samples.dns_query()
    assert flow.l7 is not None and flow.l7.dns is not None
    flow.l7.dns.query = "evil.\n\x1b[2Jexample."
    line = get_renderer("compact", tz=UTC).flow(flow)
    assert "\n" not in line and "\x1b" not in line
    assert "evil.\\x0a\\x1b[2Jexample." in line
    out = get_renderer("json").flow(flow)
    assert "\x1b" not in out and "\\u001b" in out
