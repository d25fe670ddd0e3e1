"""The runtime's errors: each one carries a message a user can act on, never a bare errno."""

from __future__ import annotations


class BPFError(Exception):
    """Base of every error raised by the eBPF runtime."""


class PrivilegeError(BPFError):
    """The process lacks root or CAP_BPF/CAP_PERFMON."""


class NotSupported(BPFError):
    """The running kernel lacks a feature; `hint` says what to use instead."""

    def __init__(self, feature: str, hint: str = "", reason: str = "") -> None:
        self.feature, self.hint, self.reason = feature, hint, reason
        msg = f"{feature} is not supported by this kernel"
        if reason:
            msg += f" ({reason})"
        if hint:
            msg += f"; {hint}"
        super().__init__(msg)


class LoadError(BPFError):
    """Opening or loading an object failed for a reason other than the verifier."""

    def __init__(self, message: str, log: list[str] | None = None) -> None:
        self.log = log or []
        detail = ""
        useful = [ln for ln in self.log if ln.strip()]
        if useful:
            detail = "\n" + "\n".join(useful[-8:])
        super().__init__(message + detail)


class VerifierError(LoadError):
    """The verifier rejected a program; the message names it and ends with the log's tail."""

    TAIL_LINES = 20

    def __init__(self, program: str, errno: int, verifier_log: str) -> None:
        import os

        self.program, self.errno, self.verifier_log = program, errno, verifier_log
        lines = [ln for ln in verifier_log.splitlines() if ln.strip()]
        tail = "\n".join("  " + ln for ln in lines[-self.TAIL_LINES:])
        reason = os.strerror(errno)
        if errno == 28:  # ENOSPC: the log filled up, which happens on the longest analyses
            reason = ("the verifier log overflowed (the program is too large or has a loop the "
                      "verifier cannot bound)")
        msg = f"verifier rejected program '{program}': {reason}"
        if tail:
            msg += f"\n{tail}"
        BPFError.__init__(self, msg)
        self.log = lines


class AttachError(BPFError):
    """Attaching a loaded program failed."""
