"""`beholder profile` end to end: every output format read back, pprof by protobuf and by
`go tool pprof`, and one-line errors for bad input."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from kprof import BEHOLDER, Procs

from beholder.profiles.proto import profile_pb2

pytestmark = pytest.mark.needs_root


def run_cli(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BEHOLDER, "profile", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def outputs(cpu_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One workload, profiled once per format (each run is a separate one-shot profile)."""
    d = tmp_path_factory.mktemp("outs")
    out = {}
    for name in ("flame.html", "profile.pb.gz", "out.folded", "out.speedscope.json"):
        p = subprocess.Popen([str(cpu_bin), "ratio", "3", "20000", "10000"],
                             stdout=subprocess.DEVNULL)
        try:
            r = run_cli("--pid", p.pid, "--duration", "1500ms", "-F", "199", "-o", d / name)
            assert r.returncode == 0, r.stderr
            assert "samples from 1 process" in r.stderr
        finally:
            p.kill()
            p.wait()
        out[name] = d / name
    return out


def test_pprof_reads_back_with_protobuf(outputs: dict[str, Path]) -> None:
    prof = profile_pb2.Profile()
    prof.ParseFromString(gzip.decompress(outputs["profile.pb.gz"].read_bytes()))
    strings = list(prof.string_table)
    types = [(strings[t.type], strings[t.unit]) for t in prof.sample_type]
    assert types == [("samples", "count"), ("cpu", "nanoseconds")]
    assert (strings[prof.period_type.type], strings[prof.period_type.unit]) == ("cpu", "nanoseconds")
    names = {strings[f.name] for f in prof.function}
    assert {"hot_double", "hot_single", "main"} <= names
    label_keys = {strings[lb.key] for s in prof.sample for lb in s.label}
    assert {"pid", "comm"} <= label_keys
    exe = next(m for m in prof.mapping if strings[m.filename].endswith("/cpu"))
    assert strings[exe.build_id]  # gcc links a GNU build id in
    assert sum(s.value[0] for s in prof.sample) > 100


@pytest.mark.skipif(shutil.which("go") is None, reason="golang-go not installed")
def test_pprof_reads_back_with_go_tool_pprof(outputs: dict[str, Path], tmp_path: Path) -> None:
    r = subprocess.run(["go", "tool", "pprof", "-top", "-symbolize=none",
                        str(outputs["profile.pb.gz"])], capture_output=True, text=True,
                       timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                                         "GOCACHE": str(tmp_path / "gocache")})
    assert r.returncode == 0, r.stderr
    assert "Type: cpu" in r.stdout
    lines = [ln.split() for ln in r.stdout.splitlines()]
    flat = {ln[-1]: ln[1] for ln in lines if len(ln) >= 6 and ln[1].endswith("%")}
    assert "hot_double" in flat and "hot_single" in flat, r.stdout
    assert float(flat["hot_double"].rstrip("%")) > float(flat["hot_single"].rstrip("%"))


def test_folded_and_speedscope_and_html(outputs: dict[str, Path]) -> None:
    folded = outputs["out.folded"].read_text().splitlines()
    hot = [ln for ln in folded if ";main;hot_double " in ln]
    assert hot and all(int(ln.rsplit(" ", 1)[1]) > 0 for ln in hot)
    doc = json.loads(outputs["out.speedscope.json"].read_text())
    assert doc["$schema"].startswith("https://www.speedscope.app/")
    frames = {f["name"] for f in doc["shared"]["frames"]}
    assert {"hot_double", "hot_single"} <= frames
    html = outputs["flame.html"].read_text()
    assert "hot_double" in html and "<script" in html and "http://" not in html.split("<script", 1)[0]


@pytest.mark.parametrize(("args", "message"), [
    (["--duration", "3x"], "invalid --duration '3x'"),
    (["--duration", "0s"], "must be more than 0"),
    (["--pid", "999999999"], "invalid --pid 999999999: no such process"),
    (["--pid", "abc"], "'abc' is not a valid integer"),
    (["-o", "/nonexistent-dir/x.html"], "directory /nonexistent-dir does not exist"),
    (["-o", "profile.unknownext"], "cannot tell the profile format"),
    (["--all", "--comm", "x"], "--all cannot be combined"),
    (["--container", "no-such-container-xyz"], "invalid --container"),
    (["query", "--since", "yesterday", "--store", "/nonexistent.duckdb"], "invalid --since"),
    (["query", "--store", "/nonexistent.duckdb"], "no profile store at /nonexistent.duckdb"),
    (["diff", "--a", "comm", "--b", "pid=1", "--store", "/x.duckdb"], "invalid --a"),
    (["diff", "--a", "flavour=x", "--b", "pid=1", "--store", "/x.duckdb"], "unknown label"),
])
def test_bad_input_is_one_line(args: list[str], message: str) -> None:
    r = run_cli(*args)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert lines[0].startswith("beholder: error:")


def test_comm_one_shot_prints_top_functions(cpu_bin: Path, procs: Procs) -> None:
    p = procs.start(cpu_bin, "ratio", "3", "20000", "10000")
    r = run_cli("--comm", "cpu", "-d", "1s", "--top", "5")
    p.kill()
    assert r.returncode == 0, r.stderr
    rows = [ln.split() for ln in r.stdout.splitlines()[1:]]
    assert rows and rows[0][-1] == "hot_double", r.stdout


def test_container_option_takes_a_cgroup_path(cpu_bin: Path, procs: Procs) -> None:
    root = Path("/sys/fs/cgroup/unified")
    if not (root / "cgroup.procs").exists():
        root = Path("/sys/fs/cgroup")
    cg = root / f"beholder-prof-cli-{id(procs)}"
    cg.mkdir()
    try:
        inside = procs.start(cpu_bin, "ratio", "3", "20000", "10000")
        procs.start(cpu_bin, "ratio", "3", "20000", "10000")  # same comm, outside: left out
        (cg / "cgroup.procs").write_text(str(inside.pid))
        r = run_cli("--container", f"/{cg.name}", "-d", "2s", "-o", "/dev/stdout", "--format",
                    "folded")
        assert r.returncode == 0, r.stderr
        assert "from 1 process(es)" in r.stderr
        assert "hot_double" in r.stdout
    finally:
        for p in procs.started:
            p.kill()
            p.wait()
        cg.rmdir()
