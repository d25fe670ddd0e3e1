"""The kernel boundary: the only package that touches ctypes, libbpf and raw syscalls.

Everything above it (``beholder.ebpf`` and up) works with bytes, ints and handles.
"""
