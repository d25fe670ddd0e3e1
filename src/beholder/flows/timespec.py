"""Parse --since/--until time specs and --duration style durations into UTC datetimes/seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from beholder.flows.timestamps import NS_PER_S, parse_rfc3339_ns


class TimeSpecError(ValueError):
    """A time spec or duration the user typed is invalid; str() is a one-line message."""


_UNIT_SECONDS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 7 * 86400.0,
}
# Longest units first so "ms" is not read as "m" followed by garbage.
_TERM = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w)")


def parse_duration(text: str, *, flag: str = "--duration") -> float:
    """Seconds in a Go-like duration: ``30s``, ``5m``, ``1h30m``, ``1.5h``, ``250ms``, ``1d``.

    A bare number is rejected because "30" could mean seconds or minutes.
    """
    s = text.strip().lower()
    if not s:
        raise TimeSpecError(f"invalid {flag} '{text}': empty duration")
    pos, total = 0, 0.0
    while pos < len(s):
        m = _TERM.match(s, pos)
        if not m:
            hint = " (missing unit? e.g. 30s, 5m, 2h)" if re.fullmatch(r"[\d.]+", s) else ""
            raise TimeSpecError(f"invalid {flag} '{text}': not a duration{hint}")
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    return total


def parse_time_spec(text: str, *, flag: str = "--since", now: datetime | None = None) -> datetime:
    """UTC datetime for ``now``, a relative duration ago (``5m``) or an RFC3339 time.

    Relative specs always mean "before now" (``--until 5m`` = five minutes ago).
    RFC3339 needs a zone (``Z`` or ``+02:00``); fractions below a microsecond are
    truncated because datetime cannot hold them.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    s = text.strip()
    if not s:
        raise TimeSpecError(f"invalid {flag} '{text}': empty time")
    if s.lower() == "now":
        return now
    if re.match(r"^\d{4}-\d{2}-\d{2}", s):
        try:
            ns = parse_rfc3339_ns(s)
        except ValueError:
            if re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?$", s):
                why = "RFC3339 time needs a zone, e.g. Z or +02:00"
            else:
                why = "not an RFC3339 time (e.g. 2026-11-25T10:00:00Z)"
            raise TimeSpecError(f"invalid {flag} '{text}': {why}") from None
        secs, frac = divmod(ns, NS_PER_S)
        return datetime.fromtimestamp(secs, UTC) + timedelta(microseconds=frac // 1000)
    try:
        seconds = parse_duration(s, flag=flag)
    except TimeSpecError:
        raise TimeSpecError(
            f"invalid {flag} '{text}': expected a duration like 5m or 1h30m, "
            "an RFC3339 time, or 'now'"
        ) from None
    return now - timedelta(seconds=seconds)


def parse_time_range(
    since: str | None, until: str | None, *, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """Both ends at once, sharing one ``now``; rejects ranges that end before they start."""
    now = now or datetime.now(UTC)
    start = parse_time_spec(since, flag="--since", now=now) if since else None
    end = parse_time_spec(until, flag="--until", now=now) if until else None
    if start is not None and end is not None and end < start:
        raise TimeSpecError(f"invalid time range: --until '{until}' is before --since '{since}'")
    return start, end
