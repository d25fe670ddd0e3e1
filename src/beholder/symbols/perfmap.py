"""JIT symbols from /tmp/perf-PID.map ("START SIZE name" in hex), as node --perf-basic-prof writes."""

from __future__ import annotations

import bisect


class PerfMap:
    def __init__(self, entries: list[tuple[int, int, str]]) -> None:
        # A JIT reuses memory: for one start address the last record in the file is current.
        latest = {start: (start, size, name) for start, size, name in entries}
        self._entries = sorted(latest.values())
        self._starts = [e[0] for e in self._entries]

    @classmethod
    def parse(cls, text: str) -> PerfMap:
        out: list[tuple[int, int, str]] = []
        for line in text.splitlines():
            parts = line.split(" ", 2)
            if len(parts) != 3:
                continue
            try:
                out.append((int(parts[0], 16), int(parts[1], 16), parts[2].strip()))
            except ValueError:
                continue
        return cls(out)

    @classmethod
    def read(cls, tgid: int, nspid: int | None = None) -> PerfMap | None:
        """The map of `tgid`, looked for in its own mount namespace (/proc/PID/root/tmp)."""
        names = {tgid, nspid or tgid}
        for n in names:
            for path in (f"/proc/{tgid}/root/tmp/perf-{n}.map", f"/tmp/perf-{n}.map"):
                try:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        return cls.parse(f.read())
                except OSError:
                    continue
        return None

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, addr: int) -> str | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        while i >= 0:
            start, size, name = self._entries[i]
            if addr < start + size:
                return name
            if start + (1 << 24) < addr:  # no realistic JIT function is this big
                return None
            i -= 1
        return None

