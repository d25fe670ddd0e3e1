"""Every attach type against the real kernel, with workloads whose behaviour is known."""

from __future__ import annotations

import os
import uuid

import pytest

from beholder.ebpf import NotSupported, features, open_object
from beholder.ebpf.env import cgroup2

pytestmark = pytest.mark.needs_root


def _attach_obj(test_obj, tgid: int):
    spec = open_object(test_obj("attach"))
    spec.set_rodata(target_tgid=tgid)
    return spec.load()


def test_perf_event_sampling_sees_busy_child(test_obj, workload):
    w = workload("spin", "1000")  # busy for 1 s
    with _attach_obj(test_obj, w.pid) as obj:
        links = obj.program("sample").attach_cpu_clock(frequency=99)
        assert len(links) == len(os.sched_getaffinity(0)) or len(links) >= 1
        w.go()
        samples = dict(obj.map("samples").items())
    # 1 s at 99 Hz on one CPU is ~99 samples; leave room for a noisy shared machine.
    assert samples.get(w.pid, 0) >= 40, samples


def test_uprobe_and_uretprobe_on_a_function(test_obj, workload, workload_bin):
    n = 100
    w = workload("calls", str(n))
    with _attach_obj(test_obj, w.pid) as obj:
        obj.program("on_call").attach_uprobe(str(workload_bin), "target_fn")
        obj.program("on_return").attach_uprobe(str(workload_bin), "target_fn", retprobe=True)
        out = w.go()
        c = obj.map("ucounts").lookup(0)
    assert c.calls == n
    assert c.arg_sum == sum(range(n))
    assert c.ret_sum == 2 * sum(range(n)) == int(out)


def test_cgroup_skb_counts_bytes_of_a_process_in_a_cgroup(test_obj, workload):
    n, size = 100, 1000
    path = os.path.join(cgroup2(), f"beholder-test-{uuid.uuid4().hex[:8]}")
    os.mkdir(path)
    try:
        w = workload("udp", str(n), str(size), "9")  # discard port; nobody needs to listen
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(w.pid))
        with _attach_obj(test_obj, w.pid) as obj:
            obj.program("count_egress").attach_cgroup(path)
            w.go()
            t = obj.map("egress").lookup(0)
    finally:
        os.rmdir(path)
    assert t.packets == n
    assert t.bytes == n * (size + 8 + 20)  # UDP payload + UDP header + IPv4 header


@pytest.mark.parametrize("kind,prog,slot", [
    ("kprobe", "on_kprobe", 0), ("kretprobe", "on_kretprobe", 1),
    ("fentry", "on_fentry", 2), ("fexit", "on_fexit", 3)])
def test_kprobe_and_fentry_work_or_say_why(test_obj, workload, kind, prog, slot):
    """Where doctor says the feature exists it must count for real; elsewhere the runtime must
    raise NotSupported with a hint, never a bare errno (and never skip)."""
    feature = features.probe(kind)
    w = workload("nanosleep", "50")
    spec = open_object(test_obj("kfuncs"))
    spec.set_rodata(target_tgid=w.pid)
    for p in spec.programs.values():
        p.autoload = p.name == prog
    if not feature.available:
        with pytest.raises(NotSupported) as info:
            with spec.load() as obj:
                obj.program(prog).attach()
        assert info.value.hint
        assert info.value.feature in (kind, "fentry/fexit")
        assert "not supported by this kernel" in str(info.value)
        spec.close()
        return
    with spec.load() as obj:
        obj.program(prog).attach()
        w.go()
        assert obj.map("hits").lookup(slot) == 50


def test_features_that_this_project_relies_on_are_present():
    # Every kernel beholder supports has these; if one fails, the runtime is broken here.
    for name in ("tracepoint", "raw_tracepoint", "perf_event", "uprobe", "cgroup_skb"):
        f = features.probe(name)
        assert f.available, f"{name}: {f.detail}"


def test_missing_tracepoint_is_a_clear_error(test_obj):
    with _attach_obj(test_obj, 0) as obj, pytest.raises(Exception, match="no tracepoint nosuch:thing"):
        obj.program("sample").attach_tracepoint("nosuch", "thing")
