"""Shared test fixtures: privilege markers, CI enforcement, leak checks, test programs."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_BPF = ROOT / "tests" / "bpf" / "build"
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_root: needs root and a real kernel")
    # Tests press Ctrl-C (SIGINT) on the CLIs they start. A suite launched in the background
    # by a non-interactive shell (`cmd &`) inherits SIGINT *ignored*, and so would every
    # child: the CLI would never see the Ctrl-C. Handlers are reset on exec, so installing
    # one here gives each child the default disposition back.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_root") and os.geteuid() != 0:
        if CI:
            pytest.fail("privileged test cannot run: CI=true requires root")
        pytest.skip("needs root (run the suite as root, as `make test` does)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    # Under CI a privileged test may not skip: a skip would hide a broken kernel path.
    if CI and report.skipped and item.get_closest_marker("needs_root"):
        report.outcome = "failed"
        report.longrepr = f"privileged test skipped under CI=true: {report.longrepr}"


def _bpf_fds() -> set[str]:
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("anon_inode:") and ("bpf" in target or "perf_event" in target):
            out.add(f"{fd}:{target}")
    return out


@pytest.fixture(autouse=True)
def no_leaked_bpf_fds(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test must leave no BPF program, map, link or perf event fd behind."""
    gc.collect()
    before = _bpf_fds()
    yield
    gc.collect()
    leaked = _bpf_fds() - before
    if leaked and not request.node.get_closest_marker("allow_fd_cache"):
        pytest.fail(f"leaked BPF file descriptors: {sorted(leaked)}")


def _prog_ids() -> set[int]:
    from beholder.kernel import libbpf as k

    ids: set[int] = set()
    cur = k.u32_out()
    start = 0
    while k.lib.bpf_prog_get_next_id(start, k.byref(cur)) == 0:
        start = cur.value
        ids.add(start)
    return ids


_session_prog_ids: set[int] = set()


def _held_by_other_processes() -> set[int]:
    """Program ids that another live process holds through an fd (its own, not our leak)."""
    held: set[int] = set()
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        try:
            for fd in os.listdir(f"/proc/{pid}/fdinfo"):
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    for line in f:
                        if line.startswith("prog_id:"):
                            held.add(int(line.split()[1]))
        except OSError:
            continue
    return held


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.geteuid() == 0:
        _session_prog_ids.update(_prog_ids())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Programs loaded during the run and still in the kernel mean something stayed attached.
    if os.geteuid() != 0 or not CI:
        return  # outside CI other tools on the machine may load programs meanwhile
    gc.collect()
    left = _prog_ids() - _session_prog_ids - _held_by_other_processes()
    if left:
        print(f"\nERROR: BPF programs loaded by the tests are still in the kernel: {sorted(left)}")
        session.exitstatus = 1


@pytest.fixture(scope="session")
def test_obj() -> object:
    def path(name: str) -> Path:
        p = TEST_BPF / f"{name}.bpf.o"
        if not p.exists():
            pytest.fail(f"{p} not built: run `make test`, which builds the test objects")
        return p

    return path


@pytest.fixture(scope="session")
def workload_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/progs/workload.c compiled with frame pointers everywhere (see KERNEL-NOTES)."""
    out = tmp_path_factory.mktemp("progs") / "workload"
    subprocess.run(["gcc", "-O1", "-g", "-fno-omit-frame-pointer", "-mno-omit-leaf-frame-pointer",
                    "-fno-optimize-sibling-calls", "-o", str(out),
                    str(ROOT / "tests" / "progs" / "workload.c")], check=True)
    return out


class Workload:
    """A started workload process, paused until `go()`."""

    def __init__(self, binary: Path, *args: str) -> None:
        self.proc = subprocess.Popen([str(binary), *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", line
        self.pid = self.proc.pid

    def go(self, timeout: float = 60) -> str:
        out, _ = self.proc.communicate("go\n", timeout=timeout)
        assert self.proc.returncode == 0, self.proc.returncode
        return out

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def workload(workload_bin: Path) -> Iterator[object]:
    started: list[Workload] = []

    def start(*args: str) -> Workload:
        w = Workload(workload_bin, *args)
        started.append(w)
        return w

    yield start
    for w in started:
        w.kill()
