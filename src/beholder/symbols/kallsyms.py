"""Kernel symbols from /proc/kallsyms (root sees real addresses; kptr_restrict hides them otherwise)."""

from __future__ import annotations

import bisect
from array import array
from pathlib import Path


class KernelSymbols:
    """Sorted text symbols; `lookup(addr)` gives the symbol at or below `addr`.

    ~200k symbols: addresses live in an array and names stay in the file's text, decoded on
    lookup, so the table costs a few MB instead of tens."""

    def __init__(self, path: str | Path = "/proc/kallsyms") -> None:
        with open(path, "rb") as f:
            self._text = f.read()
        rows: list[tuple[int, int]] = []  # (address, offset of the line in _text)
        text, pos, n = self._text, 0, len(self._text)
        while pos < n:
            end = text.find(b"\n", pos)
            if end < 0:
                end = n
            # "ffffffff81000000 T _stext" / "... t name\t[module]"
            if end - pos > 19 and text[pos + 17:pos + 18] in b"tTwW" and text[pos + 18] == 32:
                addr = int(text[pos:pos + 16], 16)
                if addr:
                    rows.append((addr, pos + 19))
            pos = end + 1
        rows.sort()
        self._starts = array("Q", (r[0] for r in rows))
        self._names = array("Q", (r[1] for r in rows))
        # Past the last text symbol nothing is known; bound lookups there.
        self._end = rows[-1][0] + (1 << 20) if rows else 0

    @property
    def readable(self) -> bool:
        """False when every address reads as 0 (kptr_restrict without privileges)."""
        return len(self._starts) > 0

    def __len__(self) -> int:
        return len(self._starts)

    def lookup(self, addr: int) -> tuple[str, str] | None:
        """(symbol, module) for a kernel address, or None."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0 or addr >= self._end:
            return None
        off = self._names[i]
        end = self._text.find(b"\n", off)
        name, _, module = self._text[off:end if end >= 0 else None].decode(
            errors="replace").partition("\t")
        return name, module.strip().strip("[]") or "[kernel]"
