"""Hubble-style flow filters: repeats of a flag OR, different flags AND, --not negates the next."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from beholder.flows.matchers import FLAG_SPECS, FilterError, Matcher
from beholder.flows.model import Flow

NOT_FLAG = "--not"
JSON_VERSION = 1

ArgPair = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class FilterTerm:
    """One filter flag as typed: ``--port 53`` or, negated, ``--not --port 53``."""

    flag: str
    value: str
    negate: bool = False


def _canonical_flag(flag: str) -> str:
    name = flag if flag.startswith("--") else "--" + flag
    if name not in FLAG_SPECS and name != NOT_FLAG:
        raise FilterError(f"unknown filter flag '{flag}'")
    return name


class FlowFilter:
    """A compiled filter. Semantics (same as ``hubble observe``):

    * values of the same flag are ORed: ``--port 53 --port 80``;
    * different flags are ANDed: ``--pid 12 --port 53``;
    * ``--not`` negates only the flag right after it, and every negated term
      must fail: ``--not --port 53 --not --port 80`` excludes both ports.

    An empty filter matches everything.
    """

    __slots__ = ("_groups", "_negated", "terms")

    def __init__(self, terms: Iterable[FilterTerm] = ()) -> None:
        self.terms: tuple[FilterTerm, ...] = tuple(terms)
        groups: dict[str, list[Matcher]] = {}
        negated: list[Matcher] = []
        for t in self.terms:
            flag = _canonical_flag(t.flag)
            if flag == NOT_FLAG:
                raise FilterError("--not is not a filter by itself; negate a term instead")
            matcher = FLAG_SPECS[flag].build(flag, t.value.strip())
            if t.negate:
                negated.append(matcher)
            else:
                groups.setdefault(flag, []).append(matcher)
        self._groups = tuple(tuple(g) for g in groups.values())
        self._negated = tuple(negated)

    # ---- construction ----------------------------------------------------

    @classmethod
    def from_args(cls, pairs: Iterable[ArgPair]) -> FlowFilter:
        """Compile ordered (flag, value) pairs, e.g. ``[("--not", None), ("--port", "53")]``."""
        terms: list[FilterTerm] = []
        pending_not = False
        for raw_flag, value in pairs:
            flag = _canonical_flag(raw_flag)
            if flag == NOT_FLAG:
                if pending_not:
                    raise FilterError("--not cannot be repeated; it negates the next filter flag")
                pending_not = True
                continue
            if value is None or not str(value).strip():
                raise FilterError(f"{flag} needs a value")
            terms.append(FilterTerm(flag, str(value).strip(), pending_not))
            pending_not = False
        if pending_not:
            raise FilterError("--not must be followed by a filter flag")
        return cls(terms)

    def to_args(self) -> list[ArgPair]:
        """The ordered pairs again; ``FlowFilter.from_args(f.to_args())`` is equivalent to f."""
        out: list[ArgPair] = []
        for t in self.terms:
            if t.negate:
                out.append((NOT_FLAG, None))
            out.append((t.flag, t.value))
        return out

    # ---- matching --------------------------------------------------------

    def matches(self, flow: Flow) -> bool:
        for group in self._groups:
            if not any(m(flow) for m in group):
                return False
        return not any(m(flow) for m in self._negated)

    __call__ = matches

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FlowFilter) and self.terms == other.terms

    def __hash__(self) -> int:
        return hash(self.terms)

    def __repr__(self) -> str:
        return f"FlowFilter.from_args({self.to_args()!r})"

    def __str__(self) -> str:
        """Command-line form, e.g. ``--pid 12 --not --port 53``."""
        return " ".join(flag if v is None else f"{flag} {v}" for flag, v in self.to_args())

    # ---- wire format for the agent's HTTP API ----------------------------

    def to_dict(self) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for t in self.terms:
            item: dict[str, Any] = {"flag": t.flag, "value": t.value}
            if t.negate:
                item["not"] = True
            items.append(item)
        return {"version": JSON_VERSION, "filters": items}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> FlowFilter:
        """Inverse of to_json/to_dict; re-validates every term (the input is untrusted)."""
        try:
            obj = json.loads(data) if isinstance(data, str | bytes) else data
        except ValueError as e:
            raise FilterError(f"invalid filter JSON: {e}") from None
        if not isinstance(obj, Mapping) or obj.get("version") != JSON_VERSION:
            raise FilterError(
                f"invalid filter JSON: expected an object with version {JSON_VERSION}"
            )
        items = obj.get("filters", [])
        if not isinstance(items, list):
            raise FilterError("invalid filter JSON: 'filters' must be a list")
        terms = []
        for item in items:
            if (
                not isinstance(item, Mapping)
                or not isinstance(item.get("flag"), str)
                or not isinstance(item.get("value", ""), str | int)
                or not isinstance(item.get("not", False), bool)
            ):
                raise FilterError(f"invalid filter JSON: bad term {item!r}")
            flag = _canonical_flag(item["flag"])
            terms.append(FilterTerm(flag, str(item.get("value", "")), item.get("not", False)))
        return cls(terms)


def extract_filter_args(argv: Sequence[str]) -> list[ArgPair]:
    """Pick the filter flags, in order, out of a raw argument list (e.g. ``sys.argv[1:]``).

    click does not keep the relative order of different options, which --not
    needs, so the CLI declares the options for --help/validation and then
    calls this on the raw args. Accepts ``--flag value`` and ``--flag=value``;
    other tokens are skipped; ``--`` ends option parsing.
    """
    pairs: list[ArgPair] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            break
        name, eq, inline = tok.partition("=")
        if name == NOT_FLAG and not eq:
            pairs.append((NOT_FLAG, None))
        elif name in FLAG_SPECS:
            if eq:
                pairs.append((name, inline))
            elif i + 1 < len(argv):
                pairs.append((name, argv[i + 1]))
                i += 1
            else:
                raise FilterError(f"{name} needs a value")
        i += 1
    return pairs
