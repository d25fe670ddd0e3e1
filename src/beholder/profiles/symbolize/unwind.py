"""The stack-walker seam: how a sample's user stack becomes a list of addresses.

Today the kernel walks frame pointers (`bpf_get_stackid(..., BPF_F_USER_STACK)`) and the
`FramePointerUnwinder` only hands those addresses on. Binaries built without frame pointers
(this machine's python3 among them) give stacks cut short after the first frame that lacks one.

Later unwinders plug in here without touching the sampler's consumers:
- an .eh_frame unwinder: the BPF program also copies the top of the user stack and the
  registers (bpf_get_stack / a per-sample buffer); `unwind()` replays the CFI of the mapped
  ELF files over those bytes. It needs the process maps, which `unwind()` is given.
- a CPython unwinder: a second `Unwinder` that reads interpreter frames for processes running
  python and returns them as extra frames; `Symbolizer` then names them from the code objects.
"""

from __future__ import annotations

from typing import Protocol

from beholder.profiles.sampler import RawSample
from beholder.symbols.procmaps import ProcessMaps


class Unwinder(Protocol):
    name: str

    def unwind(self, sample: RawSample, maps: ProcessMaps | None) -> tuple[int, ...]:
        """Leaf-first user-space addresses of the sample (the leaf is the sampled IP;
        the others are return addresses)."""
        ...


class FramePointerUnwinder:
    """The kernel already followed the frame-pointer chain; nothing is left to do here."""

    name = "frame-pointer"

    def unwind(self, sample: RawSample, maps: ProcessMaps | None) -> tuple[int, ...]:
        return sample.user
