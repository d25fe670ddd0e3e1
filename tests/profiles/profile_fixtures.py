"""Synthetic profiles shared by the pure profile tests (no kernel, no root)."""

from __future__ import annotations

import json
import random
import re

from beholder.profiles import Frame, Mapping, Profile

APP = "/usr/bin/app"
LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
KERNEL = "[kernel.kallsyms]"
START_NS = 1_764_000_000_000_000_000


def user(name: str, addr: int, module: str = APP) -> Frame:
    return Frame(name, module, addr, "user")


def kernel(name: str, addr: int) -> Frame:
    return Frame(name, KERNEL, 0xFFFFFFFF81000000 + addr, "kernel")


MAIN = user("main", 0x401000)
COMPUTE = user("compute", 0x401100)
HOT = user("hot_loop", 0x401200)
HELPER = user("helper", 0x401300)
WRITE = user("write", 0x7F0000012000, LIBC)
SYSCALL = kernel("entry_SYSCALL_64", 0x100)
VFS = kernel("vfs_write", 0x200)
UNKNOWN = Frame.unknown(LIBC, 0x7F0000034560, kind="user")
JIT = Frame("py::handler", "[jit]", 0x5000, "jit")
MAPPINGS = [
    Mapping(0x400000, 0x500000, 0, APP, "aabbccdd"),
    Mapping(0x7F0000000000, 0x7F0000100000, 0x1000, LIBC, "11223344"),
]
APP_LABELS = {"pid": "100", "tid": "101", "comm": "app", "exe": APP, "container": "web-1"}
OTHER_LABELS = {"pid": "200", "tid": "200", "comm": "other", "exe": APP, "node": "n1"}


def build(hot: int = 60, helper: int = 20, write: int = 15, unknown: int = 5) -> Profile:
    rows = [
        ((MAIN, COMPUTE, HOT), hot, APP_LABELS),
        ((MAIN, COMPUTE, HELPER), helper, APP_LABELS),
        ((MAIN, WRITE, SYSCALL, VFS), write, APP_LABELS),
        ((MAIN, UNKNOWN), unknown, OTHER_LABELS),
        ((MAIN, JIT), 3, OTHER_LABELS),
    ]
    return Profile.from_stacks(
        [r for r in rows if r[1]],
        frequency_hz=99,
        start_ns=START_NS,
        duration_ns=10_000_000_000,
        mappings=MAPPINGS,
        meta={"host": "test-host"},
        lost={"stack_collisions": 2},
        idle_samples=7,
    )


def synthetic(n_stacks: int, seed: int = 7) -> Profile:
    """``n_stacks`` distinct stacks with a realistic skew: a few hot paths, a long tail."""
    rnd = random.Random(seed)
    funcs = [user(f"pkg.module{i % 40}.function_{i}", 0x401000 + 16 * i) for i in range(3000)]
    kfuncs = [kernel(f"kfunc_{i}", 16 * i) for i in range(200)]
    hot = [(MAIN, *funcs[:8]), (MAIN, *funcs[8:20]), (MAIN, *funcs[20:26])]
    rows: dict[tuple[Frame, ...], int] = {}
    while len(rows) < n_stacks:
        stack = rnd.choice(hot) + tuple(rnd.choices(funcs, k=rnd.randint(1, 25)))
        if rnd.random() < 0.3:
            stack += tuple(rnd.choices(kfuncs, k=rnd.randint(1, 6)))
        rows[stack] = int(rnd.paretovariate(1.2))
    labels = {"pid": "42", "comm": "synthetic"}
    return Profile.from_stacks(
        [(st, n, labels) for st, n in rows.items()], frequency_hz=99, start_ns=START_NS
    )


def embedded_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="beholder-data">(.*?)</script>', page, re.S)
    assert m, "no embedded data"
    return json.loads(m.group(1))
