"""Renderer registry: pick an output format by name or by the output file's extension."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beholder.profiles.model import Profile
from beholder.profiles.render import diff_html, folded, html, pprof, speedscope


@dataclass(frozen=True, slots=True)
class Renderer:
    name: str
    render: Callable[..., str | bytes]  # render(profile, **options)
    extensions: tuple[str, ...]
    binary: bool
    description: str

    def write(self, profile: Profile, path: str | Path, **options: Any) -> None:
        out = self.render(profile, **options)
        p = Path(path)
        if isinstance(out, bytes):
            p.write_bytes(out)
        else:
            p.write_text(out, encoding="utf-8")


RENDERERS: dict[str, Renderer] = {
    "html": Renderer("html", html.render, (".html", ".htm"), False, "interactive flame graph"),
    "pprof": Renderer("pprof", pprof.render, pprof.EXTENSIONS, True, "gzipped profile.proto"),
    "folded": Renderer("folded", folded.render, folded.EXTENSIONS, False, "folded stacks"),
    "speedscope": Renderer(
        "speedscope", speedscope.render, (".speedscope.json",), False, "speedscope JSON"
    ),
}

# Takes two profiles (before, after), so it is not in RENDERERS; ``--diff`` style callers
# use it directly: diff_html.render(a, b).
DIFF_RENDERERS: dict[str, Callable[..., str]] = {"html": diff_html.render}

# Longest suffix first, so ".speedscope.json" wins over ".json" and ".pb.gz" over ".gz".
_BY_EXTENSION: list[tuple[str, str]] = sorted(
    [(ext, r.name) for r in RENDERERS.values() for ext in r.extensions] + [(".json", "speedscope")],
    key=lambda kv: -len(kv[0]),
)


def choices() -> str:
    exts = ", ".join(ext for ext, _ in sorted(_BY_EXTENSION, key=lambda kv: kv[1]))
    return f"formats: {', '.join(RENDERERS)}; extensions: {exts}"


def get_renderer(name: str) -> Renderer:
    try:
        return RENDERERS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown profile format {name!r} ({choices()})") from None


def renderer_for_path(path: str | Path, format: str | None = None) -> Renderer:
    """An explicit ``format`` wins; otherwise the file name's extension decides."""
    if format:
        return get_renderer(format)
    name = Path(path).name.lower()
    for ext, renderer in _BY_EXTENSION:
        if name.endswith(ext) and len(name) > len(ext):
            return RENDERERS[renderer]
    raise ValueError(f"cannot tell the profile format of {str(path)!r} ({choices()})")


__all__ = ["DIFF_RENDERERS", "RENDERERS", "Renderer", "get_renderer", "renderer_for_path"]
