"""Kernel-side programs: C sources compiled by `make setup` (clang -target bpf, CO-RE) into .bpf.o."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


class ObjectMissing(FileNotFoundError):
    """A BPF object was not built."""


def path(name: str) -> Path:
    """Path of the built object `name`.bpf.o shipped in this package."""
    p = HERE / f"{name}.bpf.o"
    if not p.is_file():
        raise ObjectMissing(f"BPF object {p.name} is not built: run 'make setup'")
    return p
