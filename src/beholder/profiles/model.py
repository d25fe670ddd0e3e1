"""The raw, serializable, combinable CPU profile: frames, mappings, samples."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace
from typing import Literal

FrameKind = Literal["kernel", "user", "jit", "unknown"]
FRAME_KINDS: tuple[FrameKind, ...] = ("kernel", "user", "jit", "unknown")

# Label values may be a single string or any collection of accepted strings.
LabelFilter = MappingABC[str, "str | Iterable[str]"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame; hashable so stacks can be dict keys and interned."""

    function: str
    module: str
    address: int
    kind: FrameKind = "user"
    file: str | None = None
    line: int | None = None
    # True when this frame was inlined into the next frame towards the root.
    inlined: bool = False
    # Stacks are hashed as dict keys over and over (aggregation, interning): hashing
    # seven fields each time dominated merge/encode, so the hash is computed once.
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def _fields(self) -> tuple[str, str, int, str, str | None, int | None, bool]:
        f = self
        return (f.function, f.module, f.address, f.kind, f.file, f.line, f.inlined)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(self._fields()))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[type[Frame], tuple[object, ...]]:
        # str hashes differ between processes: pickle the fields, never the cached hash.
        return Frame, self._fields()

    @property
    def name(self) -> str:
        """Display name; unsymbolized frames become ``module+0xaddr``, never dropped."""
        return self.function or unknown_label(self.module, self.address)

    @classmethod
    def unknown(cls, module: str, address: int, kind: FrameKind = "unknown") -> Frame:
        return cls(function="", module=module, address=address, kind=kind)


def unknown_label(module: str, address: int, mapping: Mapping | None = None) -> str:
    """``libfoo.so+0x1a2b``: file offset when the mapping is known, else the raw address."""
    offset = address
    if mapping is not None and mapping.start <= address < mapping.limit:
        offset = address - mapping.start + mapping.offset
    base = os.path.basename(module.rstrip("/")) if module else ""
    return f"{base or '[unknown]'}+0x{offset:x}"


@dataclass(frozen=True, slots=True)
class Mapping:
    """An executable mapping of a process, as in /proc/PID/maps."""

    start: int
    limit: int
    offset: int
    file: str
    build_id: str = ""


Stack = tuple[Frame, ...]


def _plain_name(f: Frame) -> str:
    return f.name


def frame_namer(mappings: Iterable[Mapping]) -> Callable[[Frame], str]:
    """Display names; unsymbolized frames are labelled with their file offset when a
    mapping of their module covers the address (stable across ASLR), else the address."""
    by_file: dict[str, list[Mapping]] = {}
    for m in mappings:
        by_file.setdefault(m.file, []).append(m)
    if not by_file:
        return _plain_name

    def name(f: Frame) -> str:
        if f.function:
            return f.function
        m = next((m for m in by_file.get(f.module, ()) if m.start <= f.address < m.limit), None)
        return unknown_label(f.module, f.address, m)

    return name


@dataclass(slots=True)
class Sample:
    """``stack`` is ROOT-FIRST (stack[0] is the outermost caller, stack[-1] the leaf)."""

    stack: Stack
    count: int = 1
    labels: dict[str, str] = field(default_factory=dict)

    def key(self) -> tuple[Stack, tuple[tuple[str, str], ...]]:
        return self.stack, tuple(sorted(self.labels.items()))


def aggregate_samples(samples: Iterable[Sample]) -> list[Sample]:
    """Sum counts of samples with identical (stack, labels); keeps first-seen order."""
    out: dict[tuple[Stack, tuple[tuple[str, str], ...]], Sample] = {}
    for s in samples:
        k = s.key()
        have = out.get(k)
        if have is None:
            out[k] = Sample(s.stack, s.count, dict(s.labels))
        else:
            have.count += s.count
    return list(out.values())


@dataclass(slots=True)
class Profile:
    """A CPU profile; ``count`` units are samples taken every ``period_ns``."""

    samples: list[Sample] = field(default_factory=list)
    period_ns: int = 0
    frequency_hz: float = 0.0
    start_ns: int = 0
    duration_ns: int = 0
    mappings: list[Mapping] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    # Samples the collector knows it lost, by reason (e.g. "stack_collisions", "drops").
    lost: dict[str, int] = field(default_factory=dict)
    idle_samples: int = 0

    @classmethod
    def from_stacks(
        cls,
        stacks: Iterable[tuple[Iterable[Frame], int, MappingABC[str, str]]],
        *,
        frequency_hz: float = 0.0,
        start_ns: int = 0,
        duration_ns: int = 0,
        mappings: Iterable[Mapping] = (),
        meta: MappingABC[str, str] | None = None,
        lost: MappingABC[str, int] | None = None,
        idle_samples: int = 0,
    ) -> Profile:
        """Build from ``(root-first frames, count, labels)`` tuples, merging duplicates."""
        samples = (Sample(tuple(st), int(n), dict(lb)) for st, n, lb in stacks)
        return cls(
            samples=aggregate_samples(samples),
            period_ns=round(1e9 / frequency_hz) if frequency_hz else 0,
            frequency_hz=frequency_hz,
            start_ns=start_ns,
            duration_ns=duration_ns,
            mappings=list(mappings),
            meta=dict(meta or {}),
            lost=dict(lost or {}),
            idle_samples=idle_samples,
        )

    def total(self) -> int:
        """Sampled (non-idle) count; lost and idle samples are reported separately."""
        return sum(s.count for s in self.samples)

    def merge(self, other: Profile) -> Profile:
        """Combine two profiles of the same sampling frequency into a new one."""
        from beholder.profiles.merge import merge_all

        return merge_all([self, other])

    def filter(self, labels: LabelFilter) -> Profile:
        """Keep samples whose labels match every given key (a value or a set of values)."""
        want = {k: ({v} if isinstance(v, str) else set(v)) for k, v in labels.items()}

        def ok(s: Sample) -> bool:
            return all(s.labels.get(k) in vs for k, vs in want.items())

        return replace(self, samples=[s for s in self.samples if ok(s)], meta=dict(self.meta))

    def map_stacks(self, fn: Callable[[Stack], Stack]) -> Profile:
        """Rewrite every stack with ``fn`` (e.g. symbolization) and re-aggregate."""
        samples = aggregate_samples(Sample(fn(s.stack), s.count, s.labels) for s in self.samples)
        return replace(self, samples=samples)

    def namer(self) -> Callable[[Frame], str]:
        return frame_namer(self.mappings)

    def top_functions(self, n: int = 20) -> list[tuple[str, int, int]]:
        """``(function, self, total)`` by self desc; total counts a function once per stack."""
        own: dict[str, int] = {}
        incl: dict[str, int] = {}
        fname = self.namer()
        for s in self.samples:
            if not s.stack:
                continue
            leaf = fname(s.stack[-1])
            own[leaf] = own.get(leaf, 0) + s.count
            # A set, so recursive frames (a -> b -> a) are not double counted.
            for name in {fname(f) for f in s.stack}:
                incl[name] = incl.get(name, 0) + s.count
        rows = [(name, own.get(name, 0), tot) for name, tot in incl.items()]
        rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
        return rows[:n]

    def label_values(self, key: str) -> list[str]:
        return sorted({s.labels[key] for s in self.samples if key in s.labels})

    def to_json(self) -> str:
        from beholder.profiles.codec import encode

        return encode(self)

    @classmethod
    def from_json(cls, data: str | bytes) -> Profile:
        from beholder.profiles.codec import decode

        return decode(data)
