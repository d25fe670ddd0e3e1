"""Make src/ and the shared samples importable when the package is not installed."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_SRC = _HERE.parents[1] / "src"
# flow_samples.py is imported by name; keep that working under any import mode.
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))
try:
    import beholder.flows  # noqa: F401
except ImportError:
    sys.path.insert(0, str(_SRC))
