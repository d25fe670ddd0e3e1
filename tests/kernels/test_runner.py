"""kernels/run.py without a kernel: the matrix file, JUnit parsing and the result table."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("kernels_run", ROOT / "kernels" / "run.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["kernels_run"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


run = _load()

MATRIX = """
[[kernel]]
id = "host"
source = "host"
suites = ["runtime"]

[[kernel]]
id = "deb"
source = "debian"
package = "linux-image-amd64"
expect = { kprobe = true, fentry = true }

[features.kprobe]
doctor = "kprobe"
tests = ["kprobe"]

[features.fentry]
doctor = "program_types.fentry.available"
tests = ["fentry", "kfunc"]

[features.perf_event]
doctor = "perf_events.software"
tests = ["perf_event"]

[suites.runtime]
tests = ["tests/ebpf"]

[suites.trace]
tests = ["tests/trace_kernel/test_trace_errors.py"]
"""

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.ebpf.test_attach" name="test_kprobe_and_fentry_work_or_say_why[kprobe-on_kprobe-0]" time="1.0"/>
<testcase classname="tests.ebpf.test_attach" name="test_kprobe_and_fentry_work_or_say_why[kretprobe-on_kretprobe-1]" time="1.0"/>
<testcase classname="tests.ebpf.test_attach" name="test_kprobe_and_fentry_work_or_say_why[fentry-on_fentry-2]" time="1.0">
  <failure message="assert 0 == 50">long text</failure></testcase>
<testcase classname="tests.ebpf.test_attach" name="test_perf_event_sampling_sees_busy_child" time="2.5"/>
<testcase classname="tests.trace_kernel.test_trace_errors" name="test_kfunc_works_or_is_refused_with_advice" time="3"/>
<testcase classname="tests.trace_kernel.test_trace_errors" name="test_bad_program_is_a_clean_error[syntax]" time="1">
  <skipped message="needs root"/></testcase>
</testsuite></testsuites>"""


def test_the_real_matrix_parses_and_has_a_kprobe_kernel_and_the_host():
    m = run.parse_matrix((ROOT / "kernels" / "matrix.toml").read_text())
    assert {k.source for k in m.kernels} == {"host", "debian"}
    assert any(k.expect.get("kprobe") and k.expect.get("fentry") for k in m.kernels)
    for k in m.kernels:
        for s in k.suites:
            for p in m.suites[s]:
                path, _, test = p.partition("::")
                assert (ROOT / path).exists(), f"{k.id}: suite {s} names a missing path {p}"
                if test:
                    assert f"def {test}(" in (ROOT / path).read_text(), f"no test {p}"


def test_matrix_defaults_and_lookups():
    m = run.parse_matrix(MATRIX)
    assert [k.id for k in m.kernels] == ["host", "deb"]
    assert m.kernel("host").suites == ("runtime",)
    assert m.kernel("deb").suites == ("runtime", "trace")  # every suite when none are named
    assert m.kernel("deb").expect == {"kprobe": True, "fentry": True}
    with pytest.raises(run.MatrixError, match="no kernel 'nope'"):
        m.kernel("nope")


@pytest.mark.parametrize("bad,needle", [
    ("[[kernel]]\nid = 'a b'\nsource = 'host'", "short name"),
    ("[[kernel]]\nid = 'a'\nsource = 'ubuntu'", "source"),
    ("[[kernel]]\nid = 'a'\nsource = 'debian'", "needs `package`"),
    ("[[kernel]]\nid = 'a'\nsource = 'host'\nexpect = { kprobe = true }", "not a [features]"),
    ("[[kernel]]\nid = 'a'\nsource = 'host'\nsuites = ['x']", "no suite 'x'"),
    ("[[kernel]]\nid = 'a'\nsource = 'host'\n[[kernel]]\nid = 'a'\nsource = 'host'", "twice"),
    ("[features.kprobe]\ntests = []", "`doctor`"),
    ("[suites.x]\ntests = []", "non-empty"),
    ("", "no [[kernel]]"),
    ("[[kernel", "not valid TOML"),
])
def test_matrix_errors_say_what_is_wrong(bad, needle):
    with pytest.raises(run.MatrixError, match=r".*" + __import__("re").escape(needle)):
        run.parse_matrix(bad)


def test_junit_outcomes_and_ids():
    cases = run.parse_junit(JUNIT)
    assert [c.outcome for c in cases] == ["passed", "passed", "failed", "passed", "passed",
                                          "skipped"]
    assert cases[2].message == "assert 0 == 50"
    assert cases[0].id == ("tests/ebpf/test_attach.py::"
                           "test_kprobe_and_fentry_work_or_say_why[kprobe-on_kprobe-0]")


@pytest.mark.parametrize("name,feature,takes", [
    ("test_kprobe_and_fentry_work_or_say_why[kprobe-on_kprobe-0]", "kprobe", True),
    ("test_kprobe_and_fentry_work_or_say_why[kretprobe-on_kretprobe-1]", "kprobe", False),
    ("test_kprobe_and_fentry_work_or_say_why[fexit-on_fexit-3]", "fentry", False),
    ("test_kfunc_works_or_is_refused_with_advice", "fentry", True),
    ("test_perf_event_sampling_sees_busy_child", "perf_event", True),
    ("test_perf_sampling", "perf_event", False),
    ("test_kprobe_works_or_advice_names_the_tracepoint", "kprobe", True),
])
def test_a_test_takes_a_path_by_the_words_of_its_name(name, feature, takes):
    m = run.parse_matrix(MATRIX)
    f = next(f for f in m.features if f.name == feature)
    assert run.takes_path(name, f) is takes


def _result(m, kid, doctor, junit=JUNIT, rc=1):
    r = run.KernelResult(m.kernel(kid), release="6.1.0-56-amd64", seconds=125)
    r.doctor, r.cases, r.pytest_rc = doctor, run.parse_junit(junit) if junit else [], rc
    return r


def test_table_rows_kernel_feature_result():
    m = run.parse_matrix(MATRIX)
    doctor = {"kprobe": True, "program_types": {"fentry": {"available": True}},
              "perf_events": {"software": True}}
    rows = run.rows(m, _result(m, "deb", doctor))
    by = {r[1]: r for r in rows}
    assert by["kprobe"] == ("deb", "kprobe", "yes", "yes", "1 passed", "ok")
    assert by["fentry"][4:] == ("1 failed, 1 passed", "FAIL: tests failed")
    assert by["perf_event"][2:] == ("-", "yes", "1 passed", "ok")
    assert by["suite runtime"][4:] == ("1 failed, 3 passed", "FAIL")
    assert by["suite trace"][4:] == ("1 skipped, 1 passed", "FAIL")  # a skip hides a path
    table = run.table(m, [_result(m, "deb", doctor)])
    assert table.splitlines()[0].split() == list(run.HEADER)
    assert run.failed(m, _result(m, "deb", doctor))


def test_doctor_disagreeing_with_the_matrix_fails_even_when_tests_pass():
    m = run.parse_matrix(MATRIX)
    passing = JUNIT.replace('<failure message="assert 0 == 50">long text</failure>', "")
    passing = passing.replace('<skipped message="needs root"/>', "")
    doctor = {"kprobe": False, "program_types": {"fentry": {"available": True}}}
    rows = {r[1]: r for r in run.rows(m, _result(m, "deb", doctor, passing, rc=0))}
    assert rows["kprobe"][5] == "FAIL: doctor says no, expected yes"
    assert rows["fentry"][5] == "ok"
    ok = {"kprobe": True, "program_types": {"fentry": {"available": True}}}
    assert not run.failed(m, _result(m, "deb", ok, passing, rc=0))


def test_a_guest_that_never_came_back_is_one_failed_row():
    m = run.parse_matrix(MATRIX)
    r = run.KernelResult(m.kernel("deb"), error="timed out after 40 minutes")
    assert run.rows(m, r) == [("deb", "boot", "", "", "", "FAIL: timed out after 40 minutes")]
    assert run.failed(m, r)


def test_pytest_exit_without_a_failed_case_still_fails():
    m = run.parse_matrix(MATRIX)
    passing = JUNIT.replace('<failure message="assert 0 == 50">long text</failure>', "")
    passing = passing.replace('<skipped message="needs root"/>', "")
    ok = {"kprobe": True, "program_types": {"fentry": {"available": True}}}
    rows = run.rows(m, _result(m, "deb", ok, passing, rc=1))  # e.g. the leak check at exit
    assert rows[-1] == ("deb", "pytest", "", "", "exit 1", "FAIL")


def test_read_result_from_a_results_directory(tmp_path):
    m = run.parse_matrix(MATRIX)
    (tmp_path / "doctor.json").write_text('{"kprobe": true}')
    (tmp_path / "junit.xml").write_text(JUNIT)
    (tmp_path / "pytest.rc").write_text("1\n")
    (tmp_path / "uname").write_text("6.1.0-56-amd64\n")
    (tmp_path / "times").write_text("start 1.0 100.0\nmounted 2.0 130.5\ndoctor 3 140.5\n")
    r = run.read_result(m.kernel("deb"), tmp_path, 200)
    assert r.release == "6.1.0-56-amd64" and r.pytest_rc == 1 and len(r.cases) == 6
    assert r.phases == {"mounted": 30.5, "doctor": 10.0}
    assert run.summary_line(r) == "deb: 6.1.0-56-amd64 in 3m20s (mounted 0m30s, doctor 0m10s)"
    empty = run.read_result(m.kernel("deb"), tmp_path / "none", 5)
    assert empty.doctor is None and "junit" in empty.error
