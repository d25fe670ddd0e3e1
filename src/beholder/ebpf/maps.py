"""Map: typed access to a BPF map (lookup, update, delete, iterate, batches, per-CPU values)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from beholder.kernel import btf as kbtf
from beholder.kernel import libbpf as k
from beholder.kernel import maps as kmaps
from beholder.kernel.libbpf import lib

# enum bpf_map_type values that store one value per possible CPU
_PERCPU_TYPES = {5, 6, 10, 21}
# Maps without keys to iterate (ring buffers, perf arrays, ...): iteration makes no sense.
_NO_ITER_TYPES = {4, 27}
HASH, ARRAY, PERF_EVENT_ARRAY, PERCPU_HASH, PERCPU_ARRAY, STACK_TRACE = 1, 2, 4, 5, 6, 7
LRU_HASH, LRU_PERCPU_HASH, RINGBUF = 9, 10, 27


def possible_cpus() -> int:
    return int(lib.libbpf_num_possible_cpus())


class Map:
    """A map in the kernel. Keys and values are ctypes structures derived from BTF where the
    object has it, else ints (for 1/2/4/8-byte scalars) or bytes."""

    def __init__(self, fd: int, name: str, map_type: int, key_size: int, value_size: int,
                 max_entries: int, key_type: Any = None, value_type: Any = None) -> None:
        self.fd, self.name, self.map_type = fd, name, map_type
        self.key_size, self.value_size, self.max_entries = key_size, value_size, max_entries
        self.key_type = key_type or _scalar(key_size)
        self.value_type = value_type or _scalar(value_size)
        self.per_cpu = map_type in _PERCPU_TYPES
        self._stride = (value_size + 7) // 8 * 8
        self._ncpus = possible_cpus() if self.per_cpu else 1
        self._batch_ok: bool | None = None

    ANY, NOEXIST, EXIST = kmaps.ANY, kmaps.NOEXIST, kmaps.EXIST

    @classmethod
    def from_libbpf(cls, handle: int, converter: kbtf.Converter | None) -> Map:
        key_t = val_t = None
        if converter is not None:
            key_t = _btf_type(converter, lib.bpf_map__btf_key_type_id(handle))
            val_t = _btf_type(converter, lib.bpf_map__btf_value_type_id(handle))
        return cls(lib.bpf_map__fd(handle), k.cstr(lib.bpf_map__name(handle)),
                   lib.bpf_map__type(handle), lib.bpf_map__key_size(handle),
                   lib.bpf_map__value_size(handle), lib.bpf_map__max_entries(handle),
                   key_t, val_t)

    # -- encoding --

    def _key(self, key: Any) -> bytes:
        return _encode(key, self.key_size)

    def _value_bytes(self) -> int:
        return self._stride * self._ncpus if self.per_cpu else self.value_size

    def _decode_value(self, raw: bytes, per_cpu: bool) -> Any:
        if not self.per_cpu:
            return _decode(raw, self.value_type)
        vals = [_decode(raw[i * self._stride:i * self._stride + self.value_size], self.value_type)
                for i in range(self._ncpus)]
        return vals if per_cpu else _sum(vals, self.value_type)

    # -- operations --

    def lookup(self, key: Any, *, per_cpu: bool = False) -> Any:
        """The value for `key`, or None. Per-CPU maps are summed unless per_cpu=True."""
        raw = kmaps.lookup(self.fd, self._key(key), self._value_bytes())
        return None if raw is None else self._decode_value(raw, per_cpu)

    def update(self, key: Any, value: Any, flags: int = kmaps.ANY) -> None:
        """flags: Map.ANY, Map.NOEXIST (EEXIST if present) or Map.EXIST."""
        raw = _encode(value, self.value_size)
        if self.per_cpu:
            raw = raw.ljust(self._stride, b"\0") * self._ncpus
        kmaps.update(self.fd, self._key(key), raw, flags)

    def delete(self, key: Any) -> bool:
        return kmaps.delete(self.fd, self._key(key))

    def keys(self) -> Iterator[Any]:
        if self.map_type in _NO_ITER_TYPES:
            raise TypeError(f"map {self.name} cannot be iterated")
        cur: bytes | None = None
        while True:
            cur = kmaps.next_key(self.fd, cur, self.key_size)
            if cur is None:
                return
            yield _decode(cur, self.key_type)

    def items(self, *, per_cpu: bool = False) -> list[tuple[Any, Any]]:
        """Every entry, read in batches where the kernel supports it."""
        if self.map_type in _NO_ITER_TYPES:
            raise TypeError(f"map {self.name} cannot be iterated")
        raw_items = self._raw_items()
        return [(_decode(kr, self.key_type), self._decode_value(vr, per_cpu)) for kr, vr in raw_items]

    def _raw_items(self) -> list[tuple[bytes, bytes]]:
        if self._batch_ok is not False and self.map_type != STACK_TRACE:
            try:
                out = kmaps.lookup_batch(self.fd, self.key_size, self._value_bytes(),
                                         chunk=min(max(self.max_entries, 1), 4096))
                self._batch_ok = True
                return out
            except kmaps.BatchUnsupported:
                self._batch_ok = False
        out = []
        cur: bytes | None = None
        while (cur := kmaps.next_key(self.fd, cur, self.key_size)) is not None:
            raw = kmaps.lookup(self.fd, cur, self._value_bytes())
            if raw is not None:  # deleted between next_key and lookup
                out.append((cur, raw))
        return out

    def clear(self) -> int:
        """Delete every key (array maps cannot delete; they are zeroed instead)."""
        keys = [kr for kr, _ in self._raw_items()]
        if self.map_type in (ARRAY, PERCPU_ARRAY):
            zero = b"\0" * self._value_bytes()
            for kr in keys:
                kmaps.update(self.fd, kr, zero)
            return len(keys)
        for kr in keys:
            kmaps.delete(self.fd, kr)
        return len(keys)

    def __getitem__(self, key: Any) -> Any:
        value = self.lookup(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        self.update(key, value)

    def __delitem__(self, key: Any) -> None:
        if not self.delete(key):
            raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        return kmaps.lookup(self.fd, self._key(key), self._value_bytes()) is not None

    def __iter__(self) -> Iterator[Any]:
        return self.keys()

    def __repr__(self) -> str:
        return f"<Map {self.name} type={self.map_type} max_entries={self.max_entries}>"


def _btf_type(conv: kbtf.Converter, tid: int) -> Any:
    if not tid:
        return None
    try:
        return conv.ctype(tid)
    except kbtf.Unrepresentable:
        return None


def _scalar(size: int) -> Any:
    return kbtf.scalar(size) if size in (1, 2, 4, 8) else None


def _encode(obj: Any, size: int) -> bytes:
    if isinstance(obj, bytes | bytearray):
        raw = bytes(obj)
    elif isinstance(obj, bool | int):
        raw = int(obj).to_bytes(size, "little", signed=int(obj) < 0)
    else:
        raw = bytes(obj)  # a ctypes instance
    if len(raw) != size:
        raise ValueError(f"expected {size} bytes, got {len(raw)}")
    return raw


def _decode(raw: bytes, ctype: Any) -> Any:
    if ctype is None:
        return raw
    obj = ctype.from_buffer_copy(raw)
    return obj.value if hasattr(obj, "value") and not hasattr(obj, "_fields_") else obj


def _sum(vals: list[Any], ctype: Any) -> Any:
    if not vals:
        return None
    if isinstance(vals[0], int):
        return sum(vals)
    if ctype is not None and hasattr(ctype, "_fields_"):
        total = ctype()
        for name, _ftype in ctype._fields_:
            first = getattr(vals[0], name)
            if isinstance(first, int):
                setattr(total, name, sum(getattr(v, name) for v in vals))
        return total
    return vals
