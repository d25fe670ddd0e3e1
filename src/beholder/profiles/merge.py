"""Combining profiles: sum counts, union time ranges and mappings."""

from __future__ import annotations

from collections.abc import Iterable

from beholder.profiles.model import Profile, aggregate_samples


def merge_all(profiles: Iterable[Profile]) -> Profile:
    """Sum samples, lost and idle counts; the time range becomes the union."""
    items = list(profiles)
    if not items:
        return Profile()
    freqs = {p.frequency_hz for p in items if p.frequency_hz and p.samples}
    if len(freqs) > 1:
        # Counts taken at different rates are not comparable; normalize upstream.
        raise ValueError(f"cannot merge profiles sampled at different frequencies: {sorted(freqs)}")
    freq = freqs.pop() if freqs else max(p.frequency_hz for p in items)
    period = next((p.period_ns for p in items if p.frequency_hz == freq and p.period_ns), 0)
    timed = [p for p in items if p.start_ns or p.duration_ns]
    start = min((p.start_ns for p in timed), default=0)
    end = max((p.start_ns + p.duration_ns for p in timed), default=0)
    mappings = list(dict.fromkeys(m for p in items for m in p.mappings))
    meta: dict[str, str] = {}
    lost: dict[str, int] = {}
    for p in items:
        for k, v in p.meta.items():
            meta.setdefault(k, v)  # first profile wins on conflicting metadata
        for k, n in p.lost.items():
            lost[k] = lost.get(k, 0) + n
    return Profile(
        samples=aggregate_samples(s for p in items for s in p.samples),
        period_ns=period,
        frequency_hz=freq,
        start_ns=start,
        duration_ns=end - start,
        mappings=mappings,
        meta=meta,
        lost=lost,
        idle_samples=sum(p.idle_samples for p in items),
    )
