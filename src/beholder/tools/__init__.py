"""Shipped tools: classic one-liners written in the trace language, run as `beholder tool NAME`.

Each tool is a .bt file here. Lines starting with `//@` declare its options:
`//@option -n $1 COMM  only processes named COMM` maps the flag to positional parameter $1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
_OPTION = re.compile(r"^//@option\s+(-\w)\s+\$(\d+)\s+(\S+)\s+(.*)$")
_DESCRIPTION = re.compile(r"^//@about\s+(.*)$")


@dataclass
class Tool:
    name: str
    path: Path
    about: str = ""
    options: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # flag -> ($N, metavar, help)

    @property
    def source(self) -> str:
        return self.path.read_text()

    def params(self, argv: list[str]) -> list[str]:
        """Turn `-n nginx 10` into positional parameters, by the tool's declared options."""
        slots: dict[int, str] = {}
        rest: list[str] = []
        it = iter(argv)
        for arg in it:
            if arg in self.options:
                index = self.options[arg][0]
                try:
                    slots[index] = next(it)
                except StopIteration:
                    raise ValueError(f"{self.name}: option {arg} needs a value") from None
            elif arg.startswith("-") and not arg.lstrip("-").isdigit():
                known = ", ".join(self.options) or "none"
                raise ValueError(f"{self.name}: unknown option {arg} (options: {known})")
            else:
                rest.append(arg)
        n = max([*slots, len(rest)], default=0)
        out = []
        for i in range(1, n + 1):
            out.append(slots[i] if i in slots else (rest.pop(0) if rest else ""))
        return out


def load(path: Path) -> Tool:
    tool = Tool(path.stem, path)
    for line in path.read_text().splitlines():
        if m := _OPTION.match(line):
            tool.options[m[1]] = (int(m[2]), m[3], m[4])
        elif m := _DESCRIPTION.match(line):
            tool.about = m[1]
    return tool


def all_tools() -> dict[str, Tool]:
    return {p.stem: load(p) for p in sorted(HERE.glob("*.bt"))}
