"""Folded stacks (render + parse) and speedscope JSON."""

from __future__ import annotations

import json

import pytest
from profile_fixtures import MAIN, Frame

from beholder.profiles import Profile
from beholder.profiles.render import folded, speedscope


def test_folded_lines(profile: Profile) -> None:
    text = folded.render(profile)
    lines = text.splitlines()
    assert "app;main;compute;hot_loop 60" in lines
    assert "app;main;write;entry_SYSCALL_64_[k];vfs_write_[k] 15" in lines
    assert "other;main;libc.so.6+0x35560 5" in lines  # unknown frame kept, labelled
    assert "other;main;py::handler_[j] 3" in lines
    assert lines == sorted(lines)
    assert sum(int(ln.rsplit(" ", 1)[1]) for ln in lines) == profile.total()


def test_folded_prefix_options(profile: Profile) -> None:
    assert "main;compute;hot_loop 60" in folded.render(profile, prefix=None).splitlines()
    assert "100;main;compute;hot_loop 60" in folded.render(profile, prefix="pid").splitlines()
    assert (
        "app-100;main;compute;hot_loop 60" in folded.render(profile, prefix="comm-pid").splitlines()
    )
    plain = folded.render(profile, prefix=None, annotate=False)
    assert "main;write;entry_SYSCALL_64;vfs_write 15" in plain.splitlines()


def test_folded_round_trip(profile: Profile) -> None:
    text = folded.render(profile, prefix="comm-pid")
    back = folded.parse_folded(text, prefix="comm-pid")
    assert back.total() == profile.total()
    assert folded.render(back, prefix="comm-pid") == text
    assert back.filter({"comm": "app", "pid": "100"}).total() == 95
    kinds = {f.name: f.kind for s in back.samples for f in s.stack}
    assert kinds["vfs_write"] == "kernel" and kinds["py::handler"] == "jit"
    assert kinds["hot_loop"] == "user"


def test_folded_sanitizes_separators() -> None:
    odd = Frame("operator;weird\nname", "/bin/x", 1)
    p = Profile.from_stacks([((MAIN, odd), 2, {"comm": "x"})])
    text = folded.render(p)
    assert text == "x;main;operator:weird name 2\n"
    assert folded.parse_folded(text).total() == 2


def test_parse_folded_plain_files_and_errors() -> None:
    p = folded.parse_folded("# comment\na;b;c 3\na;b 2\n\na;b;c 1\n", prefix=None, frequency_hz=99)
    assert p.total() == 6 and p.period_ns == round(1e9 / 99)
    assert {(tuple(f.name for f in s.stack), s.count) for s in p.samples} == {
        (("a", "b", "c"), 4),
        (("a", "b"), 2),
    }
    with pytest.raises(ValueError, match="line 1"):
        folded.parse_folded("a;b;c x\n")


def test_speedscope_structure(profile: Profile) -> None:
    doc = json.loads(speedscope.render(profile))
    assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    frames = doc["shared"]["frames"]
    assert all(isinstance(f["name"], str) for f in frames)
    assert len({f["name"] for f in frames}) == len(frames)  # shared, not repeated
    assert [p["name"] for p in doc["profiles"]] == ["app (100)", "other (200)"]
    assert doc["activeProfileIndex"] == 0 and doc["exporter"].startswith("beholder")
    period = profile.period_ns
    for p in doc["profiles"]:
        assert p["type"] == "sampled" and p["unit"] == "nanoseconds"
        assert len(p["samples"]) == len(p["weights"])
        assert p["endValue"] - p["startValue"] == sum(p["weights"])
        assert all(0 <= i < len(frames) for st in p["samples"] for i in st)
    app = doc["profiles"][0]
    stacks = [[frames[i]["name"] for i in st] for st in app["samples"]]
    hot = stacks.index(["main", "compute", "hot_loop"])  # root first
    assert app["weights"][hot] == 60 * period


def test_speedscope_merged_and_unitless() -> None:
    p = Profile.from_stacks([((MAIN,), 3, {"pid": "1"}), ((MAIN,), 4, {"pid": "2"})])
    doc = json.loads(speedscope.render(p, per_process=False, name="merged"))
    assert doc["name"] == "merged" and len(doc["profiles"]) == 1
    prof = doc["profiles"][0]
    assert prof["unit"] == "none" and sorted(prof["weights"]) == [3, 4]
