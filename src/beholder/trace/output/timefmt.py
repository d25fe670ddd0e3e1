"""time() and strftime() text, as bpftrace 0.17 produces it.

``time(fmt)`` formats the *current* local time when the event reaches user
space (default "%H:%M:%S\n", nothing appended); ``strftime(fmt, nsecs)``
converts a boot-relative timestamp taken in the kernel, after substituting
bpftrace's ``%f`` (microseconds) extension.  Both use a 64-byte buffer: a
longer (or empty) result is an error in bpftrace -- ``time()`` then prints
nothing and ``strftime()`` prints "(?)".
"""

from __future__ import annotations

import time as _time

STRFTIME_BUF = 64  # bpftrace's STRING_SIZE buffer for strftime()/time()


def _c_strftime(fmt: str, secs: int) -> str | None:
    """C strftime into a 64-byte buffer: None when empty or too long (bpftrace errors)."""
    out = _time.strftime(fmt, _time.localtime(secs))
    if not out or len(out.encode("utf-8", "surrogateescape")) >= STRFTIME_BUF:
        return None
    return out


def time_text(fmt: str = "%H:%M:%S\n", now: float | None = None) -> str | None:
    """What ``time(fmt)`` prints (no newline added); None: bpftrace prints nothing."""
    return _c_strftime(fmt, int(_time.time() if now is None else now))


def strftime_text(fmt: str, nsecs_since_boot: int, boottime_sec: int, boottime_nsec: int) -> str:
    """``strftime(fmt, nsecs)`` as bpftrace 0.17 resolves it, with its ``%f``
    (microseconds) extension substituted first; "(?)" when strftime fails."""
    total_ns = boottime_nsec + nsecs_since_boot
    # bpftrace: time_t t = boot.tv_sec + (boot.tv_nsec + nsecs) / 1e9  (a double)
    secs = int(boottime_sec + total_ns / 1e9)
    usecs = (total_ns % 1_000_000_000) // 1000
    out = _c_strftime(fmt.replace("%f", f"{usecs:06d}"), secs)
    return "(?)" if out is None else out
