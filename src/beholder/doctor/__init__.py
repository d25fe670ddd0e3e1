"""`beholder doctor`: what this host can do, found by probing the kernel, as a model and renderers."""

from .report import Report, collect

__all__ = ["Report", "collect"]
