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
    res = run_beholder("--duration", "1", "-e", "software:page-faults:1 { @faults = count(); }")
    assert res.returncode == 0, res.stderr
    assert "@faults:" in res.stdout


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
