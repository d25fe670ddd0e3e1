"""Program: a loaded BPF program and the ways to attach it."""

from __future__ import annotations

import os
from typing import Any

from beholder.kernel import libbpf as k
from beholder.kernel import perf as kperf
from beholder.kernel.libbpf import lib

from . import env, features
from .errors import AttachError, NotSupported
from .link import Link


class Program:
    """A loaded program. Every attach returns a Link and records it with the owning
    Object, so closing the Object detaches everything deterministically."""

    def __init__(self, name: str, section: str, prog_type: int, handle: int,
                 links: list[Any]) -> None:
        self.name, self.section, self.prog_type = name, section, prog_type
        self._handle = handle
        self._links = links

    @property
    def fd(self) -> int:
        return int(lib.bpf_program__fd(self._handle))

    def _link(self, ptr: int | None, what: str, lines: list[str], perf_fd: int | None = None) -> Link:
        if not ptr:
            err = k.errno() or 22
            if perf_fd is not None:  # libbpf takes the perf fd only when the attach succeeds
                os.close(perf_fd)
            detail = f"; libbpf: {lines[-1]}" if lines else ""
            raise AttachError(f"cannot attach program '{self.name}' to {what}: "
                              f"{os.strerror(err)}{detail}")
        link = Link(ptr, f"{self.name} -> {what}")
        self._links.append(link)
        return link

    def attach(self) -> Link:
        """Attach where the ELF section says (e.g. SEC("tracepoint/sched/sched_switch"))."""
        self._check_section()
        with k.captured_log() as lines:
            ptr = lib.bpf_program__attach(self._handle)
        return self._link(ptr, f"section {self.section}", lines)

    def _check_section(self) -> None:
        kind = self.section.split("/", 1)[0].removesuffix(".s")
        if kind in ("kprobe", "kretprobe", "fentry", "fexit"):
            features.require(kind)
        elif kind == "fmod_ret":
            features.require("fentry")

    def attach_tracepoint(self, category: str, name: str) -> Link:
        env.tracefs()
        with k.captured_log() as lines:
            ptr = lib.bpf_program__attach_tracepoint(self._handle, category.encode(), name.encode())
        if not ptr and not os.path.isdir(os.path.join(env.tracefs(), "events", category, name)):
            raise AttachError(f"no tracepoint {category}:{name} on this kernel "
                              f"(see {env.tracefs()}/available_events)")
        return self._link(ptr, f"tracepoint {category}:{name}", lines)

    def attach_raw_tracepoint(self, name: str) -> Link:
        with k.captured_log() as lines:
            ptr = lib.bpf_program__attach_raw_tracepoint(self._handle, name.encode())
        return self._link(ptr, f"raw tracepoint {name}", lines)

    def attach_btf(self) -> Link:
        """Attach a BTF-typed program (tp_btf, fentry, fexit) to its target from the section."""
        self._check_section()
        with k.captured_log() as lines:
            ptr = lib.bpf_program__attach_trace(self._handle)
        return self._link(ptr, f"{self.section}", lines)

    def attach_kprobe(self, function: str, retprobe: bool = False) -> Link:
        features.require("kretprobe" if retprobe else "kprobe")
        with k.captured_log() as lines:
            ptr = lib.bpf_program__attach_kprobe(self._handle, retprobe, function.encode())
        return self._link(ptr, f"{'kretprobe' if retprobe else 'kprobe'} {function}", lines)

    def attach_uprobe(self, binary: str, symbol: str | None = None, *, offset: int = 0,
                      pid: int = -1, retprobe: bool = False) -> Link:
        """Attach to `symbol` (or a file offset) in an ELF file; pid -1 means every process."""
        if not os.path.exists(binary):
            raise AttachError(f"cannot attach program '{self.name}': no such file {binary}")
        opts = k.uprobe_opts(symbol, retprobe)
        with k.captured_log() as lines:
            ptr = lib.bpf_program__attach_uprobe_opts(self._handle, pid, binary.encode(), offset,
                                                      k.byref(opts))
        kind = "uretprobe" if retprobe else "uprobe"
        return self._link(ptr, f"{kind} {binary}:{symbol or hex(offset)}", lines)

    def attach_perf_event(self, perf_fd: int, description: str = "perf event") -> Link:
        """Attach to an open perf event fd; the Link takes ownership of the fd."""
        with k.captured_log() as lines:
            ptr = lib.bpf_program__attach_perf_event(self._handle, perf_fd)
        return self._link(ptr, description, lines, perf_fd=perf_fd)

    def attach_cpu_clock(self, frequency: int) -> list[Link]:
        """Sample every online CPU with the software cpu-clock at `frequency` Hz."""
        if frequency <= 0:
            raise ValueError("frequency must be positive")
        return self.attach_perf_sampling(kperf.PERF_TYPE_SOFTWARE, kperf.PERF_COUNT_SW_CPU_CLOCK,
                                         frequency=frequency)

    def attach_perf_sampling(self, type_: int, config: int, *, frequency: int = 0,
                             period: int = 0, cpus: list[int] | None = None) -> list[Link]:
        """Open a sampling perf event on each CPU (default: all online) and attach to each."""
        if (frequency <= 0) == (period <= 0):
            raise ValueError("give exactly one of a positive frequency or period")
        what = f"{frequency} Hz" if frequency else f"every {period}"
        links: list[Link] = []
        try:
            for cpu in kperf.online_cpus() if cpus is None else cpus:
                try:
                    fd = kperf.open_event(type_, config, cpu=cpu, freq=frequency, period=period)
                except OSError as e:
                    raise AttachError(f"perf_event_open(type {type_}, config {config}, cpu {cpu}): "
                                      f"{e.strerror}") from e
                links.append(self.attach_perf_event(fd, f"perf {type_}/{config} {what} on cpu {cpu}"))
        except BaseException:
            for link in links:
                link.close()
            raise
        return links

    def test_run(self, ctx: bytes = b"") -> int:
        """Run the program once now, in this task (raw tracepoint / syscall programs)."""
        try:
            return k.prog_test_run(self.fd, ctx)
        except OSError as e:
            raise AttachError(f"cannot run program '{self.name}': {e.strerror}") from e

    def attach_cgroup(self, path: str) -> Link:
        """Attach a cgroup program (cgroup_skb, cgroup/connect4, sockops...) to a v2 cgroup."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            raise AttachError(f"cannot open cgroup {path}: {e.strerror}") from e
        try:
            with k.captured_log() as lines:
                ptr = lib.bpf_program__attach_cgroup(self._handle, fd)
        finally:
            os.close(fd)  # the link holds its own reference to the cgroup
        return self._link(ptr, f"cgroup {path}", lines)

    def __repr__(self) -> str:
        return f"<Program {self.name} section={self.section}>"


__all__ = ["Program", "NotSupported"]
