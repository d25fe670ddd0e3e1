"""Shared plumbing of the HTML flame graphs: template filling, header facts, tree payload."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from beholder.profiles.model import FRAME_KINDS, Profile
from beholder.profiles.tree import ROOT_KIND, Node, Tree

KIND_NAMES = [*FRAME_KINDS, ROOT_KIND]
# Label keys worth a header line, in the order people look for them.
HEADER_LABELS = ("node", "container", "cgroup", "comm", "pid", "exe")
MAX_VALUES = 6


@cache
def _asset(name: str) -> str:
    return resources.files("beholder.profiles.render").joinpath(name).read_text("utf-8")


def fill(title: str, payload: dict[str, Any]) -> str:
    """The template with title, data and script inlined: the page needs no network."""
    # "<" escaped so no string in the data can close the <script> element early.
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
    parts = {"TITLE": html.escape(title), "DATA": data, "SCRIPT": _asset("flame.js")}
    # One pass, so nothing substituted is itself scanned for placeholders.
    return re.sub(r"\{\{(TITLE|DATA|SCRIPT)\}\}", lambda m: parts[m.group(1)], _asset("flame.html"))


def flat_nodes(tree: Tree) -> tuple[list[Node], list[int]]:
    """Pre-order nodes and the flat [key, total, self, depth, ...] array the page reads."""
    order: list[Node] = []
    flat: list[int] = []
    todo: list[tuple[Node, int]] = [(tree.root, 0)]
    while todo:
        n, depth = todo.pop()
        order.append(n)
        flat += (n.key, n.total, n.self_count, depth)
        todo.extend((c, depth + 1) for c in reversed(n.children))
    return order, flat


def _ts(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _values(profile: Profile, key: str) -> str:
    vals = profile.label_values(key)
    shown = ", ".join(vals[:MAX_VALUES])
    return shown + (f" (+{len(vals) - MAX_VALUES} more)" if len(vals) > MAX_VALUES else "")


def header_info(profile: Profile, tree: Tree) -> list[list[str]]:
    """``[label, value]`` pairs for the page header: time range, labels, losses, pruning."""
    info: list[list[str]] = []
    if profile.start_ns:
        span = _ts(profile.start_ns)
        if profile.duration_ns:
            span += f" \u2192 {_ts(profile.start_ns + profile.duration_ns)}"
        info.append(["time", span])
    if profile.duration_ns:
        info.append(["duration", f"{profile.duration_ns / 1e9:.3f} s"])
    if profile.frequency_hz:
        info.append(["frequency", f"{profile.frequency_hz:g} Hz"])
    for key in HEADER_LABELS:
        if profile.label_values(key):
            info.append([key, _values(profile, key)])
    for k, v in sorted(profile.meta.items()):
        if k != "title":
            info.append([k, str(v)])
    if profile.idle_samples:
        info.append(["idle samples", f"{profile.idle_samples:,}"])
    for k, n in sorted(profile.lost.items()):
        info.append([f"lost ({k})", f"{n:,}"])
    if tree.pruned_nodes:
        info.append(
            [
                "pruned",
                f"{tree.pruned_nodes:,} frames under {tree.min_fraction:.3%} merged into "
                f"their parents ({tree.pruned_samples:,} samples)",
            ]
        )
    return info


def base_payload(mode: str, title: str, profile: Profile, tree: Tree) -> dict[str, Any]:
    kind_index = {k: i for i, k in enumerate(KIND_NAMES)}
    seconds = f", {tree.total * profile.period_ns / 1e9:.2f} s of CPU" if profile.period_ns else ""
    return {
        "mode": mode,
        "title": title,
        "summary": f"{tree.total:,} samples{seconds}",
        "names": tree.names,
        "kinds": [kind_index.get(k, kind_index["unknown"]) for k in tree.kinds],
        "kindNames": KIND_NAMES,
        "info": header_info(profile, tree),
        "pruned": {"nodes": tree.pruned_nodes, "samples": tree.pruned_samples},
    }
