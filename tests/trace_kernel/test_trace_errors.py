"""Bad programs: a clear message with a location, exit code 1, never a traceback."""

from __future__ import annotations

import pytest

from beholder.ebpf import features

from .conftest import run_beholder

pytestmark = pytest.mark.needs_root

CASES = [
    ("syntax", "BEGIN { printf(\"x\" }", "-e:1:"),
    ("unknown probe", "tracepoint:nosuch:thing { }", "no probes match 'tracepoint:nosuch:thing'"),
    ("unknown field", "tracepoint:syscalls:sys_enter_openat { @[args->filenam] = count(); }",
     "has no field 'filenam'"),
    ("map type conflict", "BEGIN { @x = count(); @x = 1; }", "@x"),
    ("unsafe", "BEGIN { system(\"true\"); }", "--unsafe"),
    ("unknown function", "BEGIN { nosuchfn(); }", "nosuchfn"),
    ("bad lhist", "BEGIN { @l = lhist(1, 10, 0, 1); }", "lhist"),
]


@pytest.mark.parametrize("name,prog,needle", CASES, ids=[c[0] for c in CASES])
def test_bad_program_is_a_clean_error(name, prog, needle):
    res = run_beholder("-e", prog)
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert needle in res.stderr, res.stderr


def test_kprobe_works_or_advice_names_the_tracepoint():
    if features.probe("kprobe").available:  # a kprobe kernel: the probe must really count
        res = run_beholder("-c", "sleep 0.2", "-e", "kprobe:do_nanosleep /pid == cpid/ { @n = count(); }")
        assert res.returncode == 0 and "@n: 1" in res.stdout, res.stderr
        return
    res = run_beholder("-e", "kprobe:tcp_retransmit_skb { @ = count(); }")
    assert res.returncode == 1
    assert "use tracepoint:tcp:tcp_retransmit_skb instead" in res.stderr
    res = run_beholder("-e", "kprobe:kmalloc { @[args->size] = count(); } END { print(@allocs); }")
    assert "tracepoint:kmem:kmalloc" in res.stderr


def test_verifier_rejection_is_reported():
    # A loop too long to verify (a map update per round, so LLVM cannot fold it away).
    res = run_beholder("--duration", "1", "-e",
                       "BEGIN { $i = 0; while ($i < 100000000) { @x[$i] = 1; $i++; } }")
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "verifier rejected program 'probe_0_0'" in res.stderr, res.stderr


def test_missing_file_and_no_program():
    assert run_beholder("/nonexistent.bt").returncode == 1
    res = run_beholder()
    assert res.returncode == 1 and "give a program" in res.stderr


def test_kfunc_works_or_is_refused_with_advice():
    prog = ("kfunc:vfs_read /pid == cpid/ { @reads = count(); @size = max(args->count); } "
            "kretfunc:vfs_read /pid == cpid/ { @ret = max(retval); }")
    res = run_beholder("-c", "cat /etc/hostname", "-e", prog)
    if features.probe("fentry").available:  # a kernel with fentry: typed args must be right
        assert res.returncode == 0, res.stderr
        lines = dict(ln.split(": ") for ln in res.stdout.splitlines() if ": " in ln)
        assert int(lines["@reads"]) >= 1 and int(lines["@size"]) >= 1, res.stdout
        return
    assert res.returncode == 1
    assert "use tracepoint:syscalls:sys_enter_read instead" in res.stderr
