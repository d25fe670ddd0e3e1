"""Renderer registry: by name and by output file extension."""

from __future__ import annotations

from pathlib import Path

import pytest

from beholder.profiles import Profile
from beholder.profiles.render import RENDERERS, get_renderer, renderer_for_path


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("out.html", "html"),
        ("/tmp/x/Flame.HTML", "html"),
        ("cpu.pb.gz", "pprof"),
        ("cpu.pprof", "pprof"),
        ("stacks.folded", "folded"),
        ("stacks.txt", "folded"),
        ("p.speedscope.json", "speedscope"),
        ("p.json", "speedscope"),
    ],
)
def test_renderer_for_path(path: str, name: str) -> None:
    assert renderer_for_path(path).name == name


def test_explicit_format_wins() -> None:
    assert renderer_for_path("out.bin", format="pprof").name == "pprof"
    assert get_renderer("FOLDED") is RENDERERS["folded"]


@pytest.mark.parametrize("path", ["out.gz", "out", "profile.xyz", ".html"])
def test_unknown_extension_lists_choices(path: str) -> None:
    with pytest.raises(ValueError) as err:
        renderer_for_path(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert all(n in msg for n in RENDERERS) and ".pb.gz" in msg


def test_unknown_format_name() -> None:
    with pytest.raises(ValueError, match="unknown profile format"):
        renderer_for_path("a.html", format="svg")


def test_write_every_format(profile: Profile, tmp_path: Path) -> None:
    for name in ("a.html", "a.pb.gz", "a.folded", "a.speedscope.json"):
        r = renderer_for_path(name)
        r.write(profile, tmp_path / name)
        data = (tmp_path / name).read_bytes()
        assert data
        assert r.binary == (name.endswith(".gz"))
