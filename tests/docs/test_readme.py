"""The README's runtime example runs as written and prints what the README says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.needs_root
def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "README has no python example"
    res = subprocess.run([sys.executable, "-c", blocks[0]], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert re.fullmatch(r"pid \d+ called getppid 1000 times\n", res.stdout), res.stdout


def test_readme_shows_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text
