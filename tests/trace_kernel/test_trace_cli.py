"""CLI surfaces of trace: listing, dumps, verifier log, timers and profile probes."""

from __future__ import annotations

import pytest

from .conftest import run_beholder

pytestmark = pytest.mark.needs_root


def test_list_tracepoints():
    res = run_beholder("-l", "tracepoint:tcp:*")
    assert res.returncode == 0
    assert "tracepoint:tcp:tcp_retransmit_skb" in res.stdout.splitlines()


def test_dump_ast_and_ir():
    ast = run_beholder("-d", "ast", "-e", "BEGIN { @x = 1 + 2; }")
    assert ast.returncode == 0 and "BEGIN" in ast.stdout.upper()
    ir = run_beholder("-d", "ir", "-e", "BEGIN { @x = 1 + 2; }")
    assert ir.returncode == 0 and "define i32 @\"probe_0_0\"" in ir.stdout
    assert "llvm.bpf.pseudo" in ir.stdout


def test_verbose_prints_the_verifier_log():
    res = run_beholder("-v", "-e", "BEGIN { exit(); }")
    assert res.returncode == 0
    assert "processed" in res.stderr  # the verifier's closing statistics line


def test_interval_and_profile_probes_fire():
    res = run_beholder("-e", "profile:hz:99 { @samples = count(); } "
                             "interval:ms:300 { @ticks = count(); if (@ticks == 2) { exit(); } }")
    assert res.returncode == 0, res.stderr
    lines = dict(line.split(": ") for line in res.stdout.splitlines() if ": " in line)
    assert lines["@ticks"] == "2"
    assert int(lines["@samples"]) > 10  # ~0.6 s at 99 Hz on every CPU


def test_software_event_probe():
    # 50 MB touched by the traced command: thousands of page faults, all its own
    res = run_beholder("-c", "python3 -c 'bytearray(50_000_000)'",
                       "-e", "software:page-faults:100 /pid == cpid/ { @faults = count(); }")
    assert res.returncode == 0, res.stderr
    lines = dict(line.split(": ") for line in res.stdout.splitlines() if ": " in line)
    assert int(lines["@faults"]) >= 50, res.stdout


def test_json_output_lines_are_objects():
    import json

    res = run_beholder("-f", "json", "-e", 'BEGIN { printf("x\\n"); @a[1] = count(); exit(); }')
    objs = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    types = [o["type"] for o in objs]
    assert "attached_probes" in types and "printf" in types and "map" in types


def test_join_prints_the_argument_vector():
    res = run_beholder("-c", "/bin/echo hello big world",
                       "-e", "tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args->argv); }")
    assert res.returncode == 0, res.stderr
    assert "/bin/echo hello big world" in res.stdout.splitlines()


def test_second_run_comes_from_the_cache_and_counts_the_same(tmp_path, workload_bin, nowait_env):
    import shutil
    import subprocess
    import threading
    import time

    env = {**nowait_env, "BEHOLDER_CACHE_DIR": str(tmp_path / "cache")}
    binary = tmp_path / "bhcachetest"  # its own comm, so nothing else is counted
    shutil.copy(workload_bin, binary)
    prog = 'tracepoint:syscalls:sys_enter_getppid /comm == "bhcachetest"/ { @n = count(); }'
    outs = []
    for _ in range(2):
        def later() -> None:
            time.sleep(1.5)
            subprocess.run([str(binary), "getppid", "500"], env=env, check=True)

        t = threading.Thread(target=later)
        t.start()
        res = run_beholder("--duration", "3", "-e", prog, env=env)
        t.join()
        assert res.returncode == 0, res.stderr
        outs.append(res.stdout)
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 1
    assert "@n: 500" in outs[0]
    assert outs[0] == outs[1]


def test_cached_object_gets_fresh_map_fds(tmp_path):
    # ld_imm64 r1, fd 7 (BPF_PSEUDO_MAP_FD) inside a minimal ELF with one executable section
    import struct

    from beholder.trace import cache

    insn = bytes([0x18, 0x11, 0, 0]) + struct.pack("<i", 7) + bytes(8) + bytes([0x95]) + bytes(7)
    shoff = 64 + len(insn)
    header = bytearray(64)
    header[:4] = b"\x7fELF"
    struct.pack_into("<Q", header, 0x28, shoff)
    struct.pack_into("<HH", header, 0x3A, 64, 2)
    null_sh = bytes(64)
    text_sh = bytearray(64)
    struct.pack_into("<IIQ", text_sh, 0, 0, 1, 0x6)
    struct.pack_into("<QQ", text_sh, 0x18, 64, len(insn))
    elf = bytes(header) + insn + null_sh + bytes(text_sh)
    out = cache.remap_fds(elf, {7: 42})
    assert struct.unpack_from("<i", out, 64 + 4)[0] == 42
    assert out[64 + 16] == 0x95  # the exit instruction is untouched
