"""Brendan Gregg's folded stacks (`root;...;leaf count`), for flamegraph.pl and speedscope."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from beholder.profiles.model import Frame, FrameKind, Profile, Sample

Prefix = Literal["comm", "pid", "comm-pid"] | None
EXTENSIONS = (".folded", ".txt")
BINARY = False

# flamegraph.pl --color=java convention: the suffix survives tools that know nothing of
# kinds, and lets parse_folded recover them.
_SUFFIX: dict[FrameKind, str] = {"kernel": "_[k]", "jit": "_[j]"}
_KIND_OF = {v: k for k, v in _SUFFIX.items()}


def _clean(name: str) -> str:
    # ';' separates frames and the last ' ' the count; newlines would split a record.
    return name.replace(";", ":").replace("\n", " ").replace("\r", " ") or "[unknown]"


def _prefix(s: Sample, prefix: Prefix) -> list[str]:
    comm = s.labels.get("comm", "[unknown]")
    pid = s.labels.get("pid", "?")
    if prefix == "comm":
        return [_clean(comm)]
    if prefix == "pid":
        return [_clean(pid)]
    if prefix == "comm-pid":
        return [_clean(f"{comm}-{pid}")]
    return []


def render(profile: Profile, prefix: Prefix = "comm", annotate: bool = True) -> str:
    """One line per distinct stack, sorted; ``annotate`` adds _[k]/_[j] kind suffixes."""
    fname = profile.namer()
    lines: dict[str, int] = {}
    for s in profile.samples:
        names = _prefix(s, prefix)
        for f in s.stack:
            n = _clean(fname(f))
            names.append(n + _SUFFIX.get(f.kind, "") if annotate else n)
        key = ";".join(names) or "[empty]"
        lines[key] = lines.get(key, 0) + s.count
    return "".join(f"{k} {n}\n" for k, n in sorted(lines.items()))


def _frame(token: str) -> Frame:
    for suffix, kind in _KIND_OF.items():
        if token.endswith(suffix):
            return Frame(
                token[: -len(suffix)], "[kernel.kallsyms]" if kind == "kernel" else "", 0, kind
            )
    return Frame(token, "", 0, "user")


def parse_folded(
    text: str | Iterable[str], prefix: Prefix = "comm", frequency_hz: float = 0.0
) -> Profile:
    """Parse folded stacks; with ``prefix`` the first element becomes comm/pid labels."""
    lines = text.splitlines() if isinstance(text, str) else text
    frames: dict[str, Frame] = {}
    rows: list[tuple[list[Frame], int, dict[str, str]]] = []
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        stack_text, _, count_text = line.rpartition(" ")
        try:
            count = int(count_text)
        except ValueError:
            raise ValueError(f"line {lineno}: no sample count: {line[:80]!r}") from None
        tokens = stack_text.split(";") if stack_text and stack_text != "[empty]" else []
        labels: dict[str, str] = {}
        if prefix and tokens:
            head = tokens.pop(0)
            if prefix == "comm":
                labels["comm"] = head
            elif prefix == "pid":
                labels["pid"] = head
            else:
                comm, _, pid = head.rpartition("-")
                if comm and pid.isdigit():
                    labels.update(comm=comm, pid=pid)
                else:
                    labels["comm"] = head
        stack = [frames.get(t) or frames.setdefault(t, _frame(t)) for t in tokens]
        rows.append((stack, count, labels))
    return Profile.from_stacks(rows, frequency_hz=frequency_hz)
