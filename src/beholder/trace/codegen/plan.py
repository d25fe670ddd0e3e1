"""What a compiled program needs besides code: its maps, its async actions, its probes.

Codegen fills a Plan; the session creates the maps from it before the object is loaded and
decodes every record and map entry with it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import helpers as h
from .types import CType, layout

# Value kinds kept per CPU, as bpftrace does, so the hot path needs no atomics.
PERCPU_KINDS = frozenset({"count", "sum", "min", "max", "avg", "stats", "hist", "lhist"})
# Kinds whose key carries an extra u64: the bucket (hist/lhist) or count/total slot (avg/stats).
BUCKETED_KINDS = frozenset({"avg", "stats", "hist", "lhist"})


@dataclass
class MapPlan:
    name: str  # with '@'
    keys: list[CType] = field(default_factory=list)  # empty: a map without keys (one entry)
    kind: str = "int"  # int str tuple ... or an aggregate: count sum min max avg stats hist lhist
    value: CType | None = None  # for non-aggregate values
    lhist_args: tuple[int, int, int] | None = None
    max_entries: int = 4096
    fd: int = -1
    index: int = 0  # id used in action records (print/clear/zero)

    @property
    def user_key_size(self) -> int:
        return layout(self.keys)[1] if self.keys else 8

    @property
    def key_size(self) -> int:
        return self.user_key_size + (8 if self.kind in BUCKETED_KINDS else 0)

    @property
    def value_size(self) -> int:
        if self.kind in PERCPU_KINDS:
            return 8
        assert self.value is not None
        return max(8, (self.value.size + 7) // 8 * 8)

    @property
    def bpf_type(self) -> int:
        return h.MAP_PERCPU_HASH if self.kind in PERCPU_KINDS else h.MAP_HASH


@dataclass
class Action:
    """An async action a probe asks user space to do, e.g. printf or print(@map)."""

    kind: str  # printf system time exit print_map clear zero print_value cat
    fmt: str = ""
    args: list[CType] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def record_size(self) -> int:
        return 8 + layout(self.args)[1]


@dataclass
class ProbePlan:
    """One BPF program: where it attaches and which function in the module it is."""

    function: str
    section: str
    provider: str
    target: str = ""
    func: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # the probe as written, for `probe` and listings


@dataclass
class Plan:
    maps: dict[str, MapPlan] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    probes: list[ProbePlan] = field(default_factory=list)
    probe_names: list[str] = field(default_factory=list)  # id -> name for the `probe` builtin
    strftime_formats: list[str] = field(default_factory=list)
    stack_map_fd: int = -1
    ring_fd: int = -1
    lost_fd: int = -1
    ring_size: int = 1 << 20
    stack_depth: int = 127
    needs_stacks: bool = False

    def action(self, action: Action) -> int:
        self.actions.append(action)
        return len(self.actions) - 1

    def probe_id(self, name: str) -> int:
        if name not in self.probe_names:
            self.probe_names.append(name)
        return self.probe_names.index(name)
