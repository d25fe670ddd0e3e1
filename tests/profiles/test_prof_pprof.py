"""pprof renderer: parse the gzipped proto back with the generated classes; go tool pprof."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from profile_fixtures import APP, KERNEL, LIBC, MAIN, START_NS, Frame

from beholder.profiles import Profile
from beholder.profiles.proto import profile_pb2
from beholder.profiles.render import pprof


def parse(data: bytes) -> profile_pb2.Profile:
    msg = profile_pb2.Profile()
    msg.ParseFromString(gzip.decompress(data))
    return msg


def fn_names(msg: profile_pb2.Profile, loc: profile_pb2.Location) -> list[str]:
    by_id = {f.id: f for f in msg.function}
    return [msg.string_table[by_id[ln.function_id].name] for ln in loc.line]


def test_header_types_period_and_time(profile: Profile) -> None:
    msg = parse(pprof.render(profile))
    st = msg.string_table
    assert st[0] == ""
    assert [(st[t.type], st[t.unit]) for t in msg.sample_type] == [
        ("samples", "count"),
        ("cpu", "nanoseconds"),
    ]
    assert (st[msg.period_type.type], st[msg.period_type.unit]) == ("cpu", "nanoseconds")
    assert msg.period == round(1e9 / 99)
    assert st[msg.default_sample_type] == "cpu"
    assert msg.time_nanos == START_NS
    assert msg.duration_nanos == 10_000_000_000
    comments = [st[c] for c in msg.comment]
    assert "host=test-host" in comments and "lost.stack_collisions=2" in comments


def test_string_table_indices_valid(profile: Profile) -> None:
    msg = parse(pprof.render(profile))
    n = len(msg.string_table)
    assert len(set(msg.string_table)) == n  # deduplicated
    idx = [msg.drop_frames, msg.keep_frames, msg.period_type.type, msg.period_type.unit]
    idx += [i for t in msg.sample_type for i in (t.type, t.unit)]
    idx += [i for m in msg.mapping for i in (m.filename, m.build_id)]
    idx += [i for f in msg.function for i in (f.name, f.system_name, f.filename)]
    idx += [i for s in msg.sample for lb in s.label for i in (lb.key, lb.str, lb.num_unit)]
    assert all(0 <= i < n for i in idx)


def test_samples_values_and_labels(profile: Profile) -> None:
    msg = parse(pprof.render(profile))
    st = msg.string_table
    assert sum(s.value[0] for s in msg.sample) == profile.total()
    assert all(s.value[1] == s.value[0] * msg.period for s in msg.sample)
    for s in msg.sample:
        labels = {
            st[lb.key]: (lb.num if st[lb.key] in ("pid", "tid") else st[lb.str]) for lb in s.label
        }
        assert isinstance(labels["pid"], int) and labels["pid"] in (100, 200)
        assert labels["comm"] in ("app", "other")
        assert labels["exe"] == APP
        pid_label = next(lb for lb in s.label if st[lb.key] == "pid")
        assert pid_label.str == 0  # numeric, not a string
    containers = {st[lb.str] for s in msg.sample for lb in s.label if st[lb.key] == "container"}
    assert containers == {"web-1"}


def test_locations_functions_deduped_leaf_first(profile: Profile) -> None:
    msg = parse(pprof.render(profile))
    distinct = {f for s in profile.samples for f in s.stack}
    assert len(msg.location) == len(distinct)
    assert len({f.id for f in msg.function}) == len(msg.function) == len(distinct)
    assert [loc.id for loc in msg.location] == list(range(1, len(msg.location) + 1))
    locs = {loc.id: loc for loc in msg.location}
    hot = next(s for s in msg.sample if s.value[0] == 60)
    assert [fn_names(msg, locs[i])[0] for i in hot.location_id] == ["hot_loop", "compute", "main"]
    unknown = next(s for s in msg.sample if s.value[0] == 5)
    assert fn_names(msg, locs[unknown.location_id[0]]) == ["libc.so.6+0x35560"]


def test_mappings_build_ids_and_kernel(profile: Profile) -> None:
    msg = parse(pprof.render(profile))
    st = msg.string_table
    maps = {st[m.filename]: m for m in msg.mapping}
    assert st[msg.mapping[0].filename] == APP  # main binary first
    assert st[maps[APP].build_id] == "aabbccdd"
    assert maps[APP].has_functions
    assert st[maps[LIBC].build_id] == "11223344"
    assert not maps[LIBC].has_functions  # one unsymbolized frame there
    assert KERNEL in maps and maps[KERNEL].has_functions
    k = maps[KERNEL]
    kern_locs = [loc for loc in msg.location if loc.mapping_id == k.id]
    assert len(kern_locs) == 2
    assert all(k.memory_start <= loc.address < k.memory_limit for loc in kern_locs)
    assert all(loc.mapping_id in {m.id for m in msg.mapping} for loc in msg.location)


def test_inlined_frames_become_lines_of_one_location() -> None:
    caller = Frame("caller", APP, 0x401500, "user", file="a.c", line=10)
    inl = Frame("inlined_callee", APP, 0x401500, "user", file="a.h", line=3, inlined=True)
    p = Profile.from_stacks([((MAIN, caller, inl), 4, {"pid": "1"})], frequency_hz=100)
    msg = parse(pprof.render(p))
    assert len(msg.sample[0].location_id) == 2
    leaf = next(loc for loc in msg.location if loc.id == msg.sample[0].location_id[0])
    assert fn_names(msg, leaf) == ["inlined_callee", "caller"]
    assert [ln.line for ln in leaf.line] == [3, 10]
    assert msg.mapping[0].has_inline_frames and msg.mapping[0].has_line_numbers


def test_output_is_reproducible(profile: Profile) -> None:
    assert pprof.render(profile) == pprof.render(profile)


def test_go_tool_pprof_top(profile: Profile, tmp_path: Path) -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip(
            "go not on PATH: `go tool pprof` cross-check skipped (apt-get install golang-go)"
        )
    path = tmp_path / "cpu.pb.gz"
    path.write_bytes(pprof.render(profile))
    env = dict(os.environ, HOME=str(tmp_path), GOCACHE=str(tmp_path / "gocache"), GOFLAGS="")
    env["PPROF_BINARY_PATH"] = str(tmp_path)  # never go looking for the real binaries
    res = subprocess.run(
        [go, "tool", "pprof", "-top", "-symbolize=none", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    top_lines = [ln for ln in res.stdout.splitlines() if ln.strip().endswith("hot_loop")]
    assert top_lines, res.stdout
    # hot_loop is the hottest: first row after the column header.
    rows = res.stdout.split("flat%")[1].splitlines()[1:]
    assert rows[0].split()[-1] == "hot_loop"
    assert "Type: cpu" in res.stdout
