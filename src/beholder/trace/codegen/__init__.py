"""Codegen: the typed AST -> LLVM IR for the BPF target, and the Plan (maps, actions, probes).

`generate` lives in driver.py and is imported on first use: a cached program is run with
only the Plan and the layouts (plan.py, types.py, helpers.py), without loading llvmlite.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CodegenError", "Plan", "generate"]


def __getattr__(name: str) -> Any:
    if name in ("generate", "CodegenError"):
        from . import driver as _g

        return getattr(_g, name)
    if name == "Plan":
        from .plan import Plan

        return Plan
    raise AttributeError(name)
