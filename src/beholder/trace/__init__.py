"""`beholder trace`: the bpftrace language compiled in Python to eBPF, and its Python API.

The package itself is callable, so `beholder.trace(PROGRAM, duration=5)` works; see api.py.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy, so `import beholder.trace.lexer` (and the tests of pure passes) stay light.
    if name in ("trace", "trace_events", "TraceResult", "TraceEvent"):
        from beholder.trace import api

        return getattr(api, name)
    raise AttributeError(name)


class _CallableModule(types.ModuleType):
    def __call__(self, program: str, duration: float | None = None, **kwargs: Any) -> Any:
        from beholder.trace import api

        return api.trace(program, duration, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
