"""Regenerate tests/trace/output/golden/ from the real bpftrace (run as root).

    sudo .venv/bin/python tests/trace/output/regen_golden.py [name ...]

For every program in golden_programs.PROGRAMS it runs
``bpftrace -e PROG`` (-> NAME.txt) and ``bpftrace -f json -e PROG``
(-> NAME.json), keeping stdout only (bpftrace's warnings go to stderr).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from golden_programs import PROGRAMS, STACK_PROGRAM  # noqa: E402

GOLDEN = HERE / "golden"


def run(prog: str, *extra: str) -> bytes:
    proc = subprocess.run(
        ["bpftrace", *extra, "-e", prog], capture_output=True, timeout=120, check=True
    )
    return proc.stdout


def main(names: list[str]) -> None:
    GOLDEN.mkdir(exist_ok=True)
    progs = dict(PROGRAMS, stacks=STACK_PROGRAM)
    for name in names or list(progs):
        prog = progs[name]
        (GOLDEN / f"{name}.txt").write_bytes(run(prog))
        (GOLDEN / f"{name}.json").write_bytes(run(prog, "-f", "json"))
        print("wrote", name)


if __name__ == "__main__":
    main(sys.argv[1:])
