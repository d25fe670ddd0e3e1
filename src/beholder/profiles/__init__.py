"""CPU profiles: the kernel-free value model, merging, diffing and renderers."""

from beholder.profiles.diff import DiffResult, FunctionDelta, StackDelta, diff, format_table
from beholder.profiles.merge import merge_all
from beholder.profiles.model import (
    Frame,
    FrameKind,
    Mapping,
    Profile,
    Sample,
    Stack,
    frame_namer,
    unknown_label,
)

__all__ = [
    "DiffResult",
    "Frame",
    "FrameKind",
    "FunctionDelta",
    "Mapping",
    "Profile",
    "Sample",
    "Stack",
    "StackDelta",
    "diff",
    "format_table",
    "frame_namer",
    "merge_all",
    "unknown_label",
]
