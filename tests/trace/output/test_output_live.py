"""Keep the goldens honest: re-run the deterministic programs through the
installed bpftrace and compare with golden/ (skipped without root + bpftrace 0.17)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from golden_programs import PROGRAMS  # noqa: E402


def _bpftrace_017() -> bool:
    exe = shutil.which("bpftrace")
    if exe is None or os.geteuid() != 0:
        return False
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().startswith("bpftrace v0.17")


pytestmark = pytest.mark.skipif(not _bpftrace_017(), reason="needs root and bpftrace 0.17")

# "bars" is slow to compile (~15 s per run); everything else is a BEGIN-only program.
FAST = sorted(n for n in PROGRAMS if n != "bars")


@pytest.mark.parametrize("fmt", ["txt", "json"])
@pytest.mark.parametrize("name", FAST)
def test_golden_still_matches_bpftrace(name: str, fmt: str) -> None:
    extra = ["-f", "json"] if fmt == "json" else []
    out = subprocess.run(
        ["bpftrace", *extra, "-e", PROGRAMS[name]], capture_output=True, timeout=120, check=True
    ).stdout
    assert out == (HERE / "golden" / f"{name}.{fmt}").read_bytes()
