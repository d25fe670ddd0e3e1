"""Turn sampled addresses into frames: kernel (kallsyms), ELF (.symtab/.dynsym), JIT (perf maps)."""

from beholder.profiles.symbolize.symbolizer import Symbolizer
from beholder.profiles.symbolize.unwind import FramePointerUnwinder, Unwinder

__all__ = ["FramePointerUnwinder", "Symbolizer", "Unwinder"]
