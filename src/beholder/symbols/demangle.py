"""Readable C++ and Rust names: `_ZN...` through the C++ ABI demangler (cxxfilt), `_R...` (Rust
v0) and legacy Rust hashes (`::h0123456789abcdef`) through rust-demangler.

Both are declared dependencies; if one is missing the names stay mangled (still correct, less
readable) instead of the whole profiler failing to import, and `AVAILABLE` says so.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Any


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:  # pragma: no cover - depends on the environment
        return None


_cxx = _optional("cxxfilt")
_rust = _optional("rust_demangler")

AVAILABLE = {"c++": _cxx is not None, "rust": _rust is not None}

_RUST_HASH = re.compile(r"::h[0-9a-f]{16}$")
_RUST_LEGACY = re.compile(r"17h[0-9a-f]{16}E(\.|$)")


@lru_cache(maxsize=65536)
def demangle(name: str) -> str:
    """The demangled name, or `name` unchanged when it is not mangled (or cannot be)."""
    base, dot, suffix = name.partition(".")  # .cold, .isra.0, .llvm.123: not part of the name
    try:
        if base.startswith("_R") and _rust is not None:
            return str(_rust.demangle(base)) + (dot + suffix if dot else "")
        if base.startswith("_Z") and _cxx is not None:
            out = str(_cxx.demangle(base))
            if _RUST_LEGACY.search(name):
                out = _RUST_HASH.sub("", out)
            return out + (f" [{suffix}]" if dot else "")
    except Exception:  # an unmangleable name stays readable as it is
        return name
    return name
