"""A Link is one attachment of a program; closing it detaches."""

from __future__ import annotations

from beholder.kernel.libbpf import lib


class Link:
    """Owns a libbpf `struct bpf_link` (for perf-event attachments libbpf owns the perf fd
    and closes it on destroy).

    Attachments are fd-based (bpf_link or perf events), so the kernel drops them when the
    process dies, SIGKILL included; nothing is pinned.
    """

    def __init__(self, handle: int, description: str) -> None:
        self._handle: int | None = handle
        self.description = description

    @property
    def fd(self) -> int:
        if self._handle is None:
            raise ValueError("link is closed")
        return int(lib.bpf_link__fd(self._handle))

    @property
    def closed(self) -> bool:
        return self._handle is None

    def close(self) -> None:
        if self._handle is not None:
            lib.bpf_link__destroy(self._handle)
            self._handle = None

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Link {self.description}{' closed' if self.closed else ''}>"
