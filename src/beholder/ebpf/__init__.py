"""The eBPF runtime: open, configure and load objects; attach programs; read maps and ring buffers."""

from .errors import (
    AttachError,
    BPFError,
    LoadError,
    NotSupported,
    PrivilegeError,
    VerifierError,
)
from .link import Link
from .maps import Map
from .object import Object, ObjectSpec, open_object
from .program import Program
from .ringbuf import RingBuffer

__all__ = [
    "AttachError", "BPFError", "LoadError", "Link", "Map", "NotSupported", "Object",
    "ObjectSpec", "PrivilegeError", "Program", "RingBuffer", "VerifierError", "open_object",
]
