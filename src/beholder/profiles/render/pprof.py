"""Gzipped pprof profile.proto, readable by `go tool pprof`, Parca and Pyroscope."""

from __future__ import annotations

import gzip

from beholder.profiles.model import Frame, Mapping, Profile, unknown_label
from beholder.profiles.proto import profile_pb2 as pb

KERNEL_MAPPING = "[kernel.kallsyms]"
NUMERIC_LABELS = frozenset({"pid", "tid"})
EXTENSIONS = (".pb.gz", ".pprof")
BINARY = True


class _Builder:
    """Interns strings, mappings, functions and locations; ids are 1-based as pprof wants."""

    def __init__(self, profile: Profile) -> None:
        self.out = pb.Profile()
        self.strings: dict[str, int] = {}
        self.s("")  # string_table[0] must be ""
        self.functions: dict[tuple[str, str, int], int] = {}
        self.locations: dict[tuple[Frame, ...], int] = {}
        self.mappings: dict[Mapping, pb.Mapping] = {}
        self.by_file: dict[str, list[Mapping]] = {}
        self.synthetic: set[Mapping] = set()
        for m in profile.mappings:
            self._add_mapping(m)

    def s(self, text: str) -> int:
        i = self.strings.get(text)
        if i is None:
            i = self.strings[text] = len(self.strings)
            self.out.string_table.append(text)
        return i

    def _add_mapping(self, m: Mapping) -> pb.Mapping:
        pm = self.out.mapping.add(
            id=len(self.mappings) + 1,
            memory_start=m.start,
            memory_limit=m.limit,
            file_offset=m.offset,
            filename=self.s(m.file),
            build_id=self.s(m.build_id),
            has_functions=True,  # cleared below by the first unsymbolized frame
        )
        self.mappings[m] = pm
        self.by_file.setdefault(m.file, []).append(m)
        return pm

    def mapping_for(self, f: Frame) -> tuple[Mapping, pb.Mapping]:
        module = KERNEL_MAPPING if f.kind == "kernel" else (f.module or "[unknown]")
        cands = self.by_file.get(module, [])
        m = next((m for m in cands if m.start <= f.address < m.limit), cands[0] if cands else None)
        if m is None:
            # No mapping known for this module (kernel, JIT, symbolizer gave up): make one
            # so pprof still groups locations by binary; its range grows to cover them.
            m = Mapping(f.address, f.address + 1, 0, module, "")
            self.synthetic.add(m)
        pm = self.mappings.get(m) or self._add_mapping(m)
        if m in self.synthetic:
            pm.memory_start = min(pm.memory_start, f.address)
            pm.memory_limit = max(pm.memory_limit, f.address + 1)
        return m, pm

    @staticmethod
    def note_symbols(pm: pb.Mapping, f: Frame) -> None:
        """Mapping flags tell pprof how far symbolization went; any gap clears has_functions."""
        if not f.function:
            pm.has_functions = False
        pm.has_filenames |= bool(f.file)
        pm.has_line_numbers |= bool(f.line)
        pm.has_inline_frames |= f.inlined

    def function_id(self, f: Frame, name: str) -> int:
        key = (name, f.file or "", 0)
        fid = self.functions.get(key)
        if fid is None:
            fid = self.functions[key] = len(self.functions) + 1
            self.out.function.add(
                id=fid, name=self.s(name), system_name=self.s(name), filename=self.s(f.file or "")
            )
        return fid

    def location_id(self, group: tuple[Frame, ...]) -> int:
        """``group`` is leaf-first: inlined frames followed by the real frame they sit in."""
        lid = self.locations.get(group)
        if lid is None:
            lid = self.locations[group] = len(self.locations) + 1
            real = group[-1]
            m, pm = self.mapping_for(real)
            loc = self.out.location.add(id=lid, mapping_id=pm.id, address=real.address)
            for f in group:
                self.note_symbols(pm, f)
                # Unsymbolized frames get a "module+0xoffset" function, as in every other
                # renderer, rather than an empty location pprof would print as a bare address.
                name = f.function or unknown_label(f.module, f.address, m)
                loc.line.add(function_id=self.function_id(f, name), line=f.line or 0)
        return lid


def _location_groups(stack: tuple[Frame, ...]) -> list[tuple[Frame, ...]]:
    """Leaf-first groups; pprof puts inlined callees as extra lines of the caller's location."""
    groups: list[tuple[Frame, ...]] = []
    pending: list[Frame] = []
    for f in reversed(stack):
        pending.append(f)
        if not f.inlined:
            groups.append(tuple(pending))
            pending = []
    if pending:  # inlined frames with no physical caller left: keep them, don't drop
        groups.append(tuple(pending))
    return groups


def _labels(b: _Builder, labels: dict[str, str]) -> list[pb.Label]:
    out = []
    for k, v in sorted(labels.items()):
        if k in NUMERIC_LABELS and v.lstrip("-").isdigit():
            out.append(pb.Label(key=b.s(k), num=int(v)))
        else:
            out.append(pb.Label(key=b.s(k), str=b.s(v)))
    return out


def to_proto(profile: Profile) -> pb.Profile:
    """The un-serialized message, for callers that want to inspect or extend it."""
    b = _Builder(profile)
    out = b.out
    period = profile.period_ns or (round(1e9 / profile.frequency_hz) if profile.frequency_hz else 0)
    out.sample_type.add(type=b.s("samples"), unit=b.s("count"))
    out.sample_type.add(type=b.s("cpu"), unit=b.s("nanoseconds"))
    out.period_type.type = b.s("cpu")
    out.period_type.unit = b.s("nanoseconds")
    out.period = period
    out.default_sample_type = b.s("cpu")
    out.time_nanos = profile.start_ns
    out.duration_nanos = profile.duration_ns
    for s in profile.samples:
        ids = [b.location_id(g) for g in _location_groups(s.stack)]
        out.sample.add(
            location_id=ids, value=[s.count, s.count * period], label=_labels(b, s.labels)
        )
    comments = [f"{k}={v}" for k, v in sorted(profile.meta.items())]
    comments += [f"lost.{k}={v}" for k, v in sorted(profile.lost.items())]
    if profile.idle_samples:
        comments.append(f"idle_samples={profile.idle_samples}")
    out.comment.extend(b.s(c) for c in comments)
    return out


def render(profile: Profile) -> bytes:
    # mtime=0 keeps the output byte-for-byte reproducible.
    return gzip.compress(to_proto(profile).SerializeToString(), mtime=0)
