"""Profile model: construction, merge, filter, top functions, compact JSON."""

from __future__ import annotations

import json

import pytest
from profile_fixtures import APP_LABELS, COMPUTE, HOT, LIBC, MAIN, MAPPINGS, UNKNOWN, build

from beholder.profiles import Frame, Mapping, Profile, Sample, merge_all, unknown_label


def test_from_stacks_aggregates_identical_stack_and_labels() -> None:
    p = Profile.from_stacks(
        [
            ((MAIN, HOT), 2, {"pid": "1"}),
            ((MAIN, HOT), 3, {"pid": "1"}),
            ((MAIN, HOT), 1, {"pid": "2"}),
        ],
        frequency_hz=100,
    )
    assert sorted(s.count for s in p.samples) == [1, 5]
    assert p.total() == 6
    assert p.period_ns == 10_000_000


def test_total_excludes_idle_and_lost(profile: Profile) -> None:
    assert profile.total() == 60 + 20 + 15 + 5 + 3
    assert profile.idle_samples == 7
    assert profile.lost == {"stack_collisions": 2}


def test_merge_sums_counts_and_unions_time() -> None:
    a = build()
    b = build(hot=40)
    b.start_ns += 5_000_000_000
    b.lost = {"stack_collisions": 1, "drops": 4}
    m = a.merge(b)
    assert m.total() == a.total() + b.total()
    hot = [s for s in m.samples if s.stack[-1] == HOT]
    assert len(hot) == 1 and hot[0].count == 100
    assert m.start_ns == a.start_ns
    assert m.duration_ns == 15_000_000_000
    assert m.lost == {"stack_collisions": 3, "drops": 4}
    assert m.idle_samples == 14
    assert m.mappings == MAPPINGS  # deduplicated
    # inputs untouched
    assert a.total() == 103 and [s.count for s in a.samples if s.stack[-1] == HOT] == [60]


def test_merge_all_and_frequency_mismatch() -> None:
    assert merge_all([]).total() == 0
    assert merge_all([build(), build(), build()]).total() == 3 * build().total()
    other = build()
    other.frequency_hz = 49
    with pytest.raises(ValueError, match="different frequencies"):
        build().merge(other)


def test_filter_by_single_value_and_set(profile: Profile) -> None:
    assert profile.filter({"comm": "app"}).total() == 95
    assert profile.filter({"pid": {"100", "200"}}).total() == profile.total()
    assert profile.filter({"container": "web-1", "comm": "other"}).total() == 0
    assert profile.filter({}).total() == profile.total()


def test_top_functions_self_and_total(profile: Profile) -> None:
    top = {name: (own, tot) for name, own, tot in profile.top_functions(50)}
    assert profile.top_functions(1)[0] == ("hot_loop", 60, 60)
    assert top["main"] == (0, profile.total())
    assert top["compute"] == (0, 80)
    assert top["vfs_write"] == (15, 15)


def test_top_functions_recursion_counted_once_per_stack() -> None:
    a, b = Frame("a", "m", 1), Frame("b", "m", 2)
    p = Profile.from_stacks([((a, b, a, b, a), 10, {}), ((a,), 5, {})])
    top = {name: (own, tot) for name, own, tot in p.top_functions()}
    assert top["a"] == (15, 15)  # not 35
    assert top["b"] == (0, 10)  # not 20


def test_unknown_frames_are_labelled_not_dropped(profile: Profile) -> None:
    assert UNKNOWN.name == f"libc.so.6+0x{UNKNOWN.address:x}"
    # With the mapping known, the label uses the file offset, stable across ASLR.
    assert profile.namer()(UNKNOWN) == "libc.so.6+0x35560"
    assert unknown_label(
        LIBC, 0x7F0000034560, Mapping(0x7F0000000000, 0x7F0000100000, 0x1000, LIBC)
    ) == ("libc.so.6+0x35560")
    assert unknown_label("", 0x10) == "[unknown]+0x10"
    names = {n for n, _, _ in profile.top_functions(100)}
    assert "libc.so.6+0x35560" in names


def test_json_round_trip(profile: Profile) -> None:
    text = profile.to_json()
    back = Profile.from_json(text)
    assert back == profile
    assert Profile.from_json(text.encode()) == profile


def test_json_round_trip_keeps_optional_frame_fields() -> None:
    f = Frame("inl", "/bin/x", 0x10, "user", file="x.c", line=0, inlined=True)
    g = Frame("f", "/bin/x", 0x10, "jit", file="x.c", line=12)
    p = Profile.from_stacks([((g, f), 1, {"pid": "1"})])
    assert Profile.from_json(p.to_json()) == p


def test_json_is_compact_frames_interned(profile: Profile) -> None:
    doc = json.loads(profile.to_json())
    assert len(doc["frames"]) == len({f for s in profile.samples for f in s.stack})
    assert len(doc["labelsets"]) == 2
    assert all(isinstance(i, int) for st in doc["stacks"] for i in st)
    big = json.loads(merge_all([profile] * 3).to_json())
    # merged, not repeated: same tables, counts tripled
    assert big["frames"] == doc["frames"] and big["stacks"] == doc["stacks"]
    assert [r[1] for r in big["samples"]] == [3 * r[1] for r in doc["samples"]]


def test_from_json_rejects_other_documents() -> None:
    with pytest.raises(ValueError):
        Profile.from_json('{"format": "something else"}')


def test_map_stacks_reaggregates() -> None:
    p = build()
    collapsed = p.map_stacks(lambda st: st[:2])
    assert collapsed.total() == p.total()
    assert any(s.stack == (MAIN, COMPUTE) and s.count == 80 for s in collapsed.samples)


def test_sample_defaults() -> None:
    s = Sample((MAIN,))
    assert s.count == 1 and s.labels == {}
    assert Sample((MAIN,), 1, dict(APP_LABELS)).key() == Sample((MAIN,), 3, dict(APP_LABELS)).key()
