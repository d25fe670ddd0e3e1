"""Fixtures for the profiler's kernel tests: a frame-pointer workload binary, started processes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from kprof import FP_FLAGS, HERE, Procs


@pytest.fixture(scope="session")
def cpu_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("profprogs") / "cpu"
    subprocess.run(["gcc", *FP_FLAGS, "-o", str(out), str(HERE / "progs" / "cpu.c")], check=True)
    return out


@pytest.fixture
def procs() -> Iterator[Procs]:
    ps = Procs()
    yield ps
    ps.close()
