"""Fixtures for running `beholder trace` and bpftrace side by side on known workloads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BEHOLDER = str(Path(sys.executable).with_name("beholder"))


def run_beholder(*args: str, env: dict[str, str] | None = None, timeout: float = 120
                 ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BEHOLDER, "trace", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def run_bpftrace(*args: str, env: dict[str, str] | None = None, timeout: float = 120
                 ) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("bpftrace")
    if exe is None:
        pytest.fail("bpftrace (the reference) is not installed: `make test` installs it")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def nowait_env() -> dict[str, str]:
    return {"WORKLOAD_NOWAIT": "1"}
