"""The runtime against the real kernel: load, rodata, maps, ring buffers, verifier errors."""

from __future__ import annotations

import pytest

from beholder.ebpf import LoadError, VerifierError, open_object
from beholder.ebpf.maps import PERCPU_ARRAY, possible_cpus
from beholder.ebpf.ringbuf import RingBuffer

pytestmark = pytest.mark.needs_root

N = 5000


def _load_counters(test_obj, tgid: int, ring_bytes: int | None = None):
    spec = open_object(test_obj("counters"))
    spec.set_rodata(target_tgid=tgid)
    if ring_bytes:
        spec.set_max_entries(events=ring_bytes)
    return spec.load()


def test_spec_is_inspectable_before_load(test_obj):
    with open_object(test_obj("counters")) as spec:
        assert "count_getppid" in spec.programs
        assert spec.programs["count_getppid"].section == "tracepoint/syscalls/sys_enter_getppid"
        assert {"calls", "percpu_calls", "events", "events_lost"} <= set(spec.maps)
        assert spec.maps["calls"].max_entries == 64
        with pytest.raises(KeyError, match="no read-only global 'nope'"):
            spec.set_rodata(nope=1)


def test_tracepoint_counts_exact_syscalls_with_typed_keys(test_obj, workload):
    w = workload("getppid", str(N))
    with _load_counters(test_obj, w.pid) as obj:
        obj.program("count_getppid").attach_tracepoint("syscalls", "sys_enter_getppid")
        w.go()
        items = obj.map("calls").items()
    assert len(items) == 1
    key, count = items[0]
    assert key.tgid == w.pid  # the key is a ctypes struct derived from the object's BTF
    assert key.comm == b"workload"
    assert count == N


def test_map_update_lookup_delete_iterate_batch(test_obj):
    with _load_counters(test_obj, 0) as obj:
        m = obj.map("calls")
        key_t = m.key_type
        keys = [key_t(tgid=i, comm=b"k%d" % i) for i in range(50)]
        for i, key in enumerate(keys):
            m[key] = i * 10
        assert m.lookup(keys[7]) == 70
        assert keys[3] in m
        assert m.delete(keys[3]) is True
        assert m.delete(keys[3]) is False
        assert m.lookup(keys[3]) is None
        got = {k.tgid: v for k, v in m.items()}  # batch lookup
        assert got == {i: i * 10 for i in range(50) if i != 3}
        assert m._batch_ok is True
        assert sorted(k.tgid for k in m.keys()) == sorted(got)  # get_next_key walk
        assert m.clear() == 49
        assert m.items() == []


def test_percpu_values_summed_and_per_cpu(test_obj, workload):
    w = workload("getppid-split", str(N))
    with _load_counters(test_obj, w.pid) as obj:
        obj.program("count_getppid").attach_tracepoint("syscalls", "sys_enter_getppid")
        w.go()
        m = obj.map("percpu_calls")
        assert m.map_type == PERCPU_ARRAY
        per_cpu = m.lookup(0, per_cpu=True)
        total = m.lookup(0)
    assert len(per_cpu) == possible_cpus()
    assert sum(per_cpu) == total == N
    if possible_cpus() > 1:
        assert sum(1 for v in per_cpu if v > 0) >= 2, per_cpu


def test_ringbuf_delivers_every_event_in_order(test_obj, workload):
    w = workload("getppid", str(N))
    seqs: list[int] = []
    with _load_counters(test_obj, w.pid) as obj:
        obj.program("count_getppid").attach_tracepoint("syscalls", "sys_enter_getppid")
        with RingBuffer(obj.map("events"), lambda b: seqs.append(int.from_bytes(b[:8], "little")),
                        lost=obj.map("events_lost")) as rb:
            w.go()
            while rb.poll(200):
                pass
            assert rb.lost == 0
            assert rb.received == N
    assert seqs == list(range(N))


def test_ringbuf_loss_is_counted_not_silent(test_obj, workload):
    w = workload("getppid", str(N))
    got: list[bytes] = []
    # One page of ring holds ~170 records; nobody consumes while the workload runs.
    with _load_counters(test_obj, w.pid, ring_bytes=4096) as obj:
        obj.program("count_getppid").attach_tracepoint("syscalls", "sys_enter_getppid")
        with RingBuffer(obj.map("events"), got.append, lost=obj.map("events_lost")) as rb:
            w.go()
            while rb.poll(100):
                pass
            assert rb.lost > 0
            assert rb.received + rb.lost == N
    assert len(got) < N


def test_callback_exception_propagates(test_obj, workload):
    w = workload("getppid", "10")
    with _load_counters(test_obj, w.pid) as obj:
        obj.program("count_getppid").attach_tracepoint("syscalls", "sys_enter_getppid")
        w.go()

        def boom(_: bytes) -> None:
            raise RuntimeError("boom")

        with RingBuffer(obj.map("events"), boom) as rb, pytest.raises(RuntimeError, match="boom"):
            rb.poll(200)


def test_verifier_rejection_is_readable(test_obj):
    spec = open_object(test_obj("reject"))
    with pytest.raises(VerifierError) as info:
        spec.load()
    msg = str(info.value)
    assert "verifier rejected program 'unchecked_lookup'" in msg
    assert "invalid mem access 'map_value_or_null'" in msg
    assert info.value.program == "unchecked_lookup"


def test_open_errors_are_clear(tmp_path):
    with pytest.raises(LoadError, match="BPF object not found"):
        open_object(tmp_path / "missing.bpf.o")
    with pytest.raises(LoadError, match="cannot open BPF object"):
        open_object(b"definitely not an ELF file", name="junk")


def test_open_from_bytes(test_obj):
    data = test_obj("counters").read_bytes()
    with open_object(data, name="counters-mem").load() as obj:
        assert "calls" in obj.maps


def test_object_close_detaches_links(test_obj, workload):
    w = workload("getppid", "100")
    obj = _load_counters(test_obj, w.pid)
    link = obj.program("count_getppid").attach_tracepoint("syscalls", "sys_enter_getppid")
    obj.close()
    assert link.closed
