"""The kprobe/kretprobe/fentry/fexit paths that the rest of the suite does not take for real.

On a kernel with the feature (Debian 6.1 in `make test-kernels`) each test must count real
events; on one without it (the build machines: tracepoint-only) it must get NotSupported or
trace's advice. Never a skip: a feature doctor reports must work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from beholder.ebpf import NotSupported, features, open_object

pytestmark = pytest.mark.needs_root

BEHOLDER = str(Path(sys.executable).with_name("beholder"))
SLOT = {"kprobe": 0, "kretprobe": 1, "fentry": 2, "fexit": 3}
PROG = {"kprobe": "on_kprobe", "kretprobe": "on_kretprobe", "fentry": "on_fentry",
        "fexit": "on_fexit"}


def _spec(test_obj, prog: str, tgid: int):
    spec = open_object(test_obj("kfuncs"))
    spec.set_rodata(target_tgid=tgid)
    for p in spec.programs.values():
        p.autoload = p.name == prog
    return spec


def _refused(spec, attach) -> NotSupported:
    with pytest.raises(NotSupported) as info:
        with spec.load() as obj:
            attach(obj)
    spec.close()
    assert info.value.hint, info.value
    return info.value


@pytest.mark.parametrize("kind", ["kprobe", "kretprobe"])
def test_attach_kprobe_by_function_name(test_obj, workload, kind):
    """Program.attach_kprobe(function, retprobe=): the call trace's kprobe: probes use."""
    w = workload("nanosleep", "30")
    spec = _spec(test_obj, PROG[kind], w.pid)

    def attach(obj):
        return obj.program(PROG[kind]).attach_kprobe("do_nanosleep", retprobe=kind == "kretprobe")

    if not features.probe(kind).available:
        assert _refused(spec, attach).feature == kind
        return
    with spec.load() as obj:
        attach(obj)
        w.go()
        assert obj.map("hits").lookup(SLOT[kind]) == 30


@pytest.mark.parametrize("kind", ["fentry", "fexit"])
def test_attach_btf_fentry_fexit(test_obj, workload, kind):
    """Program.attach_btf(): the call trace's kfunc:/kretfunc: probes use."""
    w = workload("nanosleep", "30")
    spec = _spec(test_obj, PROG[kind], w.pid)

    def attach(obj):
        return obj.program(PROG[kind]).attach_btf()

    if not features.probe(kind).available:
        assert _refused(spec, attach).feature in (kind, "fentry/fexit")
        return
    with spec.load() as obj:
        attach(obj)
        w.go()
        assert obj.map("hits").lookup(SLOT[kind]) == 30


def _trace(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BEHOLDER, "trace", *args], capture_output=True, text=True, timeout=600)


def _maps(stdout: str) -> dict[str, str]:
    return dict(ln.split(": ", 1) for ln in stdout.splitlines() if ln.startswith("@") and ": " in ln)


def test_trace_kprobe_and_kretprobe_with_arg_and_retval():
    prog = ("kprobe:do_nanosleep /pid == cpid/ { @calls = count(); @mode = max(arg1); } "
            "kretprobe:do_nanosleep /pid == cpid/ { @rets = count(); @ret = max(retval); }")
    res = _trace("-c", "sleep 0.2", "-e", prog)
    if not features.probe("kprobe").available:
        assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
        assert "tracepoint" in res.stderr, res.stderr  # the advice names one
        return
    assert res.returncode == 0, res.stderr
    m = _maps(res.stdout)
    assert m.get("@calls") == "1" and m.get("@rets") == "1", res.stdout
    assert int(m["@ret"]) == 0, res.stdout  # do_nanosleep returns 0 when the sleep completes


def test_trace_fentry_and_fexit_spellings_with_typed_args():
    prog = ("fentry:vfs_read /pid == cpid/ { @reads = count(); @size = max(args->count); } "
            "fexit:vfs_read /pid == cpid/ { @ret = max(retval); }")
    res = _trace("-c", "cat /etc/hostname", "-e", prog)
    if not features.probe("fentry").available:
        assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
        assert "use tracepoint:syscalls:sys_enter_read instead" in res.stderr, res.stderr
        return
    assert res.returncode == 0, res.stderr
    m = _maps(res.stdout)
    assert int(m["@reads"]) >= 1 and int(m["@size"]) >= 1, res.stdout
    assert int(m["@ret"]) >= 1, res.stdout  # at least the file's bytes in one read


def test_doctor_matches_the_kernel_matrix():
    """kernels/run.py passes the matrix's `expect` for this kernel: a kprobe kernel whose probe
    wrongly said "no" would otherwise pass every test above through the NotSupported branch."""
    expect = json.loads(os.environ.get("BEHOLDER_KERNEL_EXPECT") or "{}")
    names = {"btf": None, "kprobe": "kprobe", "kretprobe": "kretprobe", "fentry": "fentry",
             "fexit": "fexit", "tp_btf": "tp_btf", "tracepoint": "tracepoint",
             "perf_event": "perf_event", "uprobe": "uprobe", "cgroup_skb": "cgroup_skb"}
    for key, want in expect.items():
        if key == "btf":
            got = os.path.exists("/sys/kernel/btf/vmlinux")
            assert got is want, f"btf: {got}, the matrix expects {want}"
            continue
        assert key in names, f"unknown feature {key} in BEHOLDER_KERNEL_EXPECT"
        f = features.probe(names[key])  # type: ignore[arg-type]
        assert f.available is want, f"{key}: available={f.available}, expected {want}: {f.detail}"
