"""JIT frames from node's perf map, diffs of two runs, and the continuous mode's store."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from kprof import BEHOLDER, Procs, functions, profile_while, wait_exit

from beholder.profiles import diff
from beholder.profiles.continuous import ContinuousProfiler
from beholder.profiles.sampler import Filter
from beholder.profiles.store import ProfileStore, Query

pytestmark = pytest.mark.needs_root

HOT_JS = """
function hotJsFunction(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i) * 1.0001; return s; }
const end = Date.now() + 2500; let t = 0;
while (Date.now() < end) t += hotJsFunction(100000);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="nodejs not installed")
def test_node_perf_basic_prof_names_the_hot_js_function(procs: Procs, tmp_path: Path) -> None:
    script = tmp_path / "hot.js"
    script.write_text(HOT_JS)
    # Inlined into the script's top level, the function would have no frame of its own.
    # --perf-basic-prof also writes an isolate-*.log into the working directory.
    p = procs.start("node", "--perf-basic-prof", "--no-turbo-inlining", script, cwd=tmp_path)
    try:
        prof, sym = profile_while(lambda: wait_exit(p), filter=Filter(tgids=frozenset({p.pid})))
    finally:
        Path(f"/tmp/perf-{p.pid}.map").unlink(missing_ok=True)
    jit = {}
    for s in prof.samples:
        for f in s.stack:
            if f.kind == "jit":
                jit[f.name] = jit.get(f.name, 0) + s.count
    hot = sum(n for name, n in jit.items() if "hotJsFunction" in name)
    assert hot > 0.5 * prof.total(), sorted(jit.items(), key=lambda kv: -kv[1])[:5]
    # node's own C++ frames are demangled.
    names = {f.name for s in prof.samples for f in s.stack}
    assert any(n.startswith("node::") for n in names), sorted(names)[:20]


def test_diff_of_two_runs_shows_the_doubled_function_as_grown(cpu_bin: Path, procs: Procs) -> None:
    profiles = []
    for n1 in ("10000", "20000"):  # hot_double's work doubles in the second run
        p = procs.start(cpu_bin, "ratio", "2", n1, "10000")
        prof, _ = profile_while(lambda p=p: wait_exit(p), filter=Filter(tgids=frozenset({p.pid})))
        profiles.append(prof)
    result = diff(profiles[0], profiles[1])
    grown = result.function("hot_double")
    shrunk = result.function("hot_single")
    assert grown is not None and shrunk is not None
    # Shares 1/2 -> 2/3 and 1/2 -> 1/3: +/- 16.7 points, with sampling noise.
    assert grown.delta > 0.08, grown
    assert shrunk.delta < -0.08, shrunk
    assert result.functions[0].function in ("hot_double", "hot_single")


def test_continuous_mode_stores_profiles_and_a_range_query_merges_them(
        cpu_bin: Path, procs: Procs, tmp_path: Path) -> None:
    p = procs.start(cpu_bin, "ratio", "6", "20000", "10000")
    db = tmp_path / "profiles.duckdb"
    store = ProfileStore(db)
    harvested = []
    cp = ContinuousProfiler(store, frequency=499, interval_s=1.0,
                            filter=Filter(tgids=frozenset({p.pid})), on_profile=harvested.append)
    with cp:
        time.sleep(2.5)
        # Another process reads the store while the profiler keeps writing to it.
        r = subprocess.run([BEHOLDER, "profile", "query", "--store", str(db), "--since", "1h",
                            "--top", "3"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "hot_double" in r.stdout, r.stderr
        wait_exit(p)
    assert not cp.errors
    rows = store.rows(Query())
    assert len(rows) >= 3, rows
    assert {r["pid"] for r in rows} == {str(p.pid)} and {r["comm"] for r in rows} == {"cpu"}
    assert all(r["node"] and r["exe"] == str(cpu_bin) for r in rows)
    # Everything: the merge holds every harvested sample, once.
    everything = store.query(Query())
    assert everything.total() == sum(h.total() for h in harvested) == sum(int(r["samples"]) for r in rows)
    own = functions(everything)
    assert 1.5 < own["hot_double"] / own["hot_single"] < 2.5, own
    # A range covering only the middle harvests merges only those.
    mid = rows[1:-1]
    q = Query.make(int(mid[0]["start_ns"]) + 1, int(mid[-1]["end_ns"]) - 1)
    part = store.query(q)
    assert part.total() == sum(int(r["samples"]) for r in mid)
    assert part.start_ns == mid[0]["start_ns"] and part.start_ns + part.duration_ns == mid[-1]["end_ns"]
    # Labels that match nothing merge nothing.
    assert store.query(Query.make(labels={"comm": "no-such-comm"})).total() == 0
    store.close()
    # The CLI reads the same store: query and diff.
    r = subprocess.run([BEHOLDER, "profile", "query", "--store", str(db), "--since", "1h",
                        "--comm", "cpu", "--top", "3", "-o", str(tmp_path / "q.folded")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "hot_double" in r.stdout and f"{len(rows)} stored profile(s) merged" in r.stderr
    assert (tmp_path / "q.folded").read_text().count("hot_double") > 0
    r = subprocess.run([BEHOLDER, "profile", "diff", "--store", str(db), "--a", f"pid={p.pid}",
                        "--b", "comm=cpu", "--top", "1000", "-o", str(tmp_path / "d.html")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # The same samples selected two ways: nothing grew or shrank.
    row = next(ln.split() for ln in r.stdout.splitlines() if ln.startswith("hot_double "))
    assert row[-1] in ("+0.00", "-0.00") and float(row[1]) > 30, row
    assert (tmp_path / "d.html").stat().st_size > 1000


def test_store_retention_by_age_and_size(tmp_path: Path) -> None:
    from beholder.profiles.model import Frame, Profile

    store = ProfileStore(tmp_path / "r.duckdb", max_bytes=10_000, max_age_s=3600)
    now = time.time_ns()
    for i in range(40):
        stacks = [((Frame(f"f{i}_{j}", "m", j),), 1, {"pid": str(i), "comm": "x"})
                  for j in range(50)]
        store.add(Profile.from_stacks(stacks, frequency_hz=19, start_ns=now - (40 - i) * 10**9,
                                      duration_ns=10**9, meta={"node": "n"}))
    old = Profile.from_stacks([((Frame("old", "m", 1),), 1, {"pid": "1"})], frequency_hz=19,
                              start_ns=now - 7200 * 10**9, duration_ns=10**9)
    store.add(old)
    removed = store.enforce_retention(now)
    st = store.stats()
    assert removed > 0 and st["bytes"] <= 10_000
    kept = store.rows(Query())
    assert all(r["comm"] == "x" for r in kept)  # the two-hour-old row went by age
    assert kept[-1]["pid"] == "39"  # the newest rows stay
    # the agent's way: retention in the same connection as a write
    store.add(old, retention=True)
    assert all(r["comm"] == "x" for r in store.rows(Query()))
    assert store.add(Profile(), retention=True) == 0
    store.close()
