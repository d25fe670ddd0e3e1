"""The value model: bucket index functions, histogram helpers, reducers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beholder.trace.output import (
    Avg,
    Bucket,
    Count,
    Histogram,
    LinearHistogram,
    Max,
    Min,
    Stats,
    Sum,
    decode_bpftrace_min,
    hist_index,
    lhist_index,
)
from beholder.trace.output.cint import cdiv


@pytest.mark.parametrize(
    ("value", "index"),
    [
        (-(1 << 63), 0),
        (-1, 0),
        (0, 1),
        (1, 2),
        (2, 3),
        (3, 3),
        (4, 4),
        (7, 4),
        (8, 5),
        (1023, 11),
        (1024, 12),
        ((1 << 31) - 1, 32),
        # bpftrace 0.17's 5-step search saturates: everything >= 2**31 is index 33
        (1 << 31, 33),
        (1 << 40, 33),
        ((1 << 63) - 1, 33),
        # u64 values >= 2**63 are negative once cast to i64
        ((1 << 64) - 1, 0),
    ],
)
def test_hist_index(value: int, index: int) -> None:
    assert hist_index(value) == index


@given(st.integers(min_value=1, max_value=(1 << 31) - 1))
def test_hist_index_is_log2_below_2g(v: int) -> None:
    assert hist_index(v) == v.bit_length() + 1


@pytest.mark.parametrize(
    ("value", "args", "index"),
    [
        (-1, (0, 10, 2), 0),
        (0, (0, 10, 2), 1),
        (1, (0, 10, 2), 1),
        (2, (0, 10, 2), 2),
        (9, (0, 10, 2), 5),
        (10, (0, 10, 2), 6),  # v == max shares the overflow bucket
        (11, (0, 10, 2), 6),
        (9, (0, 10, 3), 4),  # (max-min) % step != 0: 9 lands in "[10, ...)" too
        (4, (5, 25, 5), 0),
        (5, (5, 25, 5), 1),
    ],
)
def test_lhist_index(value: int, args: tuple[int, int, int], index: int) -> None:
    assert lhist_index(value, *args) == index


def test_histogram_buckets_total_percentile() -> None:
    h = Histogram.from_values([-5, 0, 1, 5, 6, 100])
    assert h.total == 6
    assert h.buckets() == [
        Bucket(None, -1, 1),
        Bucket(0, 0, 1),
        Bucket(1, 1, 1),
        Bucket(2, 3, 0),
        Bucket(4, 7, 2),
        Bucket(8, 15, 0),
        Bucket(16, 31, 0),
        Bucket(32, 63, 0),
        Bucket(64, 127, 1),
    ]
    lo, hi, count = h.buckets()[4]
    assert (lo, hi, count) == (4, 7, 2)
    assert h.percentile(50) == 1
    assert h.percentile(80) == 7
    assert h.percentile(100) == 127
    assert Histogram().percentile(50) is None
    assert Histogram().buckets() == []


def test_histogram_equality_ignores_trailing_zero_buckets() -> None:
    assert Histogram((0, 1, 0, 0)) == Histogram((0, 1))
    assert Histogram({4: 2}) == Histogram((0, 0, 0, 0, 2))
    assert Histogram.from_values([5, 6]) == Histogram({4: 2})
    assert hash(Histogram((1,))) == hash(Histogram((1, 0)))
    assert repr(Histogram.from_values([5, 6, 0])) == "Histogram({[0, 0]: 1, [4, 7]: 2})"


def test_linear_histogram() -> None:
    h = LinearHistogram.from_values(0, 10, 3, [-1, 0, 4, 9, 10, 50])
    assert h.n_buckets == 3
    assert h.buckets() == [
        Bucket(None, -1, 1),
        Bucket(0, 2, 1),
        Bucket(3, 5, 1),
        Bucket(6, 8, 0),
        Bucket(10, None, 3),
    ]
    assert h.percentile(99) == 10  # open-ended bucket: its lower bound
    assert h == LinearHistogram(0, 10, 3, {0: 1, 1: 1, 2: 1, 4: 3})
    assert h != LinearHistogram(0, 12, 3, h.counts)
    assert repr(LinearHistogram(0, 10, 5, {1: 2})) == "LinearHistogram(0, 10, 5, {[0, 4]: 2})"


def test_scalar_aggregates_are_ints() -> None:
    assert Count(3) == 3 and Count(3) + 1 == 4
    assert repr(Count(3)) == "Count(3)"
    assert repr(Sum(-2)) == "Sum(-2)" and repr(Min(1)) == "Min(1)" and repr(Max(9)) == "Max(9)"


def test_avg_and_stats_truncate_like_c() -> None:
    assert Avg(2, -13).value == -6  # C truncation, not Python's floor (-7)
    assert int(Avg(2, 13)) == 6
    assert Avg(0, 0).value == 0
    s = Stats(3, 10)
    assert (s.count, s.average, s.total) == (3, 3, 10)
    assert Stats(1, 2) != Avg(1, 2)
    assert cdiv(-7, 2) == -3 and cdiv(7, -2) == -3 and cdiv(7, 2) == 3


@pytest.mark.parametrize(
    ("per_cpu", "expected"),
    [
        ([0xFFFFFFFF - 5, 0, 0], 5),
        ([0xFFFFFFFF - 5, 0xFFFFFFFF - 2], 2),
        ([0xFFFFFFFF + 3], -3),
        ([0xFFFFFFFF - 4000000000], 4000000000),
        ([0, 0], 0),  # after zero()
    ],
)
def test_decode_bpftrace_min(per_cpu: list[int], expected: int) -> None:
    assert decode_bpftrace_min(per_cpu) == expected
