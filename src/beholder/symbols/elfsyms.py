"""Function symbols of ELF files (.symtab, else .dynsym), cached by GNU build id.

pyelftools reads the headers; the symbol tables themselves are unpacked with `struct` in one
pass, because a large binary (node: ~100k functions) would take seconds symbol by symbol.
"""

from __future__ import annotations

import bisect
import io
import os
import struct
import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from typing import BinaryIO

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from beholder.symbols.demangle import demangle

_STT_FUNC, _STT_GNU_IFUNC = 2, 10
DEBUG_ROOT = "/usr/lib/debug/.build-id"


@dataclass(frozen=True, slots=True)
class Segment:
    offset: int
    vaddr: int
    filesz: int


class ElfSymbols:
    """Sorted function symbols of one file and the segments that map file offsets to vaddrs.

    Addresses, sizes and name offsets are arrays and names stay in the string table, decoded
    on lookup: node's 85k functions cost ~3 MB here instead of ~20 MB of Python objects."""

    def __init__(self, build_id: str, segments: list[Segment], syms: list[tuple[int, int, int]],
                 strings: bytes, pie_or_shared: bool) -> None:
        self.build_id = build_id
        self.segments = segments
        self.pie_or_shared = pie_or_shared
        syms.sort()
        self._starts = array("Q", (s[0] for s in syms))
        self._sizes = array("Q", (s[1] for s in syms))
        self._names = array("Q", (s[2] for s in syms))
        self._strings = strings

    def __len__(self) -> int:
        return len(self._starts)

    def vaddr(self, file_offset: int) -> int | None:
        for s in self.segments:
            if s.offset <= file_offset < s.offset + s.filesz:
                return file_offset - s.offset + s.vaddr
        return None

    def lookup(self, vaddr: int) -> str | None:
        found = self.lookup_offset(vaddr)
        return found[0] if found else None

    def lookup_offset(self, vaddr: int) -> tuple[str, int] | None:
        """(function, offset into it), as stacks print `main+42`."""
        i = bisect.bisect_right(self._starts, vaddr) - 1
        if i < 0:
            return None
        size = self._sizes[i]
        if size and vaddr >= self._starts[i] + size:
            return None
        if not size and i + 1 < len(self._starts) and vaddr >= self._starts[i + 1]:
            return None
        off = self._names[i]
        raw = self._strings[off:self._strings.find(b"\0", off)]
        return demangle(raw.decode(errors="replace")), vaddr - self._starts[i]


@dataclass(frozen=True, slots=True)
class _Section:
    name: str
    type: int
    offset: int
    size: int
    link: int


_SHT_NOBITS, _SHT_NOTE, _NT_GNU_BUILD_ID = 8, 7, 3


def _sections(elf: ELFFile, f: BinaryIO) -> list[_Section]:
    """Section headers unpacked directly: pyelftools builds every section object on the way
    to one name, parsing whole hash tables (0.2 s for a large library) for nothing."""
    h = elf.header
    e = "<" if elf.little_endian else ">"
    fmt = e + ("IIQQQQIIQQ" if elf.elfclass == 64 else "IIIIIIIIII")
    f.seek(h["e_shoff"])
    raw = f.read(h["e_shentsize"] * h["e_shnum"])
    rows = [struct.unpack_from(fmt, raw, i * h["e_shentsize"]) for i in range(h["e_shnum"])]
    if not rows or h["e_shstrndx"] >= len(rows):
        return []
    names_row = rows[h["e_shstrndx"]]
    f.seek(names_row[4])
    names = f.read(names_row[5])
    out = []
    for r in rows:
        end = names.find(b"\0", r[0])
        out.append(_Section(names[r[0]:end].decode(errors="replace"), r[1], r[4], r[5], r[6]))
    return out


def _load_segments(elf: ELFFile, f: BinaryIO) -> list[Segment]:
    """PT_LOAD program headers, unpacked directly (pyelftools' segments parse the dynamic
    section of each library on the way)."""
    h = elf.header
    e = "<" if elf.little_endian else ">"
    is64 = elf.elfclass == 64
    fmt = e + ("IIQQQQQQ" if is64 else "IIIIIIII")
    f.seek(h["e_phoff"])
    raw = f.read(h["e_phentsize"] * h["e_phnum"])
    out = []
    for i in range(h["e_phnum"]):
        r = struct.unpack_from(fmt, raw, i * h["e_phentsize"])
        if r[0] != 1:  # PT_LOAD
            continue
        offset, vaddr, filesz = (r[2], r[3], r[5]) if is64 else (r[1], r[2], r[4])
        out.append(Segment(offset, vaddr, filesz))
    return out


def _read(f: BinaryIO, sec: _Section) -> bytes:
    f.seek(sec.offset)
    return f.read(sec.size)


def _build_id(elf: ELFFile, f: BinaryIO, sections: list[_Section]) -> str:
    e = "<" if elf.little_endian else ">"
    for sec in sections:
        if sec.type != _SHT_NOTE:
            continue
        data, pos = _read(f, sec), 0
        while pos + 12 <= len(data):
            namesz, descsz, ntype = struct.unpack_from(e + "III", data, pos)
            desc = pos + 12 + (namesz + 3) // 4 * 4
            if ntype == _NT_GNU_BUILD_ID and data[pos + 12:pos + 12 + namesz].rstrip(b"\0") == b"GNU":
                return data[desc:desc + descsz].hex()
            pos = desc + (descsz + 3) // 4 * 4
    return ""


def _functions(elf: ELFFile, f: BinaryIO, sections: list[_Section],
               name: str) -> tuple[list[tuple[int, int, int]], bytes]:
    """(value, size, offset of the name in the string table) of each function, and the table."""
    sec = next((s for s in sections if s.name == name), None)
    if sec is None or sec.type == _SHT_NOBITS or sec.link >= len(sections):
        return [], b""
    strtab = sections[sec.link]
    if strtab.type == _SHT_NOBITS:
        return [], b""
    data, strings = _read(f, sec), _read(f, strtab)
    is64 = elf.elfclass == 64
    endian = "<" if elf.little_endian else ">"
    fmt = endian + ("IBBHQQ" if is64 else "IIIBBH")
    entsize = struct.calcsize(fmt)
    out = []
    for row in struct.iter_unpack(fmt, data[: len(data) // entsize * entsize]):
        if is64:
            st_name, info, _other, shndx, value, size = row
        else:
            st_name, value, size, info, _other, shndx = row
        if (info & 0xF) not in (_STT_FUNC, _STT_GNU_IFUNC) or not value or not shndx:
            continue
        out.append((value, size, st_name))
    return out, strings


def load(path: str) -> ElfSymbols | None:
    """Parse `path`; None when it is not an ELF file or cannot be read."""
    try:
        with open(path, "rb") as f:
            return _parse(f)
    except OSError:
        return None


def load_bytes(data: bytes) -> ElfSymbols | None:
    """Parse an ELF image held in memory (the vDSO, copied out of /proc/self/mem)."""
    return _parse(io.BytesIO(data))


def _parse(f: BinaryIO) -> ElfSymbols | None:
    try:
        elf = ELFFile(f)
        sections = _sections(elf, f)
        build_id = _build_id(elf, f, sections)
        segments = _load_segments(elf, f)
        syms, strings = _functions(elf, f, sections, ".symtab")
        if not syms and build_id:
            syms, strings = _debug_file_functions(build_id)
        if not syms:
            syms, strings = _functions(elf, f, sections, ".dynsym")
        return ElfSymbols(build_id, segments, syms, strings, elf["e_type"] == "ET_DYN")
    except (OSError, ELFError, ValueError, struct.error):
        return None


def vdso() -> ElfSymbols | None:
    """The vDSO is the same image in every process of this kernel: read ours."""
    try:
        with open("/proc/self/maps") as maps:
            line = next((ln for ln in maps if ln.rstrip().endswith("[vdso]")), None)
        if line is None:
            return None
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        with open("/proc/self/mem", "rb") as mem:
            mem.seek(lo)
            return load_bytes(mem.read(hi - lo))
    except (OSError, ValueError):
        return None


def _debug_file_functions(build_id: str) -> tuple[list[tuple[int, int, int]], bytes]:
    """Symbols from a separate debug file (Debian's -dbgsym packages), if one is installed."""
    path = os.path.join(DEBUG_ROOT, build_id[:2], build_id[2:] + ".debug")
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            return _functions(elf, f, _sections(elf, f), ".symtab")
    except (OSError, ELFError, ValueError, struct.error):
        return [], b""


class ElfCache:
    """Files by (device, inode, size, mtime), symbol tables by build id; LRU-bounded."""

    def __init__(self, max_files: int = 512) -> None:
        self.max_files = max_files
        self._by_file: OrderedDict[tuple[int, int, int, int], ElfSymbols | None] = OrderedDict()
        self._by_build_id: dict[str, ElfSymbols] = {}
        self._lock = threading.Lock()
        self.loads = 0

    def get(self, path: str) -> ElfSymbols | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with self._lock:
            if key in self._by_file:
                self._by_file.move_to_end(key)
                return self._by_file[key]
        syms = load(path)
        self.loads += 1
        if syms is not None and syms.build_id:
            # The same build in another container or under another name: share the table.
            syms = self._by_build_id.setdefault(syms.build_id, syms)
        with self._lock:
            self._by_file[key] = syms
            while len(self._by_file) > self.max_files:
                _, old = self._by_file.popitem(last=False)
                if old is not None and old.build_id and old not in self._by_file.values():
                    self._by_build_id.pop(old.build_id, None)
        return syms

    def build_id(self, path: str) -> str:
        syms = self.get(path)
        return syms.build_id if syms else ""
