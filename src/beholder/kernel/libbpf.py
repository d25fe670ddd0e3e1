"""ctypes declarations for the system libbpf (libbpf.so.1) and the helpers that call it."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from collections.abc import Callable
from typing import Any

_c = ctypes
c_void_p = _c.c_void_p
c_char_p = _c.c_char_p
c_int = _c.c_int
c_uint = _c.c_uint32
c_size_t = _c.c_size_t
c_bool = _c.c_bool
c_u64 = _c.c_uint64
c_s64 = _c.c_int64


class LibbpfMissing(OSError):
    """libbpf.so.1 could not be loaded."""


def _load() -> _c.CDLL:
    for name in ("libbpf.so.1", ctypes.util.find_library("bpf") or ""):
        if not name:
            continue
        try:
            return _c.CDLL(name, use_errno=True)
        except OSError:
            continue
    raise LibbpfMissing("libbpf.so.1 not found: install Debian's libbpf1 (make setup does)")


lib = _load()
libc = _c.CDLL(None, use_errno=True)

# name -> (restype, argtypes). Pointers to libbpf's opaque structs stay c_void_p.
_PROTOS: dict[str, tuple[Any, list[Any]]] = {
    "bpf_object__open_file": (c_void_p, [c_char_p, c_void_p]),
    "bpf_object__open_mem": (c_void_p, [c_void_p, c_size_t, c_void_p]),
    "bpf_object__load": (c_int, [c_void_p]),
    "bpf_object__close": (None, [c_void_p]),
    "bpf_object__name": (c_char_p, [c_void_p]),
    "bpf_object__next_program": (c_void_p, [c_void_p, c_void_p]),
    "bpf_object__next_map": (c_void_p, [c_void_p, c_void_p]),
    "bpf_object__btf": (c_void_p, [c_void_p]),
    "bpf_program__name": (c_char_p, [c_void_p]),
    "bpf_program__section_name": (c_char_p, [c_void_p]),
    "bpf_program__fd": (c_int, [c_void_p]),
    "bpf_program__type": (c_int, [c_void_p]),
    "bpf_program__set_autoload": (c_int, [c_void_p, c_bool]),
    "bpf_program__autoload": (c_bool, [c_void_p]),
    "bpf_program__set_log_buf": (c_int, [c_void_p, c_void_p, c_size_t]),
    "bpf_program__set_log_level": (c_int, [c_void_p, c_uint]),
    "bpf_program__attach": (c_void_p, [c_void_p]),
    "bpf_program__attach_tracepoint": (c_void_p, [c_void_p, c_char_p, c_char_p]),
    "bpf_program__attach_raw_tracepoint": (c_void_p, [c_void_p, c_char_p]),
    "bpf_program__attach_trace": (c_void_p, [c_void_p]),
    "bpf_program__attach_perf_event": (c_void_p, [c_void_p, c_int]),
    "bpf_program__attach_kprobe": (c_void_p, [c_void_p, c_bool, c_char_p]),
    "bpf_program__attach_uprobe_opts": (c_void_p, [c_void_p, c_int, c_char_p, c_size_t, c_void_p]),
    "bpf_program__attach_cgroup": (c_void_p, [c_void_p, c_int]),
    "bpf_link__destroy": (c_int, [c_void_p]),
    "bpf_link__fd": (c_int, [c_void_p]),
    "bpf_map__name": (c_char_p, [c_void_p]),
    "bpf_map__fd": (c_int, [c_void_p]),
    "bpf_map__type": (c_int, [c_void_p]),
    "bpf_map__key_size": (c_uint, [c_void_p]),
    "bpf_map__value_size": (c_uint, [c_void_p]),
    "bpf_map__max_entries": (c_uint, [c_void_p]),
    "bpf_map__set_max_entries": (c_int, [c_void_p, c_uint]),
    "bpf_map__initial_value": (c_void_p, [c_void_p, _c.POINTER(c_size_t)]),
    "bpf_map__btf_key_type_id": (c_uint, [c_void_p]),
    "bpf_map__btf_value_type_id": (c_uint, [c_void_p]),
    "bpf_map__is_internal": (c_bool, [c_void_p]),
    "bpf_map_lookup_elem": (c_int, [c_int, c_void_p, c_void_p]),
    "bpf_map_update_elem": (c_int, [c_int, c_void_p, c_void_p, c_u64]),
    "bpf_map_delete_elem": (c_int, [c_int, c_void_p]),
    "bpf_map_get_next_key": (c_int, [c_int, c_void_p, c_void_p]),
    "bpf_map_lookup_batch": (c_int, [c_int, c_void_p, c_void_p, c_void_p, c_void_p,
                                     _c.POINTER(c_uint), c_void_p]),
    "bpf_map_delete_batch": (c_int, [c_int, c_void_p, _c.POINTER(c_uint), c_void_p]),
    "bpf_map_create": (c_int, [c_int, c_char_p, c_uint, c_uint, c_uint, c_void_p]),
    "bpf_prog_load": (c_int, [c_int, c_char_p, c_char_p, c_void_p, c_size_t, c_void_p]),
    "bpf_link_create": (c_int, [c_int, c_int, c_int, c_void_p]),
    "bpf_prog_get_next_id": (c_int, [c_uint, _c.POINTER(c_uint)]),
    "bpf_link_get_next_id": (c_int, [c_uint, _c.POINTER(c_uint)]),
    "btf__type_by_id": (c_void_p, [c_void_p, c_uint]),
    "btf__name_by_offset": (c_char_p, [c_void_p, c_uint]),
    "btf__resolve_size": (c_s64, [c_void_p, c_uint]),
    "btf__find_by_name_kind": (c_int, [c_void_p, c_char_p, c_uint]),
    "btf__load_vmlinux_btf": (c_void_p, []),
    "btf__free": (None, [c_void_p]),
    "btf__type_cnt": (c_uint, [c_void_p]),
    "libbpf_num_possible_cpus": (c_int, []),
    "libbpf_probe_bpf_prog_type": (c_int, [c_int, c_void_p]),
    "libbpf_probe_bpf_map_type": (c_int, [c_int, c_void_p]),
    "ring_buffer__new": (c_void_p, [c_int, c_void_p, c_void_p, c_void_p]),
    "ring_buffer__poll": (c_int, [c_void_p, c_int]),
    "ring_buffer__consume": (c_int, [c_void_p]),
    "ring_buffer__free": (None, [c_void_p]),
    "ring_buffer__epoll_fd": (c_int, [c_void_p]),
}

for _name, (_res, _args) in _PROTOS.items():
    _fn = getattr(lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args

libc.vsnprintf.argtypes = [c_char_p, c_size_t, c_char_p, c_void_p]
libc.vsnprintf.restype = c_int
libc.syscall.restype = _c.c_long


def errno() -> int:
    return _c.get_errno()


def check_ptr(ptr: int | None) -> int:
    """libbpf 1.x returns NULL and sets errno for pointer-returning calls."""
    if not ptr:
        err = _c.get_errno() or 22
        raise OSError(err, os.strerror(err))
    return ptr


def check_int(ret: int) -> int:
    """libbpf 1.x returns -errno from int-returning calls."""
    if ret < 0:
        err = -ret if ret != -1 else (_c.get_errno() or 1)
        raise OSError(err, os.strerror(err))
    return ret


# --- libbpf's log: captured per thread so an error can carry what libbpf said ---

_PRINT_FN = _c.CFUNCTYPE(c_int, c_int, c_char_p, c_void_p)
_log = threading.local()
LIBBPF_WARN, LIBBPF_INFO, LIBBPF_DEBUG = 0, 1, 2


def _on_print(level: int, fmt: bytes, va_list: int) -> int:
    buf = _c.create_string_buffer(4096)
    libc.vsnprintf(buf, len(buf), fmt, va_list)
    lines = getattr(_log, "lines", None)
    if lines is not None and level <= LIBBPF_INFO:
        lines.append(buf.value.decode(errors="replace").rstrip("\n"))
    return 0


_print_cb = _PRINT_FN(_on_print)  # kept alive for the process: libbpf holds the pointer
lib.libbpf_set_print(_print_cb)


class captured_log:
    """Collect libbpf's warnings emitted while the block runs (they are silent otherwise)."""

    def __enter__(self) -> list[str]:
        self.lines: list[str] = []
        self._prev = getattr(_log, "lines", None)
        _log.lines = self.lines
        return self.lines

    def __exit__(self, *exc: object) -> None:
        _log.lines = self._prev


def cstr(p: bytes | None) -> str:
    return p.decode() if p else ""


def buffer(size: int) -> Any:
    return _c.create_string_buffer(size)


def addr(buf: Any) -> int:
    return _c.addressof(buf)


def read_mem(address: int, size: int) -> bytes:
    return _c.string_at(address, size)


def write_mem(address: int, data: bytes) -> None:
    _c.memmove(address, data, len(data))


def callback(signature: str, fn: Callable[..., int]) -> Any:
    """Make a C callback; the caller must keep the returned object alive."""
    if signature == "ring_buffer_sample":
        return _c.CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)(fn)
    raise ValueError(signature)


def uprobe_opts(func_name: str | None, retprobe: bool) -> Any:
    class _Opts(_c.Structure):
        _fields_ = [("sz", c_size_t), ("ref_ctr_offset", c_size_t), ("bpf_cookie", c_u64),
                    ("retprobe", c_bool), ("func_name", c_char_p)]

    opts = _Opts()
    opts.sz = _c.sizeof(_Opts)
    opts.retprobe = retprobe
    opts.func_name = func_name.encode() if func_name else None
    return opts


def u32_out() -> Any:
    return c_uint(0)


def byref(obj: Any) -> Any:
    return _c.byref(obj)


def size_out() -> Any:
    return c_size_t(0)


class _TestRunOpts(_c.Structure):
    _fields_ = [("sz", c_size_t), ("data_in", c_void_p), ("data_out", c_void_p),
                ("data_size_in", c_uint), ("data_size_out", c_uint), ("ctx_in", c_void_p),
                ("ctx_out", c_void_p), ("ctx_size_in", c_uint), ("ctx_size_out", c_uint),
                ("retval", c_uint), ("repeat", c_int), ("duration", c_uint), ("flags", c_uint),
                ("cpu", c_uint), ("batch_size", c_uint)]


lib.bpf_prog_test_run_opts.restype = c_int
lib.bpf_prog_test_run_opts.argtypes = [c_int, _c.POINTER(_TestRunOpts)]


def prog_test_run(prog_fd: int, ctx: bytes = b"") -> int:
    """Run a program once in the calling task (BPF_PROG_TEST_RUN); returns its return value.

    Raw tracepoint programs run this way see the caller as `current`, which is how
    BEGIN/END blocks of trace programs execute without a probe to fire them."""
    opts = _TestRunOpts(sz=_c.sizeof(_TestRunOpts))
    keep = None
    if ctx:
        keep = _c.create_string_buffer(ctx, len(ctx))
        opts.ctx_in = _c.addressof(keep)
        opts.ctx_size_in = len(ctx)
    ret = lib.bpf_prog_test_run_opts(prog_fd, _c.byref(opts))
    del keep
    check_int(ret)
    return int(opts.retval)
