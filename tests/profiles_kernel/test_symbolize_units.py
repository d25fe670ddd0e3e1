"""Kernel-free parts of the profiler: parsers, demangling, symbol tables, query syntax."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kprof import FP_FLAGS, HERE

from beholder.profiles.store import Query, QueryError
from beholder.symbols.demangle import AVAILABLE, demangle
from beholder.symbols.elfsyms import ElfCache, load
from beholder.symbols.kallsyms import KernelSymbols
from beholder.symbols.perfmap import PerfMap
from beholder.symbols.procmaps import parse_maps


def test_parse_maps_keeps_deleted_and_anonymous_mappings() -> None:
    text = (
        "55d0c0000000-55d0c0001000 r--p 00000000 fe:00 123  /usr/bin/app\n"
        "55d0c0001000-55d0c0005000 r-xp 00001000 fe:00 123  /usr/bin/app (deleted)\n"
        "7f0000000000-7f0000100000 rwxp 00000000 00:00 0 \n"
        "7ffd0000000-7ffd0001000 r-xp 00000000 00:00 0                  [vdso]\n")
    rows = parse_maps(text)
    assert len(rows) == 4
    exe = parse_maps(text, executable_only=True)
    assert [e.path for e in exe] == ["/usr/bin/app", "", "[vdso]"]
    assert exe[0].deleted and exe[0].offset == 0x1000 and exe[0].file_backed
    assert not exe[1].file_backed and not exe[2].file_backed


def test_perf_map_lookup_prefers_the_newest_record() -> None:
    pm = PerfMap.parse("1000 100 JS:*old\n2000 80 LazyCompile:~f a.js:1\nbad line\n1000 100 JS:*new\n")
    assert pm.lookup(0x1050) == "JS:*new"
    assert pm.lookup(0x2000) == "LazyCompile:~f a.js:1"
    assert pm.lookup(0x2080) is None and pm.lookup(0xFFF) is None


@pytest.mark.parametrize(("mangled", "plain"), [
    ("_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)"),
    ("_ZN4core3fmt9Formatter3pad17h0123456789abcdefE", "core::fmt::Formatter::pad"),
    ("_RNvCs1234_7mycrate3foo", "mycrate::foo"),
    ("_ZN3foo3barEv.cold", "foo::bar() [cold]"),
    ("main", "main"),
    ("_Znot_really_mangled", "_Znot_really_mangled"),
])
def test_demangle_cpp_and_rust(mangled: str, plain: str) -> None:
    assert AVAILABLE == {"c++": True, "rust": True}, "pip install cxxfilt rust-demangler"
    assert demangle(mangled) == plain


def test_kallsyms_lookup(tmp_path: Path) -> None:
    f = tmp_path / "kallsyms"
    f.write_text("0000000000000000 T hidden\n"
                 "ffffffff81000000 T _stext\n"
                 "ffffffff81000100 t helper\n"
                 "ffffffff81000200 D some_data\n"
                 "ffffffffc0000000 t mod_fn\t[mymod]\n")
    k = KernelSymbols(f)
    assert len(k) == 3
    assert k.lookup(0xFFFFFFFF81000150) == ("helper", "[kernel]")
    assert k.lookup(0xFFFFFFFF81000250) == ("helper", "[kernel]")  # data is not a function
    assert k.lookup(0xFFFFFFFFC0000010) == ("mod_fn", "mymod")
    assert k.lookup(0xFFFFFFFF80000000) is None


def test_elf_symbols_of_a_compiled_program(tmp_path: Path) -> None:
    exe = tmp_path / "cpu"
    subprocess.run(["gcc", *FP_FLAGS, "-o", str(exe), str(HERE / "progs" / "cpu.c")], check=True)
    syms = load(str(exe))
    assert syms is not None and len(syms.build_id) == 40
    nm = subprocess.run(["nm", str(exe)], capture_output=True, text=True, check=True).stdout
    addr = next(int(ln.split()[0], 16) for ln in nm.splitlines() if ln.endswith(" hot_double"))
    assert syms.lookup(addr) == syms.lookup(addr + 5) == "hot_double"
    cache = ElfCache()
    assert cache.get(str(exe)) is cache.get(str(exe)) and cache.loads == 1
    copy = tmp_path / "copy"
    copy.write_bytes(exe.read_bytes())
    assert cache.get(str(copy)) is cache.get(str(exe))  # same build id: one table
    assert load(str(HERE / "progs" / "cpu.c")) is None  # not an ELF file


def test_query_syntax() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    q = Query.parse("since=2h, until=1h comm=nginx pid=42", now=now)
    assert q.labels == {"comm": "nginx", "pid": "42"}
    assert q.until_ns - q.since_ns == 3600 * 10**9
    assert Query.parse("since=2026-01-01T10:00:00Z", now=now).since_ns == int(
        datetime(2026, 1, 1, 10, tzinfo=UTC).timestamp()) * 10**9
    for bad in ("comm", "since=yesterday", "colour=red", "since=1h until=2h"):
        with pytest.raises(QueryError):
            Query.parse(bad, now=now)
