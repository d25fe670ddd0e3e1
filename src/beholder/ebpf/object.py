"""ObjectSpec (an opened, not yet loaded ELF object) and Object (its loaded form).

Opening parses the ELF in user space only; `ObjectSpec.load()` is the one step that
creates maps and programs in the kernel.
"""

from __future__ import annotations

import errno as _errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beholder.kernel import btf as kbtf
from beholder.kernel import libbpf as k
from beholder.kernel.libbpf import lib

from . import env
from .errors import LoadError, NotSupported, VerifierError
from .maps import Map
from .program import Program

LOG_BUF_SIZE = 1 << 20  # per program; the kernel keeps the tail of longer logs (6.4+)


@dataclass
class ProgramSpec:
    name: str
    section: str
    prog_type: int
    _handle: int

    @property
    def autoload(self) -> bool:
        return bool(lib.bpf_program__autoload(self._handle))

    @autoload.setter
    def autoload(self, value: bool) -> None:
        k.check_int(lib.bpf_program__set_autoload(self._handle, value))


@dataclass
class MapSpec:
    name: str
    map_type: int
    key_size: int
    value_size: int
    _handle: int

    @property
    def max_entries(self) -> int:
        return int(lib.bpf_map__max_entries(self._handle))

    @max_entries.setter
    def max_entries(self, n: int) -> None:
        k.check_int(lib.bpf_map__set_max_entries(self._handle, n))


class ObjectSpec:
    """An opened BPF object: inspect and configure it, then `load()`."""

    def __init__(self, handle: int, name: str) -> None:
        self._handle: int | None = handle
        self.name = name
        self.programs: dict[str, ProgramSpec] = {}
        self.maps: dict[str, MapSpec] = {}
        p = lib.bpf_object__next_program(handle, None)
        while p:
            pname = k.cstr(lib.bpf_program__name(p))
            self.programs[pname] = ProgramSpec(pname, k.cstr(lib.bpf_program__section_name(p)),
                                               lib.bpf_program__type(p), p)
            p = lib.bpf_object__next_program(handle, p)
        m = lib.bpf_object__next_map(handle, None)
        while m:
            mname = k.cstr(lib.bpf_map__name(m))
            self.maps[mname] = MapSpec(mname, lib.bpf_map__type(m), lib.bpf_map__key_size(m),
                                       lib.bpf_map__value_size(m), m)
            m = lib.bpf_object__next_map(handle, m)

    # -- configuration before load --

    def _rodata(self) -> tuple[int, int]:
        for name, spec in self.maps.items():
            if name.endswith(".rodata"):
                size = k.size_out()
                ptr = lib.bpf_map__initial_value(spec._handle, k.byref(size))
                return k.check_ptr(ptr), size.value
        raise KeyError(f"object {self.name} has no .rodata section")

    def set_rodata(self, **values: int | bytes | bool) -> None:
        """Set `const volatile` globals by name before load (ints or raw bytes)."""
        base, total = self._rodata()
        variables = kbtf.datasec_vars(lib.bpf_object__btf(self._handle), ".rodata")
        for name, value in values.items():
            if name not in variables:
                raise KeyError(f"{self.name}: no read-only global '{name}' "
                               f"(have: {', '.join(sorted(variables)) or 'none'})")
            off, size, _ = variables[name]
            raw = value if isinstance(value, bytes) else int(value).to_bytes(
                size, "little", signed=int(value) < 0)
            if len(raw) > size or off + size > total:
                raise ValueError(f"{self.name}: value for '{name}' is larger than {size} bytes")
            k.write_mem(base + off, raw.ljust(size, b"\0"))

    def set_max_entries(self, **sizes: int) -> None:
        for name, n in sizes.items():
            self.maps[name].max_entries = n

    # -- load --

    def load(self, log_level: int = 0) -> Object:
        """Create the maps and programs in the kernel; on rejection raise VerifierError."""
        handle = self._handle
        if handle is None:
            raise LoadError(f"object {self.name} was already loaded or closed")
        env.prepare()
        bufs: dict[str, Any] = {}
        for spec in self.programs.values():
            if spec.autoload:
                buf = k.buffer(LOG_BUF_SIZE)
                bufs[spec.name] = buf
                lib.bpf_program__set_log_buf(spec._handle, buf, LOG_BUF_SIZE)
                if log_level:
                    lib.bpf_program__set_log_level(spec._handle, log_level)
        with k.captured_log() as lines:
            ret = lib.bpf_object__load(handle)
        if ret < 0:
            self._raise_load_error(-ret, bufs, lines)
        self._handle = None  # ownership moves to the Object
        logs = {name: buf.value.decode(errors="replace") for name, buf in bufs.items()}
        return Object(handle, self, logs)

    def _raise_load_error(self, err: int, bufs: dict[str, Any], lines: list[str]) -> None:
        self.close()
        env.require_privileges()
        for spec in self.programs.values():
            if spec.name not in bufs:
                continue
            if err == _errno.EPERM and spec.section.startswith(("fentry", "fexit", "fmod_ret")):
                raise NotSupported("fentry/fexit", reason="the kernel refused a tracing "
                                   "program with EPERM",
                                   hint="use tracepoints (beholder doctor shows what works)")
            log = bufs[spec.name].value.decode(errors="replace")
            if log.strip():
                raise VerifierError(spec.name, err, log)
        raise LoadError(f"loading object {self.name} failed: {os.strerror(err)}", lines)

    def close(self) -> None:
        if self._handle is not None:
            lib.bpf_object__close(self._handle)
            self._handle = None

    def __enter__(self) -> ObjectSpec:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def open_object(source: str | Path | bytes, name: str | None = None) -> ObjectSpec:
    """Open an ELF BPF object from a path or from bytes; nothing is loaded yet."""
    with k.captured_log() as lines:
        if isinstance(source, bytes):
            obj_name = name or "object"
            keep = k.buffer(len(source))
            k.write_mem(k.addr(keep), source)
            handle = lib.bpf_object__open_mem(keep, len(source), None)
        else:
            obj_name = name or Path(source).name
            if not Path(source).is_file():
                raise LoadError(f"BPF object not found: {source}")
            handle = lib.bpf_object__open_file(str(source).encode(), None)
    if not handle:
        err = k.errno() or _errno.EINVAL
        raise LoadError(f"cannot open BPF object {obj_name}: {os.strerror(err)}", lines)
    return ObjectSpec(handle, obj_name)


class Object:
    """A loaded object: its programs and maps live in the kernel until `close()`."""

    def __init__(self, handle: int, spec: ObjectSpec, logs: dict[str, str]) -> None:
        self._handle: int | None = handle
        self.name = spec.name
        self.verifier_logs = logs
        self._links: list[Any] = []
        btf = lib.bpf_object__btf(handle)
        converter = kbtf.Converter(btf) if btf else None
        self.programs: dict[str, Program] = {
            n: Program(s.name, s.section, s.prog_type, s._handle, self._links)
            for n, s in spec.programs.items() if s.autoload}
        self.maps: dict[str, Map] = {
            n: Map.from_libbpf(s._handle, converter) for n, s in spec.maps.items()}

    def program(self, name: str) -> Program:
        try:
            return self.programs[name]
        except KeyError:
            raise KeyError(f"object {self.name} has no loaded program '{name}'") from None

    def map(self, name: str) -> Map:
        try:
            return self.maps[name]
        except KeyError:
            raise KeyError(f"object {self.name} has no map '{name}'") from None

    def attach_all(self) -> list[Any]:
        """Attach every program whose section says where (libbpf's auto-attach)."""
        return [p.attach() for p in self.programs.values()]

    def detach(self) -> None:
        """Close every link made through this object's programs; programs and maps stay."""
        for link in self._links:
            link.close()
        self._links.clear()

    def close(self) -> None:
        self.detach()
        if self._handle is not None:
            lib.bpf_object__close(self._handle)
            self._handle = None

    def __enter__(self) -> Object:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
