#!/usr/bin/env python3
"""`make test-kernels`: the kernel-facing tests on every kernel of kernels/matrix.toml.

Each kernel of the matrix is either the host's own (tested in place) or a Debian kernel package,
booted with virtme-ng under QEMU (software emulation: KVM hangs at boot on the build machines).
In each, kernels/guest.sh runs `beholder doctor --json` and `pytest -m needs_root` on the
kernel's suites, writing doctor.json, junit.xml and logs to build/kernels/<id>/. This script
installs what that needs, boots the kernels one after the other, and prints a table
kernel x feature x result. It exits 1 if any kernel fails: a test failed, doctor disagreed with
the matrix's `expect`, or the guest did not come back.

    .venv/bin/python kernels/run.py                      # the whole matrix
    .venv/bin/python kernels/run.py -k debian-6.1 -s runtime -s kernels   # a subset
    BEHOLDER_KERNELS=debian-6.1 make test-kernels        # the same subset through make

Only the standard library is used, so the parsing half can be tested without a kernel.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ROOT / "kernels" / "matrix.toml"
OUT = ROOT / "build" / "kernels"
VENV_BIN = ROOT / ".venv" / "bin"
VIRTME_NG = "virtme-ng==1.42"
DEB_VM = ["qemu-system-x86", "busybox-static"]
SOURCES = ("host", "debian")


# ---------------------------------------------------------------------------------------------
# The matrix file


class MatrixError(ValueError):
    pass


@dataclass(frozen=True)
class Kernel:
    id: str
    source: str
    suites: tuple[str, ...]
    package: str | None = None
    expect: dict[str, bool] = field(default_factory=dict)
    timeout: float = 30  # minutes


@dataclass(frozen=True)
class Feature:
    name: str
    doctor: str  # dotted path into `beholder doctor --json`
    tests: tuple[str, ...]  # words of a test's name that mean it takes this path


@dataclass(frozen=True)
class Matrix:
    kernels: tuple[Kernel, ...]
    features: tuple[Feature, ...]
    suites: dict[str, tuple[str, ...]]  # name -> pytest paths

    def kernel(self, kid: str) -> Kernel:
        for k in self.kernels:
            if k.id == kid:
                return k
        raise MatrixError(f"no kernel {kid!r} in the matrix (have: "
                          f"{', '.join(k.id for k in self.kernels)})")


def parse_matrix(text: str) -> Matrix:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise MatrixError(f"matrix is not valid TOML: {e}") from None
    suites: dict[str, tuple[str, ...]] = {}
    for name, s in data.get("suites", {}).items():
        tests = s.get("tests")
        if not tests or not all(isinstance(t, str) for t in tests):
            raise MatrixError(f"suite {name!r}: `tests` must be a non-empty list of paths")
        suites[name] = tuple(tests)
    features = []
    for name, f in data.get("features", {}).items():
        if not isinstance(f.get("doctor"), str):
            raise MatrixError(f"feature {name!r}: `doctor` (a key of doctor --json) is missing")
        features.append(Feature(name, f["doctor"], tuple(f.get("tests", ()))))
    names = {f.name for f in features}
    kernels: list[Kernel] = []
    for i, k in enumerate(data.get("kernel", [])):
        kid = k.get("id")
        if not isinstance(kid, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", kid):
            raise MatrixError(f"kernel #{i + 1}: `id` must be a short name ([A-Za-z0-9._-])")
        if any(x.id == kid for x in kernels):
            raise MatrixError(f"kernel {kid!r} appears twice")
        source = k.get("source")
        if source not in SOURCES:
            raise MatrixError(f"kernel {kid!r}: `source` must be one of {', '.join(SOURCES)}")
        if source == "debian" and not isinstance(k.get("package"), str):
            raise MatrixError(f"kernel {kid!r}: a debian kernel needs `package`")
        expect = k.get("expect", {})
        for key, v in expect.items():
            if key not in names:
                raise MatrixError(f"kernel {kid!r}: expect.{key} is not a [features] entry")
            if not isinstance(v, bool):
                raise MatrixError(f"kernel {kid!r}: expect.{key} must be true or false")
        ks = k.get("suites", list(suites))
        for s in ks:
            if s not in suites:
                raise MatrixError(f"kernel {kid!r}: no suite {s!r}")
        kernels.append(Kernel(kid, source, tuple(ks), k.get("package"), dict(expect),
                              float(k.get("timeout", 30))))
    if not kernels:
        raise MatrixError("the matrix names no [[kernel]]")
    return Matrix(tuple(kernels), tuple(features), suites)


# ---------------------------------------------------------------------------------------------
# Results: doctor.json and junit.xml


@dataclass(frozen=True)
class Case:
    classname: str  # tests.ebpf.test_attach
    name: str  # test_kprobe_and_fentry_work_or_say_why[kprobe-on_kprobe-0]
    outcome: str  # passed failed error skipped
    message: str = ""
    seconds: float = 0.0

    @property
    def id(self) -> str:
        return f"{self.classname.replace('.', '/')}.py::{self.name}"


def parse_junit(text: str) -> list[Case]:
    root = ET.fromstring(text)
    cases = []
    for tc in root.iter("testcase"):
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            el = tc.find(tag)
            if el is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (el.get("message") or el.text or "").strip()
                break
        cases.append(Case(tc.get("classname", ""), tc.get("name", ""), outcome, message,
                          float(tc.get("time") or 0)))
    return cases


def words(test_name: str) -> list[str]:
    """The words of a test's name; for a parametrized test, of its parameters only."""
    m = re.search(r"\[(.*)\]$", test_name)
    part = m.group(1) if m else test_name
    return [w for w in re.split(r"[^A-Za-z0-9]+", part) if w]


def takes_path(test_name: str, feature: Feature) -> bool:
    """A feature word (`kprobe`, `perf_event`) is a run of whole words of the test's name."""
    joined = "_" + "_".join(words(test_name)) + "_"
    return any("_" + "_".join(words(w)) + "_" in joined for w in feature.tests)


def in_suite(case: Case, paths: tuple[str, ...]) -> bool:
    cls = case.classname.replace(".", "/")
    for p in paths:
        p = p.split("::")[0].removesuffix(".py").rstrip("/")
        if cls == p or cls.startswith(p + "/"):
            return True
    return False


def doctor_value(report: dict[str, Any], dotted: str) -> Any:
    cur: Any = report
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


@dataclass
class KernelResult:
    kernel: Kernel
    release: str = ""
    seconds: float = 0.0
    doctor: dict[str, Any] | None = None
    cases: list[Case] = field(default_factory=list)
    pytest_rc: int | None = None
    error: str = ""  # why there are no results (boot failed, timeout...)
    phases: dict[str, float] = field(default_factory=dict)


def count(cases: list[Case]) -> str:
    if not cases:
        return "no tests"
    n: dict[str, int] = {}
    for c in cases:
        n[c.outcome] = n.get(c.outcome, 0) + 1
    order = ("failed", "error", "skipped", "passed")
    return ", ".join(f"{n[o]} {o}" for o in order if o in n)


def bad(cases: list[Case]) -> bool:
    # Under CI=true a needs_root skip is already a failure; count any left-over skip as one too.
    return any(c.outcome != "passed" for c in cases)


def yn(v: Any) -> str:
    return "-" if v is None else ("yes" if v else "no")


def rows(matrix: Matrix, r: KernelResult) -> list[tuple[str, str, str, str, str, str]]:
    """(kernel, feature, expected, doctor, tests, result) rows for one kernel."""
    kid = r.kernel.id
    if r.error and r.doctor is None and not r.cases:
        return [(kid, "boot", "", "", "", f"FAIL: {r.error}")]
    out = []
    if r.doctor is None:
        out.append((kid, "doctor --json", "", "", "", f"FAIL: {r.error or 'no report'}"))
    for f in matrix.features:
        want = r.kernel.expect.get(f.name)
        got = doctor_value(r.doctor or {}, f.doctor)
        cases = [c for c in r.cases if takes_path(c.name, f)]
        problems = []
        if want is not None and got is not want:
            problems.append(f"doctor says {yn(got)}, expected {yn(want)}")
        if bad(cases):
            problems.append("tests failed")
        result = "FAIL: " + "; ".join(problems) if problems else "ok"
        out.append((kid, f.name, yn(want), yn(got), count(cases) if f.tests else "", result))
    for name in r.kernel.suites:
        cases = [c for c in r.cases if in_suite(c, matrix.suites[name])]
        result = "FAIL" if bad(cases) or not cases else "ok"
        out.append((kid, f"suite {name}", "", "", count(cases), result))
    unmatched = [c for c in r.cases
                 if not any(in_suite(c, matrix.suites[s]) for s in r.kernel.suites)]
    if unmatched:
        out.append((kid, "other tests", "", "", count(unmatched), "FAIL" if bad(unmatched)
                    else "ok"))
    if r.pytest_rc not in (0, None) and not bad(r.cases):
        out.append((kid, "pytest", "", "", f"exit {r.pytest_rc}", "FAIL"))
    if r.error:
        out.append((kid, "run", "", "", "", f"FAIL: {r.error}"))
    return out


def failed(matrix: Matrix, r: KernelResult) -> bool:
    return any(row[5] != "ok" for row in rows(matrix, r))


def render(header: tuple[str, ...], body: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(str(x[i])) for x in [header, *body]) for i in range(len(header))]
    line = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, body)])


HEADER = ("KERNEL", "FEATURE", "EXPECTED", "DOCTOR", "TESTS", "RESULT")


def table(matrix: Matrix, results: list[KernelResult]) -> str:
    body = [row for r in results for row in rows(matrix, r)]
    return render(HEADER, body)


def minutes(s: float) -> str:
    return f"{int(s // 60)}m{int(s % 60):02d}s"


def summary_line(r: KernelResult) -> str:
    ph = ", ".join(f"{k} {minutes(v)}" for k, v in r.phases.items())
    return f"{r.kernel.id}: {r.release or '?'} in {minutes(r.seconds)}" + (f" ({ph})" if ph else "")


def read_result(k: Kernel, out: Path, seconds: float, error: str = "") -> KernelResult:
    r = KernelResult(k, seconds=seconds, error=error)
    if (out / "uname").exists():
        r.release = (out / "uname").read_text().strip()
    try:
        r.doctor = json.loads((out / "doctor.json").read_text())
    except (OSError, ValueError):
        if not error and (out / "doctor.err").exists():
            tail = (out / "doctor.err").read_text().strip().splitlines()[-1:]
            r.error = "doctor --json: " + (tail[0] if tail else "no output")
    try:
        r.cases = parse_junit((out / "junit.xml").read_text())
    except (OSError, ET.ParseError):
        if not r.error:
            r.error = "no junit.xml from pytest (see pytest.log)"
    try:
        r.pytest_rc = int((out / "pytest.rc").read_text())
    except (OSError, ValueError):
        pass
    r.phases = phases(out)
    return r


def phases(out: Path) -> dict[str, float]:
    """Guest phase durations from the `times` stamps (wall clock, date +%s.%N)."""
    try:
        stamps = [ln.split() for ln in (out / "times").read_text().splitlines()]
    except OSError:
        return {}
    res = {}
    for (_, _, t0), (name, _, t1) in zip(stamps, stamps[1:], strict=False):
        res[name] = float(t1) - float(t0)
    return res


# ---------------------------------------------------------------------------------------------
# Installing and booting


def sh(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, text=True, **kw)


def installed(pkg: str) -> bool:
    r = sh(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True)
    return r.returncode == 0 and "ok installed" in r.stdout


def apt_install(pkgs: list[str]) -> None:
    missing = [p for p in pkgs if not installed(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"error: Debian packages missing ({' '.join(missing)}) and not root to install")
    print(f"installing Debian packages: {' '.join(missing)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sh(["apt-get", "update", "-qq"], check=True, env=env)
    sh(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True,
       env=env, stdout=subprocess.DEVNULL)


def ensure_vng() -> None:
    if (VENV_BIN / "vng").exists():
        return
    print(f"installing {VIRTME_NG} into .venv", flush=True)
    sh([str(VENV_BIN / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
        VIRTME_NG], check=True)


def debian_image(package: str) -> Path:
    """/boot/vmlinuz-* of an installed package, following a metapackage to its image."""
    seen = set()
    while package not in seen:
        seen.add(package)
        files = sh(["dpkg-query", "-L", package], capture_output=True).stdout.split()
        images = sorted(f for f in files if re.fullmatch(r"/boot/vmlinuz-.+", f))
        if images:
            return Path(images[-1])
        deps = sh(["dpkg-query", "-W", "-f=${Depends}", package], capture_output=True).stdout
        m = re.search(r"\b(linux-image-[0-9][^\s,(]*)", deps)
        if not m:
            break
        package = m.group(1)
    raise MatrixError(f"package {package}: no /boot/vmlinuz-* in it or its linux-image dependency")


def cache_dirs() -> list[str]:
    """Directories the guest re-mounts through the cached export: what python and gcc read."""
    dirs = ["/usr", str(ROOT), os.path.realpath(sys.base_prefix)]
    out: list[str] = []
    for d in sorted(set(dirs), key=len):
        if not any(d == o or d.startswith(o + "/") for o in out):
            out.append(d)
    return out


def write_job(k: Kernel, matrix: Matrix, out: Path, vm: bool, test_timeout: int) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    paths = [p for s in k.suites for p in matrix.suites[s]]
    env = {
        "ROOT": str(ROOT), "VM": "1" if vm else "0", "CACHE_DIRS": " ".join(cache_dirs()),
        "PYTEST_PATHS": " ".join(paths), "EXPECT": json.dumps(k.expect),
        "TIMEOUT_TEST": str(test_timeout),
    }
    (out / "job.env").write_text("".join(f"{n}={shlex.quote(v)}\n" for n, v in env.items()))


def run_kernel(k: Kernel, matrix: Matrix, out: Path) -> KernelResult:
    guest = ["bash", str(ROOT / "kernels" / "guest.sh"), str(out)]
    start = time.monotonic()
    try:
        if k.source == "host":
            write_job(k, matrix, out, vm=False, test_timeout=300)
            with open(out / "run.log", "w") as log:
                sh(guest, stdout=log, stderr=subprocess.STDOUT, timeout=k.timeout * 60)
        else:
            assert k.package
            image = debian_image(k.package)
            write_job(k, matrix, out, vm=True, test_timeout=900)
            export = ("-fsdev local,id=bhroot,path=/,security_model=none,readonly=on,"
                      "multidevs=remap -device virtio-9p-pci,fsdev=bhroot,mount_tag=bhroot")
            cmd = [str(VENV_BIN / "vng"), "--disable-kvm", "--memory", "2G", "--cpus", "2",
                   "--rwdir", str(out), f"--qemu-opts={export}", "--run", str(image), "--",
                   shlex.join(guest)]
            env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
            with open(out / "vng.log", "w") as log:
                print(f"  {shlex.join(cmd)}", file=log, flush=True)
                p = sh(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       timeout=k.timeout * 60, env=env, cwd=ROOT)
            if p.returncode != 0 and not (out / "pytest.rc").exists():
                tail = (out / "vng.log").read_text().strip().splitlines()[-1:]
                return read_result(k, out, time.monotonic() - start,
                                   f"guest exited {p.returncode}: {tail[0] if tail else ''}")
    except subprocess.TimeoutExpired:
        return read_result(k, out, time.monotonic() - start,
                           f"timed out after {k.timeout:g} minutes")
    except (MatrixError, subprocess.CalledProcessError) as e:
        return read_result(k, out, time.monotonic() - start, str(e))
    return read_result(k, out, time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", "--kernel", action="append", help="only this kernel (repeatable); "
                    "default $BEHOLDER_KERNELS (comma-separated) or all")
    ap.add_argument("-s", "--suite", action="append", help="only this suite (repeatable); "
                    "default $BEHOLDER_SUITES (comma-separated) or the kernel's own")
    ap.add_argument("--matrix", type=Path, default=MATRIX)
    ap.add_argument("--list", action="store_true", help="print the matrix and exit")
    ap.add_argument("--report", action="store_true",
                    help="print the table of the last run (build/kernels) without running")
    args = ap.parse_args(argv)
    try:
        matrix = parse_matrix(args.matrix.read_text())
        kids = args.kernel or [x for x in os.environ.get("BEHOLDER_KERNELS", "").split(",") if x]
        kernels = [matrix.kernel(x) for x in kids] if kids else list(matrix.kernels)
        only = args.suite or [x for x in os.environ.get("BEHOLDER_SUITES", "").split(",") if x]
        for s in only:
            if s not in matrix.suites:
                raise MatrixError(f"no suite {s!r} (have: {', '.join(matrix.suites)})")
    except MatrixError as e:
        print(f"error: {args.matrix}: {e}", file=sys.stderr)
        return 2
    if only:
        kernels = [Kernel(k.id, k.source, tuple(s for s in k.suites if s in only), k.package,
                          k.expect, k.timeout) for k in kernels]
    if args.list:
        for k in kernels:
            expect = " ".join(f"{n}={yn(v)}" for n, v in k.expect.items()) or "-"
            print(f"{k.id:12} {k.source:7} {k.package or '':20} suites={','.join(k.suites)} "
                  f"expect: {expect}")
        return 0
    results = []
    if args.report:
        results = [read_result(k, OUT / k.id, 0.0) for k in kernels]
    else:
        if any(k.source != "host" for k in kernels):
            apt_install(DEB_VM + sorted({k.package for k in kernels if k.package}))
            ensure_vng()
        for k in kernels:
            print(f"== {k.id}: suites {', '.join(k.suites)} ...", flush=True)
            r = run_kernel(k, matrix, OUT / k.id)
            results.append(r)
            print(f"   {summary_line(r)}: {'FAIL' if failed(matrix, r) else 'ok'}", flush=True)
    print()
    print(table(matrix, results))
    print()
    for r in results:
        print(summary_line(r))
        for c in r.cases:
            if c.outcome != "passed":
                msg = c.message.splitlines()[0][:160] if c.message else ""
                print(f"  {c.outcome.upper()} {c.id}: {msg}")
        if failed(matrix, r):
            print(f"  logs: {OUT / r.kernel.id}/ (pytest.log, doctor.json, vng.log)")
    summary = {r.kernel.id: {"release": r.release, "seconds": round(r.seconds, 1),
                             "failed": failed(matrix, r), "error": r.error,
                             "rows": rows(matrix, r)} for r in results}
    if not args.report:
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if any(failed(matrix, r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
