"""Map key and value type inference: one consistent (keys, value) type per @map across the program."""

from __future__ import annotations

from dataclasses import dataclass

from beholder.trace import ast
from beholder.trace import typesys as ty
from beholder.trace.diagnostics import Diagnostics
from beholder.trace.source import Loc
from beholder.trace.typesys import Kind, SType

# Reading one of these maps yields a plain number (bpftrace folds the per-CPU values).
_READS_AS_INT = frozenset({Kind.COUNT, Kind.SUM, Kind.AVG, Kind.MIN, Kind.MAX})


def _describe(t: SType) -> str:
    return f"a {t}" if t.is_aggregate else f"a value of type {t}"


@dataclass
class MapInfo:
    name: str  # with the '@'
    keys: tuple[SType, ...] | None = None  # None until the map is first indexed
    value: SType = ty.UNKNOWN
    assigned: bool = False
    first_loc: Loc | None = None

    @property
    def value_kind(self) -> str:
        """int, string, count, sum, avg, min, max, stats, hist, lhist, tuple, ... or unknown."""
        return str(self.value.kind)

    @property
    def read_type(self) -> SType:
        return ty.INT if self.value.kind in _READS_AS_INT else self.value


class MapTypes:
    def __init__(self, diags: Diagnostics) -> None:
        self.diags = diags
        self.maps: dict[str, MapInfo] = {}

    def _info(self, node: ast.Map) -> MapInfo:
        info = self.maps.get(node.display)
        if info is None:
            info = self.maps[node.display] = MapInfo(node.display, first_loc=node.loc)
        return info

    def check_keys(self, node: ast.Map, key_types: tuple[SType, ...]) -> MapInfo:
        info = self._info(node)
        if info.keys is None:
            info.keys = key_types
            return info
        if len(info.keys) != len(key_types):
            self.diags.error(
                f"{node.display} used with {len(key_types)} key(s) here "
                f"but {len(info.keys)} key(s) elsewhere",
                node.loc,
            )
            return info
        merged = []
        for i, (old, new) in enumerate(zip(info.keys, key_types, strict=True)):
            if not ty.compatible(old, new):
                which = f" key {i + 1}" if len(key_types) > 1 else " key"
                self.diags.error(
                    f"type mismatch for {node.display}{which}: {new} here, {old} elsewhere",
                    node.loc,
                )
                merged.append(old)
            else:
                merged.append(ty.merge(old, new))
        info.keys = tuple(merged)
        return info

    def assign(self, node: ast.Map, key_types: tuple[SType, ...], value: SType) -> MapInfo:
        info = self.check_keys(node, key_types)
        old = info.value
        if info.assigned and not self._same_kind(old, value):
            self.diags.error(
                f"type mismatch for {node.display}: assigning {_describe(value)} "
                f"but {node.display} already holds {_describe(old)}",
                node.loc,
            )
        elif info.assigned:
            info.value = ty.merge(old, value)
        else:
            info.value = value
        info.assigned = True
        return info

    @staticmethod
    def _same_kind(old: SType, new: SType) -> bool:
        # An aggregate map only takes further calls of the same aggregate.
        if old.is_aggregate or new.is_aggregate:
            return old.kind is new.kind or Kind.UNKNOWN in (old.kind, new.kind)
        return ty.compatible(old, new)

    def read(self, node: ast.Map, key_types: tuple[SType, ...] | None) -> SType:
        """A use of the map; key_types None means the whole map (print(@x), clear(@x))."""
        info = self.check_keys(node, key_types) if key_types is not None else self._info(node)
        return info.read_type

    def finish(self, uses: list[ast.Map]) -> dict[str, MapInfo]:
        """Report maps that are read but never written, once per map."""
        reported: set[str] = set()
        for node in uses:
            info = self.maps.get(node.display)
            if info is not None and not info.assigned and node.display not in reported:
                reported.add(node.display)
                self.diags.error(f"undefined map {node.display}: it is never assigned", node.loc)
        return self.maps
