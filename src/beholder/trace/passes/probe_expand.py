"""Probe expansion: wildcard tracepoints become concrete ones, and missing probe kinds get advice."""

from __future__ import annotations

import re

from beholder.trace import ast
from beholder.trace.catalog import Catalog, supports, why_not
from beholder.trace.passes import PassContext
from beholder.trace.probes import ProbeSpec

# Kernel functions people kprobe whose job a stable tracepoint also does. Values are
# (entry tracepoint, return tracepoint); a return probe on the function maps to the latter.
TRACEPOINT_ADVICE: dict[str, tuple[str, str]] = {
    "tcp_retransmit_skb": ("tcp:tcp_retransmit_skb", "tcp:tcp_retransmit_skb"),
    "kmalloc": ("kmem:kmalloc", "kmem:kmalloc"),
    "__kmalloc": ("kmem:kmalloc", "kmem:kmalloc"),
    "kfree": ("kmem:kfree", "kmem:kfree"),
    "do_sys_open": ("syscalls:sys_enter_open*", "syscalls:sys_exit_open*"),
    "do_sys_openat2": ("syscalls:sys_enter_open*", "syscalls:sys_exit_open*"),
    "tcp_set_state": ("sock:inet_sock_set_state", "sock:inet_sock_set_state"),
    "tcp_send_reset": ("tcp:tcp_send_reset", "tcp:tcp_send_reset"),
    "tcp_sendmsg": ("sock:sock_send_length", "sock:sock_send_length"),
    "tcp_cleanup_rbuf": ("sock:sock_recv_length", "sock:sock_recv_length"),
    "finish_task_switch": ("sched:sched_switch", "sched:sched_switch"),
    "wake_up_new_task": ("sched:sched_wakeup_new", "sched:sched_wakeup_new"),
    "do_exit": ("sched:sched_process_exit", "sched:sched_process_exit"),
    "vfs_read": ("syscalls:sys_enter_read", "syscalls:sys_exit_read"),
    "vfs_write": ("syscalls:sys_enter_write", "syscalls:sys_exit_write"),
    "blk_account_io_start": ("block:block_io_start", "block:block_io_start"),
    "blk_mq_start_request": ("block:block_rq_issue", "block:block_rq_issue"),
    "blk_account_io_done": ("block:block_io_done", "block:block_io_done"),
}
# Syscall entry points under their many arch/version spellings.
_SYSCALL_FUNC = re.compile(
    r"^(?:__(?:x64|ia32|arm64|riscv|s390x?)_sys|__se_sys|__do_sys|sys|ksys)_(\w+?)$"
)
# Kernels where a tracepoint is missing fall back to the first alternative that exists.
_FALLBACKS = {
    "block:block_io_start": "block:block_rq_issue",
    "block:block_io_done": "block:block_rq_complete",
}

# Which base kind a provider needs; return probes also need their own kind (kretprobe).
_BASE_KIND = {"kprobe": "kprobe", "kretprobe": "kprobe", "fentry": "fentry", "fexit": "fentry"}
_KIND_TEXT = {
    "kprobe": "kprobes",
    "kretprobe": "kretprobes",
    "fentry": "fentry/fexit (kfunc) probes",
    "fexit": "fexit (kretfunc) probes",
}
_RETURN_KINDS = frozenset({"kretprobe", "fexit"})


def suggest_tracepoint(spec: ProbeSpec, catalog: Catalog | None = None) -> str | None:
    """The tracepoint doing the job of a kprobe/fentry spec, if one is known (and exists)."""
    func = spec.func
    pair = TRACEPOINT_ADVICE.get(func)
    if pair is None and (m := _SYSCALL_FUNC.match(func)):
        name = m[1].rstrip("*")
        pair = (f"syscalls:sys_enter_{name}", f"syscalls:sys_exit_{name}")
        if name.startswith("open"):
            pair = ("syscalls:sys_enter_open*", "syscalls:sys_exit_open*")
    if pair is None:
        return None
    tp = pair[1] if spec.provider in _RETURN_KINDS else pair[0]
    if catalog is not None and catalog.tracepoints("*:*"):
        # The catalog knows this kernel's tracepoints: only suggest one that is there.
        while not catalog.tracepoints(tp):
            fallback = _FALLBACKS.get(tp)
            if fallback is None:
                return None
            tp = fallback
    return f"tracepoint:{tp}"


def _check_kind(ctx: PassContext, catalog: Catalog, point: ast.AttachPoint) -> None:
    spec = point.spec
    base = _BASE_KIND.get(spec.provider) if spec else None
    if spec is None or base is None:
        return
    missing = next(
        (k for k in dict.fromkeys((base, spec.provider)) if not supports(catalog, k)), None
    )
    if missing is None:
        return
    head = f"{point.raw}: this kernel has no {_KIND_TEXT[missing]} ({why_not(catalog, missing)})"
    tp = suggest_tracepoint(spec, catalog)
    advice = f"use {tp} instead" if tp else "no tracepoint is known to do the same job"
    ctx.diagnostics.error(f"{head}; {advice}", point.loc)


def _expand(ctx: PassContext, catalog: Catalog, point: ast.AttachPoint) -> list[ast.AttachPoint]:
    spec = point.spec
    if spec is None or spec.provider != "tracepoint":
        return [point]
    pattern = f"{spec.target}:{spec.func}"
    matches = catalog.tracepoints(pattern)
    if not matches:
        ctx.diagnostics.error(f"no probes match 'tracepoint:{pattern}'", point.loc)
        return [point]
    if not spec.wildcard:
        return [point]
    out = []
    for name in matches:
        category, _, event = name.partition(":")
        concrete = ProbeSpec("tracepoint", f"tracepoint:{name}", target=category, func=event)
        out.append(ast.AttachPoint(concrete.raw, concrete, point.raw, loc=point.loc))
    return out


def run(ctx: PassContext) -> None:
    catalog = ctx.catalog
    if catalog is None:
        # No kernel knowledge: leave wildcards for the caller's loader to resolve.
        return
    for probe in ctx.program.probes:
        expanded: list[ast.AttachPoint] = []
        seen: set[str] = set()
        for point in probe.attach_points:
            _check_kind(ctx, catalog, point)
            for p in _expand(ctx, catalog, point):
                # 'sys_enter_open*, sys_enter_openat' must not attach twice.
                key = p.spec.canonical() if p.spec else p.raw
                if key not in seen:
                    seen.add(key)
                    expanded.append(p)
        probe.attach_points = expanded
