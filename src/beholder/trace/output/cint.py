"""C integer/float semantics bpftrace's C++ output code relies on, for Python ints.

bpftrace reads kernel values into fixed-width C types and prints the result,
so wrap-around, truncating division and single-precision floats leak into its
output; these helpers reproduce each one explicitly.
"""

from __future__ import annotations

import struct

U64 = (1 << 64) - 1


def to_s64(v: int) -> int:
    """Reinterpret the low 64 bits of ``v`` as a signed int64 (C cast semantics)."""
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def to_s32(v: int) -> int:
    """Reinterpret the low 32 bits of ``v`` as a signed int (C ``int``)."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


def cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero), unlike Python's floor ``//``."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def shl32(n: int) -> int:
    """C++ ``1 << n`` on an ``int``: x86 masks the count to 5 bits; the result wraps."""
    return to_s32(1 << (n & 31))


def f32(x: float) -> float:
    """Round a double to IEEE single precision.

    For one +, -, * or / of two float32 values, computing in double and then
    rounding is exact (53 >= 2*24 + 2 bits), so chaining f32() reproduces C
    float arithmetic bit for bit.
    """
    return float(struct.unpack("f", struct.pack("f", x))[0])
