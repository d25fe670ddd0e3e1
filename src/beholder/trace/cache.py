"""A cache of compiled programs, so running the same one-liner again skips the compiler.

A hit skips parsing, code generation and LLVM entirely (and their imports): the session
creates fresh maps and the cached object's ld_imm64 map references are rewritten from the
old map fds to the new ones. Keys cover the program text, its options, the kernel (tracepoint
formats and BTF come from it) and the compiler's own source. Programs whose code embeds
per-run values (`elapsed` bakes in the start time, `-c` bakes in `cpid`) are not cached.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_ENTRIES = 256
_HERE = Path(__file__).parent


@dataclass
class Entry:
    plan: Any  # codegen.plan.Plan, with the fds it was compiled against
    elf: bytes


def directory() -> Path:
    base = os.environ.get("BEHOLDER_CACHE_DIR")
    if base:
        return Path(base)
    return Path("/var/cache/beholder/trace") if os.geteuid() == 0 else (
        Path.home() / ".cache" / "beholder" / "trace")


def _compiler_stamp() -> str:
    # Editing the compiler must not serve objects it would no longer produce.
    newest = max((p.stat().st_mtime_ns for p in _HERE.rglob("*.py")), default=0)
    return str(newest)


def key(text: str, options: dict[str, Any]) -> str | None:
    if "elapsed" in text or options.get("cpid") is not None or os.environ.get("BEHOLDER_NO_CACHE"):
        return None
    from beholder import __version__

    uname = os.uname()
    parts = [__version__, _compiler_stamp(), uname.release, uname.version, text,
             repr(sorted((k, repr(v)) for k, v in options.items()))]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def load(k: str) -> Entry | None:
    path = directory() / f"{k}.pickle"
    try:
        with open(path, "rb") as f:
            entry = pickle.load(f)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError):
        return None
    return entry if isinstance(entry, Entry) else None


def store(k: str, entry: Entry) -> None:
    d = directory()
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = d / f".{k}.{os.getpid()}"
        with open(tmp, "wb") as f:
            pickle.dump(entry, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / f"{k}.pickle")
        entries = sorted(d.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-MAX_ENTRIES]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written is only slower


def remap_fds(elf: bytes, fds: dict[int, int]) -> bytes:
    """Rewrite every `ld_imm64 rX, map_fd` (BPF_PSEUDO_MAP_FD) in executable sections."""
    buf = bytearray(elf)
    shoff, = struct.unpack_from("<Q", buf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", buf, 0x3A)
    for i in range(shnum):
        sh = shoff + i * shentsize
        _name, sh_type, flags = struct.unpack_from("<IIQ", buf, sh)
        offset, size = struct.unpack_from("<QQ", buf, sh + 0x18)
        if sh_type != 1 or not flags & 0x4:  # PROGBITS with SHF_EXECINSTR
            continue
        pos = offset
        while pos + 16 <= offset + size:
            opcode, regs = buf[pos], buf[pos + 1]
            if opcode == 0x18:  # ld_imm64 takes two slots
                if regs >> 4 == 1:
                    old, = struct.unpack_from("<i", buf, pos + 4)
                    if old in fds:
                        struct.pack_into("<i", buf, pos + 4, fds[old])
                pos += 16
            else:
                pos += 8
    return bytes(buf)
