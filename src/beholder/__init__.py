"""beholder: zero-instrumentation observability for backend engineers, on eBPF."""

__version__ = "0.1.0"
