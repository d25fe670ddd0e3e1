"""RFC3339 timestamps with nanosecond precision, the way protobuf JSON prints Flow.time."""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime, timedelta

NS_PER_S = 1_000_000_000

# RFC3339 as protojson accepts it: a 'T' (or space) separator, up to 9 fraction
# digits, and a mandatory zone -- a time without zone is ambiguous.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def format_rfc3339_ns(ns: int) -> str:
    """Format nanoseconds since the epoch as UTC RFC3339 with exactly nine fraction digits.

    Always nine digits (protojson trims to 0/3/6) so that strings sort like times
    and golden output never changes shape.
    """
    secs, frac = divmod(ns, NS_PER_S)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def parse_rfc3339_ns(text: str) -> int:
    """Parse an RFC3339 timestamp into nanoseconds since the epoch; ValueError when invalid."""
    m = _RFC3339.match(text.strip())
    if not m:
        raise ValueError(f"not an RFC3339 time: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    # datetime validates day-of-month and friends; we only use it as a checker.
    datetime(year, month, day, hour, minute, min(second, 59))
    frac = int((m.group(7) or "").ljust(9, "0"))
    offset = 0
    if m.group(9):
        sign = -1 if m.group(9) == "-" else 1
        hh, mm = int(m.group(10)), int(m.group(11))
        if hh > 23 or mm > 59:
            raise ValueError(f"bad zone offset in {text!r}")
        offset = sign * (hh * 3600 + mm * 60)
    secs = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    return secs * NS_PER_S + frac


def datetime_from_ns(ns: int) -> datetime:
    """UTC datetime for nanoseconds since the epoch (sub-microsecond part is dropped)."""
    secs, frac = divmod(ns, NS_PER_S)
    return datetime.fromtimestamp(secs, UTC) + timedelta(microseconds=frac // 1000)


def ns_from_datetime(dt: datetime) -> int:
    """Nanoseconds since the epoch; naive datetimes are taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000
