"""Harvest -> Profile: unwind, then name every address (kernel, ELF, JIT), never dropping one.

A frame that cannot be named becomes `module+0xoffset` (file offset for file-backed code, the
address otherwise), through the model's unknown frames.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import cast

from beholder.profiles.model import Frame, Mapping, Profile
from beholder.profiles.sampler import Harvest, RawSample
from beholder.profiles.symbolize.unwind import FramePointerUnwinder, Unwinder
from beholder.symbols.cgroups import CgroupNames
from beholder.symbols.elfsyms import ElfCache, ElfSymbols, vdso
from beholder.symbols.kallsyms import KernelSymbols
from beholder.symbols.perfmap import PerfMap
from beholder.symbols.procmaps import MapEntry, ProcessMaps, ProcessTable

KERNEL = "[kernel]"


@dataclass
class SymbolizeStats:
    frames: int = 0
    unknown: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)


class Symbolizer:
    """Long-lived: keeps ELF tables (by build id), kallsyms, process snapshots and perf maps."""

    def __init__(self, unwinder: Unwinder | None = None, keep_exited_s: float = 120.0) -> None:
        self.unwinder: Unwinder = unwinder or FramePointerUnwinder()
        self.procs = ProcessTable(keep_exited_s)
        self.elfs = ElfCache()
        self.cgroups = CgroupNames()
        self._kernel: KernelSymbols | None = None
        self._vdso: ElfSymbols | None | bool = False  # False: not read yet
        self._perfmaps: dict[int, tuple[float, PerfMap]] = {}
        self.node = socket.gethostname()
        self.last = SymbolizeStats()

    # -- feeds --

    def note_tgid(self, tgid: int) -> None:
        """Called as soon as the kernel announces a newly sampled tgid."""
        self.procs.note(tgid)

    @property
    def kernel(self) -> KernelSymbols:
        if self._kernel is None:
            self._kernel = KernelSymbols()
        return self._kernel

    # -- harvest -> profile --

    def profile(self, harvest: Harvest, meta: dict[str, str] | None = None) -> Profile:
        t0 = time.perf_counter()
        self.last = SymbolizeStats()
        cache: dict[tuple[int, int, bool], Frame] = {}
        kcache: dict[int, Frame] = {}
        used: dict[Mapping, None] = {}
        stacks = []
        for s in harvest.samples:
            pm = self.procs.get(s.tgid) if s.tgid else None
            user = self.unwinder.unwind(s, pm)
            frames: list[Frame] = []
            for i, addr in enumerate(reversed(user)):
                leaf = i == len(user) - 1
                key = (s.tgid, addr, leaf)
                f = cache.get(key)
                if f is None:
                    f, pm = self._user_frame(s.tgid, pm, addr, leaf, used)
                    cache[key] = f
                frames.append(f)
            for addr in reversed(s.kernel):
                kf = kcache.get(addr)
                if kf is None:
                    kf = kcache[addr] = self._kernel_frame(addr)
                frames.append(kf)
            self.last.frames += len(frames)
            stacks.append((frames, s.count, self._labels(s, pm)))
        self.procs.sweep()
        # pprof names the profile after its first mapping: put executables before libraries.
        exes = {lb.get("exe") for _, _, lb in stacks}
        mappings = sorted(used, key=lambda m: m.file not in exes)
        info = {"node": self.node, "unwinder": self.unwinder.name}
        info.update(meta or {})
        prof = Profile.from_stacks(
            stacks, frequency_hz=float(harvest.frequency_hz), start_ns=harvest.start_ns,
            duration_ns=harvest.end_ns - harvest.start_ns, mappings=mappings, meta=info,
            lost=harvest.lost, idle_samples=harvest.stats.get("idle", 0))
        self.last.seconds = time.perf_counter() - t0
        return prof

    def _labels(self, s: RawSample, pm: ProcessMaps | None) -> dict[str, str]:
        labels = {"pid": str(s.tgid), "comm": s.comm}
        if pm is not None and pm.exe:
            labels["exe"] = pm.exe
        if s.cgroup_id:
            path = self.cgroups.path(s.cgroup_id)
            if path:
                labels["cgroup"] = path
            container = self.cgroups.container(s.cgroup_id)
            if container:
                labels["container"] = container
        return labels

    def _kernel_frame(self, addr: int) -> Frame:
        hit = self.kernel.lookup(addr)
        self._count("kernel" if hit else "unknown")
        if hit is None:
            return Frame.unknown(KERNEL, addr, "kernel")
        name, module = hit
        return Frame(name, KERNEL if module == "[kernel]" else module, addr, "kernel")

    def _user_frame(self, tgid: int, pm: ProcessMaps | None, addr: int, leaf: bool,
                    used: dict[Mapping, None]) -> tuple[Frame, ProcessMaps | None]:
        # A return address points after the call; look up the call itself.
        look = addr if leaf else addr - 1
        entry = pm.find(look) if pm is not None else None
        if entry is None and tgid:
            pm = self.procs.refresh(tgid)  # new mapping since the snapshot (dlopen, JIT)
            entry = pm.find(look) if pm is not None else None
        if pm is None or entry is None:
            self._count("unknown")
            jit = self._jit(tgid, pm, look)
            return (jit if jit is not None else Frame.unknown("[unknown]", addr)), pm
        if entry.path == "[vdso]":
            return self._vdso_frame(entry, addr, look), pm
        if not entry.file_backed:
            jit = self._jit(tgid, pm, look)
            if jit is not None:
                return jit, pm
            self._count("unknown")
            return Frame.unknown(entry.path or "[anon]", addr), pm
        return self._elf_frame(pm, entry, addr, look, used), pm

    def _elf_frame(self, pm: ProcessMaps, entry: MapEntry, addr: int, look: int,
                   used: dict[Mapping, None]) -> Frame:
        if entry.path in pm.symbols:
            syms = cast(ElfSymbols | None, pm.symbols[entry.path])
        else:
            syms = pm.symbols[entry.path] = self.elfs.get(pm.file_path(entry))
        file_offset = look - entry.start + entry.offset
        used[Mapping(entry.start, entry.end, entry.offset, entry.path,
                     syms.build_id if syms else "")] = None
        if syms is not None:
            vaddr = syms.vaddr(file_offset)
            name = syms.lookup(vaddr) if vaddr is not None else None
            if name:
                self._count("user")
                return Frame(name, entry.path, addr, "user")
        self._count("unknown")
        # The file offset (not the address) names it: stable across ASLR and processes.
        return Frame.unknown(entry.path, file_offset + (addr - look))

    def _vdso_frame(self, entry: MapEntry, addr: int, look: int) -> Frame:
        if self._vdso is False:
            self._vdso = vdso()
        syms = self._vdso if isinstance(self._vdso, ElfSymbols) else None
        vaddr = syms.vaddr(look - entry.start) if syms is not None else None
        name = syms.lookup(vaddr) if syms is not None and vaddr is not None else None
        self._count("user" if name else "unknown")
        if name:
            return Frame(name, "[vdso]", addr, "user")
        return Frame.unknown("[vdso]", addr - entry.start)

    def _jit(self, tgid: int, pm: ProcessMaps | None, addr: int) -> Frame | None:
        if not tgid:
            return None
        pmap = self._perfmap(tgid, pm)
        name = pmap.lookup(addr) if pmap is not None else None
        if name is None:
            return None
        self._count("jit")
        return Frame(name, f"perf-{tgid}.map", addr, "jit")

    def _perfmap(self, tgid: int, pm: ProcessMaps | None) -> PerfMap | None:
        """Re-read when the file grew; keep the last copy once the process is gone."""
        nspid = pm.nspid if pm is not None else tgid
        mtime = None
        # Through the process's root while it lives (containers); the file usually outlives
        # the process, so the host's /tmp is tried after it exits.
        for path in (f"/proc/{tgid}/root/tmp/perf-{nspid}.map", f"/tmp/perf-{tgid}.map"):
            try:
                mtime = os.stat(path).st_mtime
                break
            except OSError:
                continue
        if mtime is None:
            have = self._perfmaps.get(tgid)
            return have[1] if have else None
        have = self._perfmaps.get(tgid)
        if have is None or have[0] != mtime:
            pmap = PerfMap.read(tgid, nspid)
            if pmap is None:
                return have[1] if have else None
            self._perfmaps[tgid] = (mtime, pmap)
            return pmap
        return have[1]

    def _count(self, kind: str) -> None:
        self.last.by_kind[kind] = self.last.by_kind.get(kind, 0) + 1
        if kind == "unknown":
            self.last.unknown += 1

    def close(self) -> None:
        self.procs.close()
