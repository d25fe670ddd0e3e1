"""Map operations on a map fd, in bytes: lookup, update, delete, next key, batches."""

from __future__ import annotations

import ctypes as _c
import errno as _errno
import os

from .libbpf import lib

ANY, NOEXIST, EXIST = 0, 1, 2


def _err() -> OSError:
    e = _c.get_errno() or _errno.EINVAL
    return OSError(e, os.strerror(e))


def lookup(fd: int, key: bytes, value_size: int) -> bytes | None:
    val = _c.create_string_buffer(value_size)
    if lib.bpf_map_lookup_elem(fd, key, val) < 0:
        if _c.get_errno() == _errno.ENOENT:
            return None
        raise _err()
    return val.raw


def update(fd: int, key: bytes, value: bytes, flags: int = ANY) -> None:
    if lib.bpf_map_update_elem(fd, key, value, flags) < 0:
        raise _err()


def delete(fd: int, key: bytes) -> bool:
    if lib.bpf_map_delete_elem(fd, key) < 0:
        if _c.get_errno() == _errno.ENOENT:
            return False
        raise _err()
    return True


def next_key(fd: int, key: bytes | None, key_size: int) -> bytes | None:
    out = _c.create_string_buffer(key_size)
    if lib.bpf_map_get_next_key(fd, key, out) < 0:
        if _c.get_errno() == _errno.ENOENT:
            return None
        raise _err()
    return out.raw


class BatchUnsupported(OSError):
    """The kernel or map type has no batch operations."""


def lookup_batch(fd: int, key_size: int, value_size: int, chunk: int) -> list[tuple[bytes, bytes]]:
    """Read every entry in chunks of `chunk` entries with BPF_MAP_LOOKUP_BATCH.

    Hash maps need an opaque batch token as large as a key; 8 bytes covers arrays too.
    """
    token_size = max(key_size, 8)
    in_tok = _c.create_string_buffer(token_size)
    out_tok = _c.create_string_buffer(token_size)
    keys = _c.create_string_buffer(key_size * chunk)
    vals = _c.create_string_buffer(value_size * chunk)
    out: list[tuple[bytes, bytes]] = []
    first = True
    while True:
        count = _c.c_uint32(chunk)
        ret = lib.bpf_map_lookup_batch(fd, None if first else in_tok, out_tok, keys, vals,
                                       _c.byref(count), None)
        err = _c.get_errno() if ret < 0 else 0
        if ret < 0 and err not in (_errno.ENOENT,):
            if err in (_errno.EINVAL, _errno.ENOTSUPP if hasattr(_errno, "ENOTSUPP") else 524,
                       524, _errno.EOPNOTSUPP) and first:
                raise BatchUnsupported(err, os.strerror(err))
            raise OSError(err, os.strerror(err))
        kraw, vraw = keys.raw, vals.raw
        for i in range(count.value):
            out.append((kraw[i * key_size:(i + 1) * key_size],
                        vraw[i * value_size:(i + 1) * value_size]))
        if ret < 0:  # ENOENT: that was the last chunk
            return out
        _c.memmove(in_tok, out_tok, token_size)
        first = False


def delete_batch(fd: int, keys: list[bytes]) -> None:
    if not keys:
        return
    buf = b"".join(keys)
    count = _c.c_uint32(len(keys))
    if lib.bpf_map_delete_batch(fd, buf, _c.byref(count), None) < 0:
        raise _err()


def create(map_type: int, name: str, key_size: int, value_size: int, max_entries: int,
           map_flags: int = 0) -> int:
    """Create a map without an object (used by the trace compiler, which emits map fds)."""

    class _Opts(_c.Structure):
        _fields_ = [("sz", _c.c_size_t), ("btf_fd", _c.c_uint32),
                    ("btf_key_type_id", _c.c_uint32), ("btf_value_type_id", _c.c_uint32),
                    ("btf_vmlinux_value_type_id", _c.c_uint32), ("inner_map_fd", _c.c_uint32),
                    ("map_flags", _c.c_uint32), ("map_extra", _c.c_uint64),
                    ("numa_node", _c.c_uint32), ("map_ifindex", _c.c_uint32)]

    opts = _Opts(sz=_c.sizeof(_Opts), map_flags=map_flags)
    fd = lib.bpf_map_create(map_type, name.encode()[:15], key_size, value_size, max_entries,
                            _c.byref(opts))
    if fd < 0:
        raise OSError(-fd, os.strerror(-fd))
    return fd


def close(fd: int) -> None:
    os.close(fd)
