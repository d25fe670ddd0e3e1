"""Pass tests: the pass manager, probe expansion, kprobe advice and compile_front wiring."""

from __future__ import annotations

import pytest
from front_helpers import ONE_LINERS, catalog

from beholder.trace.diagnostics import CompileError
from beholder.trace.frontend import compile_front
from beholder.trace.passes import PassContext, PassManager


def errors(text: str, **kw: object) -> list[str]:
    with pytest.raises(CompileError) as info:
        compile_front(text, "prog.bt", **kw)  # type: ignore[arg-type]
    return [d.message for d in info.value.diagnostics.errors]


def test_pass_manager_stops_after_first_failing_pass() -> None:
    calls: list[str] = []

    def ok(ctx: PassContext) -> None:
        calls.append("ok")
        ctx.results["x"] = 1

    def bad(ctx: PassContext) -> None:
        calls.append("bad")
        ctx.diagnostics.error("boom")
        ctx.diagnostics.error("boom again")

    def never(ctx: PassContext) -> None:
        calls.append("never")

    ctx = PassContext.for_text("BEGIN {}")
    PassManager([("ok", ok), ("bad", bad)]).add("never", never).run(ctx)
    assert calls == ["ok", "bad"]
    assert ctx.results["passes_run"] == ["ok", "bad"]
    assert ctx.diagnostics.error_count() == 2


def test_warnings_do_not_stop_the_pipeline() -> None:
    def warn(ctx: PassContext) -> None:
        ctx.diagnostics.warning("careful")

    ctx = PassContext.for_text("BEGIN {}")
    PassManager([("w", warn), ("w2", warn)]).run(ctx)
    assert ctx.results["passes_run"] == ["w", "w2"]


ALL_COMPILE = [t for t in ONE_LINERS if "@x" not in t and "sys_exit /@start" not in t]


@pytest.mark.parametrize("text", ALL_COMPILE)
def test_one_liners_compile_front(text: str) -> None:
    ctx = compile_front(text, options={"positional": ["123"]})
    assert ctx.ast is not None
    assert ctx.results["passes_run"] == ["parse", "probe_expand", "semantic"]


def test_one_liners_with_catalog() -> None:
    cat = catalog()
    for text in ALL_COMPILE:
        compile_front(text, catalog=cat, options={"positional": ["1"]})


def test_wildcard_expansion() -> None:
    ctx = compile_front(
        "t:syscalls:sys_enter_open*, tracepoint:syscalls:sys_enter_openat { @ = count(); }",
        catalog=catalog(),
    )
    points = ctx.program.probes[0].attach_points
    assert [p.raw for p in points] == [
        "tracepoint:syscalls:sys_enter_open",
        "tracepoint:syscalls:sys_enter_openat",
        "tracepoint:syscalls:sys_enter_openat2",
    ]
    assert points[0].expanded_from == "t:syscalls:sys_enter_open*"
    assert points[2].spec is not None and points[2].spec.func == "sys_enter_openat2"


def test_no_match_errors_are_all_reported() -> None:
    assert errors("tracepoint:foo:* { } t:sched:nope { }", catalog=catalog()) == [
        "no probes match 'tracepoint:foo:*'",
        "no probes match 'tracepoint:sched:nope'",
    ]


def test_without_catalog_wildcards_stay() -> None:
    ctx = compile_front("tracepoint:foo:* { }")
    assert ctx.program.probes[0].attach_points[0].raw == "tracepoint:foo:*"


NO_KPROBES = {"kprobe": "CONFIG_KPROBES is off"}


@pytest.mark.parametrize(
    ("probe", "advice"),
    [
        ("kprobe:tcp_retransmit_skb", "use tracepoint:tcp:tcp_retransmit_skb instead"),
        ("k:kmalloc", "use tracepoint:kmem:kmalloc instead"),
        ("kprobe:__kmalloc", "use tracepoint:kmem:kmalloc instead"),
        ("kprobe:kfree", "use tracepoint:kmem:kfree instead"),
        ("kprobe:do_sys_open", "use tracepoint:syscalls:sys_enter_open* instead"),
        ("kprobe:do_sys_openat2", "use tracepoint:syscalls:sys_enter_open* instead"),
        ("kretprobe:do_sys_openat2", "use tracepoint:syscalls:sys_exit_open* instead"),
        ("kprobe:__x64_sys_openat", "use tracepoint:syscalls:sys_enter_open* instead"),
        ("kprobe:__x64_sys_read", "use tracepoint:syscalls:sys_enter_read instead"),
        ("kretprobe:ksys_read", "use tracepoint:syscalls:sys_exit_read instead"),
        ("kprobe:sys_execve", "use tracepoint:syscalls:sys_enter_execve instead"),
        ("kprobe:tcp_set_state", "use tracepoint:sock:inet_sock_set_state instead"),
        ("kprobe:tcp_send_reset", "use tracepoint:tcp:tcp_send_reset instead"),
        ("kprobe:finish_task_switch", "use tracepoint:sched:sched_switch instead"),
        ("kprobe:wake_up_new_task", "use tracepoint:sched:sched_wakeup_new instead"),
        ("kprobe:do_exit", "use tracepoint:sched:sched_process_exit instead"),
        ("kprobe:vfs_read", "use tracepoint:syscalls:sys_enter_read instead"),
        ("kretprobe:vfs_read", "use tracepoint:syscalls:sys_exit_read instead"),
        ("kprobe:vfs_write", "use tracepoint:syscalls:sys_enter_write instead"),
        # block_io_start is not in this kernel: fall back to block_rq_issue.
        ("kprobe:blk_account_io_start", "use tracepoint:block:block_rq_issue instead"),
        ("kprobe:blk_mq_start_request", "use tracepoint:block:block_rq_issue instead"),
        # sock_recv_length is not in this kernel, so no suggestion is made.
        ("kprobe:tcp_cleanup_rbuf", "no tracepoint is known to do the same job"),
        ("kprobe:some_random_func", "no tracepoint is known to do the same job"),
    ],
)
def test_kprobe_advice(probe: str, advice: str) -> None:
    msg = errors(f"{probe} {{ }}", catalog=catalog(**NO_KPROBES))
    assert msg == [f"{probe}: this kernel has no kprobes (CONFIG_KPROBES is off); {advice}"]


def test_kprobe_advice_rendered() -> None:
    with pytest.raises(CompileError) as info:
        compile_front(
            "BEGIN { }\nkprobe:tcp_retransmit_skb { @ = count(); }",
            "retrans.bt",
            catalog=catalog(**NO_KPROBES),
        )
    assert str(info.value) == (
        "retrans.bt:2:1: error: kprobe:tcp_retransmit_skb: this kernel has no kprobes "
        "(CONFIG_KPROBES is off); use tracepoint:tcp:tcp_retransmit_skb instead\n"
        "kprobe:tcp_retransmit_skb { @ = count(); }\n"
        "~~~~~~~~~~~~~~~~~~~~~~~~~"
    )


def test_fentry_advice_and_supported_kinds_pass() -> None:
    cat = catalog(fentry="kernel has no BTF")
    assert errors("kfunc:vfs_read { } fexit:do_exit { }", catalog=cat) == [
        "kfunc:vfs_read: this kernel has no fentry/fexit (kfunc) probes (kernel has no BTF); "
        "use tracepoint:syscalls:sys_enter_read instead",
        "fexit:do_exit: this kernel has no fentry/fexit (kfunc) probes (kernel has no BTF); "
        "use tracepoint:sched:sched_process_exit instead",
    ]
    compile_front("kprobe:vfs_read { }", catalog=cat)


def test_empty_catalog_still_advises() -> None:
    from beholder.trace.catalog import InMemoryCatalog

    cat = InMemoryCatalog(unsupported=NO_KPROBES)
    assert errors("kprobe:tcp_cleanup_rbuf { }", catalog=cat) == [
        "kprobe:tcp_cleanup_rbuf: this kernel has no kprobes (CONFIG_KPROBES is off); "
        "use tracepoint:sock:sock_recv_length instead"
    ]


def test_return_probe_kind_checked_separately() -> None:
    cat = catalog(kretprobe="kretprobes are disabled")
    compile_front("kprobe:vfs_read { }", catalog=cat)
    assert errors("kretprobe:vfs_read { }", catalog=cat) == [
        "kretprobe:vfs_read: this kernel has no kretprobes (kretprobes are disabled); "
        "use tracepoint:syscalls:sys_exit_read instead"
    ]
