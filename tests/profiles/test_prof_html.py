"""HTML flame graph: self-contained page, embedded tree, pruning, scale."""

from __future__ import annotations

import re
import time

from profile_fixtures import MAIN, Frame, build, embedded_data, synthetic

from beholder.profiles import Profile
from beholder.profiles.render import html

MB = 1024 * 1024


def rebuild(data: dict) -> list[dict]:
    """The page's flat [key, total, self, depth] array as nested dicts (what flame.js does)."""
    flat = data["nodes"]
    nodes: list[dict] = []
    path: list[dict] = []
    for i in range(0, len(flat), 4):
        key, total, own, depth = flat[i : i + 4]
        node = {"name": data["names"][key], "total": total, "self": own, "children": []}
        if depth:
            path[depth - 1]["children"].append(node)
        del path[depth:]
        path.append(node)
        nodes.append(node)
    return nodes


def test_self_contained(profile: Profile) -> None:
    page = html.render(profile)
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(//|[a-z]+:)""", page, re.I)
    assert "@import" not in page and "url(" not in page and "<link" not in page
    assert "@font-face" not in page
    assert "<canvas" in page


def test_embedded_tree(profile: Profile) -> None:
    data = embedded_data(html.render(profile, title="my <profile>"))
    assert data["mode"] == "flame" and data["title"] == "my <profile>"
    assert "hot_loop" in data["names"]
    nodes = rebuild(data)
    root = nodes[0]
    assert root["name"] == "all" and root["total"] == profile.total()
    for n in nodes:
        assert n["self"] + sum(c["total"] for c in n["children"]) <= n["total"]
    hot = next(n for n in nodes if n["name"] == "hot_loop")
    assert hot["total"] == hot["self"] == 60
    kinds = {data["names"][i]: data["kindNames"][k] for i, k in enumerate(data["kinds"])}
    assert kinds["vfs_write"] == "kernel" and kinds["py::handler"] == "jit"
    assert kinds["hot_loop"] == "user"
    info = dict(map(tuple, data["info"]))
    assert info["comm"] == "app, other" and info["container"] == "web-1"
    assert "2025-11-24" in info["time"] and info["lost (stack_collisions)"] == "2"


def test_title_and_script_injection_escaped() -> None:
    evil = "</script><script>alert(1)</script>"
    p = Profile.from_stacks([((MAIN, Frame(evil, "/bin/x", 1)), 5, {"comm": "<b>x</b>"})])
    page = html.render(p, title="<img src=x onerror=alert(1)>")
    assert evil not in page and "<img src=x" not in page and "<b>x</b>" not in page
    assert page.count("</script>") == 2  # only our two script elements end
    assert evil in embedded_data(page)["names"]


def test_pruning_is_configurable() -> None:
    p = build()
    tiny = Profile.from_stacks([((MAIN, Frame("rare", "/bin/x", 9)), 1, {})])
    big = build(hot=100_000).merge(tiny)
    pruned = embedded_data(html.render(big))
    assert "rare" not in {pruned["names"][k] for k in pruned["nodes"][::4]}
    assert pruned["pruned"]["nodes"] >= 1 and pruned["pruned"]["samples"] >= 1
    kept = embedded_data(html.render(big, min_fraction=0))
    assert "rare" in {kept["names"][k] for k in kept["nodes"][::4]}
    assert kept["pruned"] == {"nodes": 0, "samples": 0}
    assert embedded_data(html.render(p))["pruned"]["nodes"] == 0


def test_empty_profile_renders() -> None:
    data = embedded_data(html.render(Profile()))
    assert data["nodes"] == [0, 0, 0, 0]


def test_100k_distinct_stacks_small_file() -> None:
    p = synthetic(100_000)
    assert len(p.samples) == 100_000
    t0 = time.perf_counter()
    page = html.render(p)
    elapsed = time.perf_counter() - t0
    size = len(page.encode())
    # Time is reported, not asserted (shared CI machines); size is the contract.
    print(f"100k stacks: {elapsed:.2f}s, {size / 1024:.0f} KiB")
    assert size < 5 * MB
    data = embedded_data(page)
    assert data["pruned"]["nodes"] > 0
    nodes = rebuild(data)
    assert nodes[0]["total"] == p.total()
    assert min(n["total"] for n in nodes) >= p.total() * 0.0005
    assert "pkg.module0.function_0" in data["names"]
