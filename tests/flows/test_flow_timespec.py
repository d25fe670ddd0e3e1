"""--since/--until specs and durations, against a fixed 'now'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from beholder.flows import TimeSpecError, parse_duration, parse_time_range, parse_time_spec

NOW = datetime(2026, 11, 25, 19, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("2h", 7200),
        ("1d", 86400),
        ("1w", 604800),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("250ms", 0.25),
        ("10us", 1e-5),
        ("1h0m30s", 3630),
        (" 5M ", 300),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30", "invalid --duration '30': not a duration (missing unit? e.g. 30s, 5m, 2h)"),
        ("5x", "invalid --duration '5x': not a duration"),
        ("", "invalid --duration '': empty duration"),
        ("m5", "invalid --duration 'm5': not a duration"),
        ("-5m", "invalid --duration '-5m': not a duration"),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(TimeSpecError) as exc:
        parse_duration(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("NOW", NOW),
        ("30s", NOW - timedelta(seconds=30)),
        ("1h30m", NOW - timedelta(minutes=90)),
        ("1d", NOW - timedelta(days=1)),
        ("2026-11-25T10:00:00Z", datetime(2026, 11, 25, 10, tzinfo=UTC)),
        ("2026-11-25T10:00:00+02:00", datetime(2026, 11, 25, 8, tzinfo=UTC)),
        ("2026-11-25T10:00:00-05:30", datetime(2026, 11, 25, 15, 30, tzinfo=UTC)),
        ("2026-11-25T10:00:00.25Z", datetime(2026, 11, 25, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2026-11-25T10:00:00.123456789Z", datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-25 10:00:00z", datetime(2026, 11, 25, 10, tzinfo=UTC)),
    ],
)
def test_parse_time_spec(text: str, expected: datetime) -> None:
    got = parse_time_spec(text, now=NOW)
    assert got == expected
    assert got.tzinfo is UTC


def test_now_in_other_zone_is_converted() -> None:
    other = NOW.astimezone(timezone(timedelta(hours=3)))
    assert parse_time_spec("5m", now=other).utcoffset() == timedelta(0)
    assert parse_time_spec("5m", now=other) == NOW - timedelta(minutes=5)


def test_default_now_is_recent() -> None:
    got = parse_time_spec("1s")
    assert timedelta(0) < datetime.now(UTC) - got < timedelta(seconds=30)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "yesterday",
            "invalid --since 'yesterday': expected a duration like 5m or 1h30m, an RFC3339 time, or 'now'",
        ),
        (
            "30",
            "invalid --since '30': expected a duration like 5m or 1h30m, an RFC3339 time, or 'now'",
        ),
        (
            "2026-11-25T10:00:00",
            "invalid --since '2026-11-25T10:00:00': RFC3339 time needs a zone, e.g. Z or +02:00",
        ),
        (
            "2026-02-30T10:00:00Z",
            "invalid --since '2026-02-30T10:00:00Z': not an RFC3339 time (e.g. 2026-11-25T10:00:00Z)",
        ),
        (
            "2026-11-25",
            "invalid --since '2026-11-25': not an RFC3339 time (e.g. 2026-11-25T10:00:00Z)",
        ),
        ("", "invalid --since '': empty time"),
    ],
)
def test_parse_time_spec_errors(text: str, message: str) -> None:
    with pytest.raises(TimeSpecError) as exc:
        parse_time_spec(text, now=NOW)
    assert str(exc.value) == message


def test_flag_name_in_message() -> None:
    with pytest.raises(TimeSpecError, match="^invalid --until 'x'"):
        parse_time_spec("x", flag="--until", now=NOW)


def test_time_range() -> None:
    assert parse_time_range("1h", "5m", now=NOW) == (
        NOW - timedelta(hours=1),
        NOW - timedelta(minutes=5),
    )
    assert parse_time_range(None, None, now=NOW) == (None, None)
    with pytest.raises(TimeSpecError, match="--until '1h' is before --since '5m'"):
        parse_time_range("5m", "1h", now=NOW)
