"""The sampler against the real kernel: ratios, kernel frames, exited processes, filters, losses."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from kprof import Procs, functions, proc_gone, profile_while, wait_exit

from beholder.profiles.sampler import Filter, Sampler
from beholder.profiles.symbolize import Symbolizer

pytestmark = pytest.mark.needs_root


def test_two_hot_functions_in_a_two_to_one_ratio(cpu_bin: Path, procs: Procs) -> None:
    # Short calls (tens of µs) against a ~1 ms sampling period: no aliasing with the loop.
    p = procs.start(cpu_bin, "ratio", "4", "20000", "10000")
    prof, _ = profile_while(lambda: wait_exit(p), filter=Filter(tgids=frozenset({p.pid})),
                            frequency=999)
    assert {s.labels["pid"] for s in prof.samples} == {str(p.pid)}  # the pid filter held
    own = functions(prof)
    double, single = own.get("hot_double", 0), own.get("hot_single", 0)
    assert double + single > 500, own  # enough samples for a 15% bound
    assert abs(double / single - 2.0) <= 0.3, (double, single)
    # Frame-pointer stacks reach main and libc's start-up code above it. The heaviest stack is
    # checked: a sample on a function's first instruction, before `push rbp; mov rbp, rsp`,
    # walks from the caller's frame and skips the caller (a limit of any frame-pointer walk).
    stack = max((s for s in prof.samples if s.stack[-1].name == "hot_double"),
                key=lambda s: s.count).stack
    names = [f.name for f in stack]
    assert names[-2:] == ["main", "hot_double"], names
    assert all(f.kind == "user" and f.module == str(cpu_bin) for f in stack[-2:])


def test_syscall_heavy_program_has_kernel_frames_under_user_frames(
        cpu_bin: Path, procs: Procs) -> None:
    p = procs.start(cpu_bin, "syscalls", "3")
    prof, _ = profile_while(lambda: wait_exit(p), filter=Filter(tgids=frozenset({p.pid})))
    in_kernel = [s for s in prof.samples if any(f.kind == "kernel" for f in s.stack)]
    assert sum(s.count for s in in_kernel) > 0.3 * prof.total(), prof.top_functions(10)
    under_loop = []
    for s in in_kernel:
        kinds = [f.kind for f in s.stack]
        first_k = kinds.index("kernel")
        # Root-first: user frames, then the kernel frames of the syscall they made.
        assert set(kinds[first_k:]) == {"kernel"}, [f.name for f in s.stack]
        if "syscall_loop" in [f.name for f in s.stack[:first_k]]:
            under_loop.append([f.name for f in s.stack[first_k:]])
    assert under_loop, "no kernel frames under syscall_loop"
    flat = {n for st in under_loop for n in st}
    assert flat & {"entry_SYSCALL_64", "entry_SYSCALL_64_after_hwframe", "do_syscall_64"}, flat
    assert any(n.startswith(("__x64_sys_", "ksys_write", "vfs_write")) for n in flat), flat


def test_process_that_exits_before_the_harvest_is_symbolized(cpu_bin: Path, procs: Procs) -> None:
    sym = Symbolizer()
    with Sampler(499, on_new_tgid=sym.note_tgid) as s:
        p = procs.start(cpu_bin, "short", "400")
        wait_exit(p)
        time.sleep(0.3)
        assert proc_gone(p.pid)  # reaped: /proc/PID/maps is gone at harvest time
        h = s.harvest()
    prof = sym.profile(h)
    sym.close()
    own = functions(prof, p.pid)
    assert own.get("short_lived_hot", 0) >= 20, own
    assert not any(n.startswith("cpu+0x") for n in own), own
    labels = next(s.labels for s in prof.samples if s.labels["pid"] == str(p.pid))
    assert labels["comm"] == "cpu" and labels["exe"] == str(cpu_bin)


def test_deleted_executable_is_symbolized(cpu_bin: Path, procs: Procs, tmp_path: Path) -> None:
    exe = tmp_path / "cpu-deleted"
    exe.write_bytes(cpu_bin.read_bytes())
    exe.chmod(0o755)
    p = procs.start(exe, "ratio", "2", "200000", "100000")
    time.sleep(0.2)
    exe.unlink()  # a deploy replaced the binary under the running process
    prof, _ = profile_while(lambda: wait_exit(p), filter=Filter(tgids=frozenset({p.pid})))
    own = functions(prof)
    assert own.get("hot_double", 0) > 0 and own.get("hot_single", 0) > 0, own


def test_comm_and_cgroup_filters(cpu_bin: Path, procs: Procs) -> None:
    root = Path("/sys/fs/cgroup/unified")
    if not (root / "cgroup.procs").exists():
        root = Path("/sys/fs/cgroup")
    cg = root / f"beholder-prof-test-{os.getpid()}"
    cg.mkdir()
    try:
        p = procs.start(cpu_bin, "ratio", "2", "200000", "100000")
        other = procs.start(cpu_bin, "ratio", "2", "200000", "100000")
        (cg / "cgroup.procs").write_text(str(p.pid))
        filt = Filter(cgroup_ids=frozenset({cg.stat().st_ino}))
        prof, _ = profile_while(lambda: wait_exit(p), filter=filt)
        wait_exit(other)
        assert {s.labels["pid"] for s in prof.samples} == {str(p.pid)}
        assert {s.labels.get("cgroup") for s in prof.samples} == {"/" + cg.name}
    finally:
        cg.rmdir()
    q = procs.start(cpu_bin, "ratio", "1", "200000", "100000")
    prof, _ = profile_while(lambda: wait_exit(q), filter=Filter(comm="cpu"))
    assert prof.total() > 0 and {s.labels["comm"] for s in prof.samples} == {"cpu"}


def test_stack_collisions_are_counted_not_hidden(cpu_bin: Path, procs: Procs) -> None:
    p = procs.start(cpu_bin, "deep", "1.5")
    sym = Symbolizer()
    # Two stack slots for dozens of distinct stacks: most stack ids collide (-EEXIST).
    with Sampler(499, Filter(tgids=frozenset({p.pid})), on_new_tgid=sym.note_tgid,
                 stack_entries=2) as s:
        wait_exit(p)
        h = s.harvest()
    prof = sym.profile(h)
    sym.close()
    assert h.stats["user_stack_collisions"] > 0
    assert prof.lost["user_stack_collisions"] == h.stats["user_stack_collisions"]
    # A sample whose stack was lost is still counted, as a stackless sample of its process.
    assert prof.total() == h.total() > 0


def test_harvests_swap_without_losing_samples(cpu_bin: Path, procs: Procs) -> None:
    p = procs.start(cpu_bin, "ratio", "3", "200000", "100000")
    totals = []
    with Sampler(499, Filter(tgids=frozenset({p.pid}))) as s:
        for _ in range(6):
            time.sleep(0.4)
            totals.append(s.harvest().total())
        wait_exit(p)
        totals.append(s.harvest().total())
        stats = s.stats()
    assert all(t > 0 for t in totals[:5]), totals
    # Every sample the kernel counted came out of exactly one harvest.
    assert sum(totals) == stats["samples"], (totals, stats)


def test_process_in_another_mount_namespace_is_symbolized(cpu_bin: Path, procs: Procs,
                                                          tmp_path: Path) -> None:
    # The binary lives on a tmpfs mounted only inside the process's own mount namespace: the
    # host cannot open its path, only /proc/PID/root or /proc/PID/map_files can reach it.
    hidden = tmp_path / "ns"
    hidden.mkdir()
    script = (f"mount -t tmpfs none {hidden} && cp {cpu_bin} {hidden}/cpu && "
              f"exec {hidden}/cpu ratio 2 20000 10000")
    p = procs.start("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
    time.sleep(0.3)
    assert not (hidden / "cpu").exists()
    prof, _ = profile_while(lambda: wait_exit(p), filter=Filter(tgids=frozenset({p.pid})))
    own = functions(prof)
    assert own.get("hot_double", 0) > 0 and own.get("hot_single", 0) > 0, own
