"""Addresses to names for ksym/usym/kstack/ustack values (on the shared beholder.symbols)."""

from __future__ import annotations

import bisect
import os
from functools import cached_property
from typing import Any


class Symbols:
    """Lazy: nothing is read until a stack or symbol value is printed."""

    def __init__(self) -> None:
        self._maps: dict[int, list[Any]] = {}

    @cached_property
    def _kernel(self) -> tuple[list[int], list[str]]:
        starts: list[int] = []
        names: list[str] = []
        rows = []
        with open("/proc/kallsyms", encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[1] in "tTwW" and parts[0] != "0" * len(parts[0]):
                    rows.append((int(parts[0], 16), parts[2]))
        rows.sort()
        for addr, name in rows:
            starts.append(addr)
            names.append(name)
        return starts, names

    def kernel(self, addr: int, offset: bool = False) -> str:
        starts, names = self._kernel
        i = bisect.bisect_right(starts, addr) - 1
        if i < 0:
            return hex(addr)
        return f"{names[i]}+{addr - starts[i]}" if offset else names[i]

    def remember(self, pid: int) -> None:
        """Snapshot a live process's maps now, so its stacks still resolve after it exits."""
        from beholder.symbols.procmaps import parse_maps

        try:
            with open(f"/proc/{pid}/maps") as f:
                maps = [m for m in parse_maps(f.read()) if m.executable]
        except OSError:
            return
        if maps:
            self._maps[pid] = maps

    def _process_maps(self, pid: int) -> list[Any]:
        if pid not in self._maps:
            from beholder.symbols.procmaps import parse_maps

            try:
                with open(f"/proc/{pid}/maps") as f:
                    self._maps[pid] = [m for m in parse_maps(f.read()) if m.executable]
            except OSError:
                self._maps[pid] = []
        return self._maps[pid]

    def user(self, pid: int, addr: int, offset: bool = False) -> str:
        from beholder.symbols import elfsyms

        for m in self._process_maps(pid):
            if m.start <= addr < m.end and m.file_backed:
                root = f"/proc/{pid}/root{m.path}"
                syms = elfsyms.load(root if os.path.exists(root) else m.path)
                if syms is None:
                    break
                vaddr = syms.vaddr(addr - m.start + m.offset)
                found = syms.lookup_offset(vaddr) if vaddr is not None else None
                if found:
                    return f"{found[0]}+{found[1]}" if offset else found[0]
                break
        return hex(addr)
