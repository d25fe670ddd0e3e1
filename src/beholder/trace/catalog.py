"""What the kernel offers (tracepoints, probe kinds, tracepoint fields), as an injectable interface."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Protocol

from beholder.trace.passes.format_parse import FormatField


class Catalog(Protocol):
    """The passes ask this instead of reading the kernel, so they stay pure and testable."""

    def tracepoints(self, pattern: str) -> list[str]:
        """'cat:name' strings matching a glob like 'syscalls:sys_enter_open*'."""
        ...

    def supports(self, feature: str) -> bool:
        """Probe kinds such as 'kprobe', 'fentry', 'uprobe', 'tracepoint'."""
        ...

    def why_not(self, feature: str) -> str:
        """Short reason for an unsupported feature, e.g. 'CONFIG_KPROBES is off'."""
        ...

    def tracepoint_fields(self, name: str) -> Mapping[str, FormatField] | None:
        """Fields of 'cat:name' (from its tracefs format file), or None if unknown."""
        ...


class InMemoryCatalog:
    """A Catalog from plain data: for tests, and for replaying a recorded kernel."""

    def __init__(
        self,
        tracepoints: Iterable[str] = (),
        unsupported: Mapping[str, str] | None = None,
        fields: Mapping[str, Iterable[FormatField]] | None = None,
    ) -> None:
        self._tracepoints = sorted(set(tracepoints))
        self._unsupported = dict(unsupported or {})
        self._fields = {name: {f.name: f for f in fs} for name, fs in (fields or {}).items()}

    def tracepoints(self, pattern: str) -> list[str]:
        return [tp for tp in self._tracepoints if fnmatch.fnmatchcase(tp, pattern)]

    def supports(self, feature: str) -> bool:
        return feature not in self._unsupported

    def why_not(self, feature: str) -> str:
        return self._unsupported.get(feature, "not supported")

    def tracepoint_fields(self, name: str) -> Mapping[str, FormatField] | None:
        return self._fields.get(name)


def supports(catalog: object, feature: str) -> bool:
    """catalog.supports(feature), tolerating catalogs that only offer has_<feature>s()."""
    method = getattr(catalog, "supports", None)
    if method is not None:
        return bool(method(feature))
    legacy = getattr(catalog, f"has_{feature}s", None)
    return bool(legacy()) if legacy is not None else True


def why_not(catalog: object, feature: str) -> str:
    method = getattr(catalog, "why_not", None)
    return str(method(feature)) if method is not None else "not supported by this kernel"
