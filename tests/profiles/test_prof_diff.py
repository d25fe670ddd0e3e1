"""Profile diff: shares, text table, and the differential flame graph's colours."""

from __future__ import annotations

import re

from profile_fixtures import build, embedded_data

from beholder.profiles import diff, format_table
from beholder.profiles.render import diff_html


def hue(color: str) -> int | None:
    m = re.match(r"hsl\((\d+),", color)
    return int(m.group(1)) if m else None


def test_doubled_function_grows_others_shrink() -> None:
    a, b = build(), build(hot=120)
    d = diff(a, b)
    hot = d.function("hot_loop")
    assert hot is not None
    assert hot.a_self == 60 / 103 and hot.b_self == 120 / 163
    assert hot.delta > 0 and hot.delta_total > 0
    helper = d.function("helper")
    assert helper is not None and helper.delta < 0
    main = d.function("main")
    assert main is not None and abs(main.delta_total) < 1e-12  # always 100%
    assert d.functions[0].function == "hot_loop"  # sorted by |delta|
    assert d.stacks[0].stack == ("main", "compute", "hot_loop") and d.stacks[0].delta > 0


def test_new_and_vanished_functions() -> None:
    d = diff(build(unknown=0), build(write=0))
    gone = d.function("vfs_write")
    new = d.function("libc.so.6+0x35560")
    assert gone is not None and gone.b_total == 0 and gone.delta < 0
    assert new is not None and new.a_total == 0 and new.delta > 0


def test_table() -> None:
    text = format_table(diff(build(), build(hot=120)), limit=3)
    lines = text.splitlines()
    assert lines[1].split() == ["function", "a", "%", "b", "%", "delta"]
    assert lines[2].startswith("hot_loop") and lines[2].split()[-1].startswith("+")
    assert len(lines) == 5
    by_total = format_table(diff(build(), build(hot=120)), by="total")
    assert "total share" in by_total


def test_diff_flame_graph_colours() -> None:
    page = diff_html.render(build(), build(hot=120, helper=10))
    data = embedded_data(page)
    assert data["mode"] == "diff" and data["aTotal"] == 103
    names = [data["names"][k] for k in data["nodes"][::4]]
    at = {n: i for i, n in enumerate(names)}
    hot, helper, root = at["hot_loop"], at["helper"], at["all"]
    assert data["delta"][hot] > 0 and hue(data["colors"][hot]) == 0  # red: grew
    assert data["delta"][helper] < 0 and hue(data["colors"][helper]) == 220  # blue: shrank
    assert data["colors"][root] == diff_html.NEUTRAL
    assert data["a"][hot] == 60 and data["nodes"][4 * hot + 1] == 120
    assert "http://" not in page and "https://" not in page


def test_identical_profiles_are_neutral() -> None:
    data = embedded_data(diff_html.render(build(), build()))
    assert set(data["colors"]) == {diff_html.NEUTRAL}
    assert all(d == 0 for d in data["delta"])


def test_colour_intensity_scales() -> None:
    weak, strong = diff_html.color(0.01, 0.1), diff_html.color(0.1, 0.1)
    light = lambda c: int(re.findall(r"(\d+)%\)", c)[0])  # noqa: E731
    assert light(strong) < light(weak)
    assert hue(diff_html.color(-0.05, 0.1)) == 220
