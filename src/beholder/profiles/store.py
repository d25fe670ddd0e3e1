"""Stored profiles in DuckDB: one row per process per harvest, with its labels and time range.

Queries select rows by time overlap and label equality, then merge them into one Profile.
Retention drops the oldest rows past an age or a total size (of the compressed profiles).
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from beholder.flows.timespec import TimeSpecError, parse_time_spec
from beholder.profiles import merge_all
from beholder.profiles.model import Profile, Sample

# Labels stored as columns (and so queryable); the rest stay inside the profile.
LABELS = ("node", "pid", "comm", "exe", "container", "cgroup")
DEFAULT_PATH = "/var/lib/beholder/profiles.duckdb"

_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS profile_ids;
CREATE TABLE IF NOT EXISTS profiles (
    id BIGINT PRIMARY KEY DEFAULT nextval('profile_ids'),
    start_ns BIGINT NOT NULL,
    end_ns BIGINT NOT NULL,
    frequency_hz DOUBLE NOT NULL,
    node VARCHAR, pid VARCHAR, comm VARCHAR, exe VARCHAR, container VARCHAR, cgroup VARCHAR,
    samples BIGINT NOT NULL,
    size BIGINT NOT NULL,
    data BLOB NOT NULL
);
"""


class QueryError(ValueError):
    """A query the user typed is invalid; str() is one line."""


@dataclass(frozen=True)
class Query:
    """A time range (ns since the epoch; 0 = open) and label equalities."""

    since_ns: int = 0
    until_ns: int = 0
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, *, now: datetime | None = None) -> Query:
        """`since=2h until=1h comm=nginx` (spaces or commas); `since`/`until` take a
        duration ago, an RFC3339 time or `now`."""
        since = until = 0
        labels: dict[str, str] = {}
        for token in text.replace(",", " ").split():
            key, eq, value = token.partition("=")
            if not eq or not value:
                raise QueryError(f"invalid query term {token!r}: expected key=value "
                                 f"(keys: since, until, {', '.join(LABELS)})")
            if key in ("since", "until"):
                try:
                    ns = to_ns(parse_time_spec(value, flag=key, now=now))
                except TimeSpecError as e:
                    raise QueryError(str(e)) from None
                since, until = (ns, until) if key == "since" else (since, ns)
            else:
                labels[key] = value
        return cls.make(since, until, labels)

    @classmethod
    def make(cls, since_ns: int = 0, until_ns: int = 0,
             labels: Mapping[str, str | None] | None = None) -> Query:
        clean = {k: str(v) for k, v in (labels or {}).items() if v not in (None, "")}
        for k in clean:
            if k not in LABELS:
                raise QueryError(f"unknown label {k!r} (labels: {', '.join(LABELS)})")
        if since_ns and until_ns and until_ns < since_ns:
            raise QueryError("the end of the time range is before its start")
        return cls(since_ns, until_ns, clean)


def to_ns(dt: datetime) -> int:
    return int(dt.astimezone(UTC).timestamp() * 1e9)


def split_by_process(profile: Profile) -> list[tuple[dict[str, str], Profile]]:
    """One profile per distinct set of stored labels (a process, as its samples say)."""
    groups: dict[tuple[str, ...], list[Sample]] = {}
    node = profile.meta.get("node", "")
    for s in profile.samples:
        key = tuple(s.labels.get(k, node if k == "node" else "") for k in LABELS)
        groups.setdefault(key, []).append(s)
    out = []
    for key, samples in groups.items():
        # Mappings of other processes would bloat every row; keep the files this one used.
        files = {f.module for s in samples for f in s.stack}
        p = Profile(samples=samples, period_ns=profile.period_ns,
                    frequency_hz=profile.frequency_hz, start_ns=profile.start_ns,
                    duration_ns=profile.duration_ns,
                    mappings=[m for m in profile.mappings if m.file in files],
                    meta=dict(profile.meta))
        out.append((dict(zip(LABELS, key, strict=True)), p))
    return out


class ProfileStore:
    """Thread-safe. A file store is opened per operation and closed right after: DuckDB lets
    one process hold a file, so `beholder serve` writing every 10 s must not keep the CLI's
    `profile query` out. A caller finding it busy retries for `busy_timeout_s`."""

    def __init__(self, path: str | Path = DEFAULT_PATH, *, max_bytes: int = 512 << 20,
                 max_age_s: float = 7 * 86400, busy_timeout_s: float = 10.0) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes, self.max_age_s = max_bytes, max_age_s
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._memory = duckdb.connect(":memory:") if self.path == ":memory:" else None
        with self._lock, self._conn() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _conn(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._memory is not None:
            yield self._memory
            return
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                db = duckdb.connect(self.path)
                break
            except duckdb.IOException as e:  # another process holds the file's lock
                if "lock" not in str(e).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        try:
            yield db
        finally:
            db.close()

    def close(self) -> None:
        with self._lock:
            if self._memory is not None:
                self._memory.close()

    def __enter__(self) -> ProfileStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- write --

    def add(self, profile: Profile, *, retention: bool = False) -> int:
        """Store a harvest's profile as one row per process; returns rows written.
        `retention` also applies enforce_retention() in the same connection: opening the
        file costs DuckDB ~30 ms of CPU, the largest part of an idle agent's cost."""
        end = profile.start_ns + profile.duration_ns
        parts = split_by_process(profile)
        if not parts and (profile.lost or profile.idle_samples):
            # Keep the lost/idle accounting even when nothing was sampled.
            parts = [({k: profile.meta.get("node", "") if k == "node" else "" for k in LABELS},
                      Profile(frequency_hz=profile.frequency_hz, period_ns=profile.period_ns,
                              start_ns=profile.start_ns, duration_ns=profile.duration_ns,
                              meta=dict(profile.meta)))]
        if parts:
            # Lost/idle counts belong to the harvest, not a process: carry them on one row.
            parts[0][1].lost, parts[0][1].idle_samples = dict(profile.lost), profile.idle_samples
        rows = []
        for labels, part in parts:
            blob = zlib.compress(part.to_json().encode(), 6)
            rows.append((profile.start_ns, end, profile.frequency_hz,
                         *(labels[k] for k in LABELS), part.total(), len(blob), blob))
        if not rows and not retention:
            return 0
        with self._lock, self._conn() as db:
            if rows:
                db.executemany(
                    "INSERT INTO profiles (start_ns, end_ns, frequency_hz, node, pid, comm, exe, "
                    "container, cgroup, samples, size, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows)
            if retention:
                self._retention(db, time.time_ns())
        return len(rows)

    def enforce_retention(self, now_ns: int | None = None) -> int:
        """Delete rows older than max_age_s, then the oldest until under max_bytes."""
        with self._lock, self._conn() as db:
            return self._retention(db, now_ns or time.time_ns())

    def _retention(self, db: duckdb.DuckDBPyConnection, now_ns: int) -> int:
        before = _count(db)
        db.execute("DELETE FROM profiles WHERE end_ns < ?",
                   [now_ns - int(self.max_age_s * 1e9)])
        total = db.execute("SELECT coalesce(sum(size), 0) FROM profiles").fetchone()
        if total and total[0] > self.max_bytes:
            # Walk from the newest back; everything past the budget goes.
            db.execute("""
                DELETE FROM profiles WHERE id IN (
                    SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY end_ns DESC, id DESC)
                                    AS running FROM profiles) WHERE running > ?)""",
                       [self.max_bytes])
        return before - _count(db)

    # -- read --

    def _where(self, q: Query) -> tuple[str, list[object]]:
        clauses, args = ["1=1"], list[object]()
        if q.since_ns:
            clauses.append("end_ns > ?")
            args.append(q.since_ns)
        if q.until_ns:
            clauses.append("start_ns < ?")
            args.append(q.until_ns)
        for k, v in q.labels.items():
            clauses.append(f"{k} = ?")  # k is one of LABELS (checked in Query.make)
            args.append(v)
        return " AND ".join(clauses), args

    def rows(self, q: Query) -> list[dict[str, object]]:
        where, args = self._where(q)
        cols = ("id", "start_ns", "end_ns", "frequency_hz", *LABELS, "samples", "size")
        with self._lock, self._conn() as db:
            got = db.execute(f"SELECT {', '.join(cols)} FROM profiles WHERE {where} "
                                   "ORDER BY start_ns, id", args).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in got]

    def profiles(self, q: Query) -> Iterable[Profile]:
        where, args = self._where(q)
        with self._lock, self._conn() as db:
            blobs = db.execute(f"SELECT data FROM profiles WHERE {where} "
                                     "ORDER BY start_ns, id", args).fetchall()
        for (blob,) in blobs:
            yield Profile.from_json(zlib.decompress(blob))

    def query(self, q: Query) -> Profile:
        """Every stored profile that overlaps the range and matches the labels, merged."""
        return merge_all(self.profiles(q))

    def stats(self) -> dict[str, int]:
        with self._lock, self._conn() as db:
            row = db.execute("SELECT count(*), coalesce(sum(size), 0), "
                                   "coalesce(min(start_ns), 0), coalesce(max(end_ns), 0) "
                                   "FROM profiles").fetchone()
        assert row is not None
        return {"rows": int(row[0]), "bytes": int(row[1]), "first_ns": int(row[2]),
                "last_ns": int(row[3])}


def _count(db: duckdb.DuckDBPyConnection) -> int:
    row = db.execute("SELECT count(*) FROM profiles").fetchone()
    return int(row[0]) if row else 0
