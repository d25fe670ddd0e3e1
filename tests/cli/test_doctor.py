"""`beholder doctor` and the CLI's error paths, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from beholder.ebpf import features

BEHOLDER = str(Path(sys.executable).with_name("beholder"))


def run(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, BEHOLDER, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.needs_root
def test_doctor_json_tells_the_truth():
    res = run("doctor", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["btf"]["vmlinux"] is True
    types = report["program_types"]
    for name in ("tracepoint", "raw_tracepoint", "perf_event", "uprobe", "cgroup_skb"):
        assert types[name]["available"] is True, (name, types[name])
    # doctor and the runtime use the same probes, so they must agree.
    assert report["kprobe"] == features.probe("kprobe").available
    assert report["fentry"] == features.probe("fentry").available
    if not report["kprobe"]:
        assert "CONFIG_KPROBES" in types["kprobe"]["detail"] or types["kprobe"]["detail"]
        assert types["kprobe"]["hint"]
    # flows takes its tracepoint path on every kernel (FlowCollector.path says the same)
    assert report["features"]["flows"]["path"] == "tracepoint"
    assert report["perf_events"]["software"] is True
    assert report["cgroup_v2"].startswith("/")
    assert set(report["filesystems"]) >= {"tracefs", "debugfs", "bpf", "cgroup2"}
    assert report["lockdown"]


@pytest.mark.needs_root
def test_doctor_text():
    res = run("doctor")
    assert res.returncode == 0, res.stderr
    assert "program types" in res.stdout and "tracepoint" in res.stdout


@pytest.mark.needs_root
def test_non_root_user_gets_one_line_error():
    res = run("doctor", prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "needs root" in lines[0] and "CAP_BPF" in lines[0]


@pytest.mark.needs_root
def test_root_without_capabilities_gets_one_line_error():
    res = run("doctor", prefix=("setpriv", "--bounding-set=-all", "--inh-caps=-all"))
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "missing CAP_BPF, CAP_PERFMON" in lines[0]


@pytest.mark.parametrize("args", [("doctor", "--bogus"), ("no-such-command",)])
def test_bad_flags_and_commands_are_one_line(args):
    res = run(*args)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_version():
    res = run("--version")
    assert res.returncode == 0 and "beholder" in res.stdout


def test_env_has_no_ctypes_above_the_kernel_package():
    """The kernel boundary is one package: nothing else imports ctypes."""
    src = Path(__file__).resolve().parents[2] / "src" / "beholder"
    offenders = [str(p.relative_to(src)) for p in src.rglob("*.py")
                 if p.parts[len(src.parts)] != "kernel" and
                 any(line.strip().startswith(("import ctypes", "from ctypes"))
                     for line in p.read_text().splitlines())]
    assert offenders == []
    assert os.path.isdir(src / "kernel")
