"""RingBuffer: consume a BPF ring buffer; records that did not fit are counted, not lost silently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from beholder.kernel import libbpf as k
from beholder.kernel.libbpf import lib

from .errors import BPFError
from .maps import RINGBUF, Map


class RingBuffer:
    """Calls `callback(bytes)` for each record. `lost` sums the kernel-side drop counter
    (the `<ring>_lost` map that BEHOLDER_RINGBUF declares), so a full ring shows up."""

    def __init__(self, ring: Map, callback: Callable[[bytes], Any], lost: Map | None = None) -> None:
        if ring.map_type != RINGBUF:
            raise BPFError(f"map {ring.name} is not a ring buffer")
        self.ring, self.lost_map = ring, lost
        self.received = 0
        self._user_cb = callback
        self._error: BaseException | None = None
        self._cb = k.callback("ring_buffer_sample", self._on_sample)
        ptr = lib.ring_buffer__new(ring.fd, self._cb, None, None)
        self._handle: int | None = k.check_ptr(ptr)

    def _on_sample(self, _ctx: int, data: int, size: int) -> int:
        try:
            self.received += 1
            self._user_cb(k.read_mem(data, size))
            return 0
        except BaseException as e:  # an exception cannot cross the C frame; re-raise after poll
            self._error = e
            return -1

    def _check(self, ret: int) -> int:
        if self._error is not None:
            err, self._error = self._error, None
            raise err
        if ret < 0 and ret != -4:  # -EINTR: a signal arrived; the caller decides
            raise BPFError(f"ring buffer {self.ring.name}: poll failed ({ret})")
        return max(ret, 0)

    def poll(self, timeout_ms: int = 100) -> int:
        """Wait up to timeout_ms for records and consume them; returns how many."""
        if self._handle is None:
            raise BPFError("ring buffer is closed")
        return self._check(lib.ring_buffer__poll(self._handle, timeout_ms))

    def consume(self) -> int:
        """Consume whatever is ready without waiting."""
        if self._handle is None:
            raise BPFError("ring buffer is closed")
        return self._check(lib.ring_buffer__consume(self._handle))

    @property
    def epoll_fd(self) -> int:
        if self._handle is None:
            raise BPFError("ring buffer is closed")
        return int(lib.ring_buffer__epoll_fd(self._handle))

    @property
    def lost(self) -> int:
        if self.lost_map is None:
            return 0
        return int(self.lost_map.lookup(0) or 0)

    def close(self) -> None:
        if self._handle is not None:
            lib.ring_buffer__free(self._handle)
            self._handle = None

    def __enter__(self) -> RingBuffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
