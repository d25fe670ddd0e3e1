"""Helpers that mimic protobuf's JSON mapping (proto3 omits zero values, uint64 is a string)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JSONDict = dict[str, Any]


def is_empty(value: object) -> bool:
    """True for the values proto3 JSON leaves out: zero, empty string/list/object, None, False."""
    if value is None or value is False:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, str | list | tuple | dict):
        return len(value) == 0
    return False


def compact(pairs: Mapping[str, Any]) -> JSONDict:
    """Drop empty values, keeping insertion order so output is stable.

    Same rule as is_empty, but cheaper for the common cases (a truthy value, or a falsy one
    of a built-in type): this runs for every field of every flow stored or printed."""
    return {k: v for k, v in pairs.items()
            if v or (type(v) not in _PLAIN and not is_empty(v))}


_PLAIN = frozenset({type(None), bool, int, float, str, list, tuple, dict})


def u64(value: int) -> str | None:
    """Encode a Hubble uint64 field as protojson does: a decimal string, omitted when zero."""
    return str(value) if value else None


def as_int(value: object, default: int = 0) -> int:
    """Decode an integer that may arrive as a JSON number or (uint64) string."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int | str):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def as_str_list(value: object) -> list[str]:
    """Decode a repeated string field."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return [str(v) for v in value]


def as_dict(value: object) -> Mapping[str, Any]:
    """Decode a nested message; absent means empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"expected an object, got {value!r}")
    return value
