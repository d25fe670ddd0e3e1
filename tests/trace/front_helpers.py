"""Shared helpers for the front-end tests: one-liner corpus, S-expressions, a fake catalog."""

from __future__ import annotations

from beholder.trace import ast
from beholder.trace.catalog import InMemoryCatalog
from beholder.trace.diagnostics import Diagnostics
from beholder.trace.parser import parse
from beholder.trace.passes.format_parse import FormatField
from beholder.trace.source import Source

ONE_LINERS = [
    'tracepoint:syscalls:sys_enter_open* /comm == "nginx"/ { printf("%s %s\\n", comm, str(args->filename)); }',
    "tracepoint:raw_syscalls:sys_enter { @start[tid] = nsecs; }",
    "tracepoint:raw_syscalls:sys_exit /@start[tid]/ { @latency = hist(nsecs - @start[tid]); delete(@start[tid]); }",
    "kprobe:kmalloc { @allocs[args->size] = count(); } END { print(@allocs); }",
    'kprobe:tcp_cleanup_rbuf { printf("Socket %p closed\\n", args->sk); }',
    'BEGIN { printf("Hello, World!\\n"); exit(); }',
    "tracepoint:syscalls:sys_enter_* { @[probe] = count(); }",
    "t:syscalls:sys_enter_read /pid == $1/ { @bytes = sum(args.count); }",
    "profile:hz:99 /pid/ { @[ustack, kstack, comm] = count(); }",
    "i:s:1 { print(@x); clear(@x); }",
    "interval:ms:100 { $x = 1; if ($x > 0) { @a = lhist($x, 0, 100, 10); } else { @b = stats($x); } }",
    'uretprobe:/bin/bash:readline { printf("%s\\n", str(retval)); }',
    "tracepoint:sched:sched_switch { @[args.prev_comm] = count(); }",
    "k:do_nanosleep { @s[tid] = nsecs; } kr:do_nanosleep /@s[tid]/ { @us = hist((nsecs - @s[tid]) / 1000); delete(@s[tid]); }",
    'BEGIN { $i = 0; while ($i < 10) { $i++; } unroll(3) { @c++; } @t = (1, "two"); $v = @t.0 ? 1 : 2; }',
    "tracepoint:tcp:tcp_retransmit_skb { @[ntop(args->daddr)] = count(); }",
    'END { print(@x, 10); time("%H:%M:%S\\n"); printf("%-10s %5d %lu %x\\n", comm, pid, nsecs, 255); }',
]


def parse_ok(text: str) -> ast.Program:
    source = Source(text, "prog.bt")
    diags = Diagnostics(source)
    prog = parse(source, diags)
    assert not diags.has_errors, diags.render()
    return prog


def parse_errors(text: str) -> str:
    source = Source(text, "prog.bt")
    diags = Diagnostics(source)
    parse(source, diags)
    assert diags.has_errors
    return diags.render()


def sexpr(e: ast.Node) -> str:
    """Compact prefix form that makes grouping visible: (+ 1 (* 2 3))."""
    if isinstance(e, ast.Integer):
        return str(e.value)
    if isinstance(e, ast.String):
        return repr(e.value)
    if isinstance(e, ast.Builtin | ast.Identifier):
        return e.name
    if isinstance(e, ast.Variable):
        return "$" + e.name
    if isinstance(e, ast.PositionalParam):
        return f"${e.index}"
    if isinstance(e, ast.Map):
        keys = ", ".join(sexpr(k) for k in e.keys)
        return e.display + (f"[{keys}]" if e.keys else "")
    if isinstance(e, ast.Binop):
        return f"({e.op} {sexpr(e.left)} {sexpr(e.right)})"
    if isinstance(e, ast.Unop):
        return f"({e.op}{'post' if e.postfix else ''} {sexpr(e.operand)})"
    if isinstance(e, ast.Ternary):
        return f"(? {sexpr(e.cond)} {sexpr(e.then)} {sexpr(e.other)})"
    if isinstance(e, ast.Call):
        return f"{e.name}(" + ", ".join(sexpr(a) for a in e.args) + ")"
    if isinstance(e, ast.FieldAccess):
        return f"{sexpr(e.expr)}{'->' if e.arrow else '.'}{e.field}"
    if isinstance(e, ast.ArrayAccess):
        return f"{sexpr(e.expr)}[{sexpr(e.index)}]"
    if isinstance(e, ast.Cast):
        return f"(cast {e.type} {sexpr(e.expr)})"
    if isinstance(e, ast.Tuple):
        return "(tuple " + " ".join(sexpr(x) for x in e.elems) + ")"
    return type(e).__name__


def expr_of(text: str) -> str:
    """S-expression of the single expression statement in 'BEGIN { <text>; }'."""
    prog = parse_ok(f"BEGIN {{ {text}; }}")
    stmt = prog.probes[0].block.stmts[0]
    assert isinstance(stmt, ast.ExprStmt)
    return sexpr(stmt.expr)


def _field(name: str, ctype: str = "int", *, string: bool = False) -> FormatField:
    if string:
        return FormatField(name, "char", 0, 4, False, True, None, is_data_loc=True)
    return FormatField(name, ctype, 0, 8, False)


OPENAT_FIELDS = [
    FormatField("common_type", "unsigned short", 0, 2, False),
    _field("__syscall_nr"),
    _field("dfd", "long"),
    _field("filename", "const char *"),
    _field("flags", "long"),
    _field("mode", "long"),
]

TRACEPOINTS = [
    "syscalls:sys_enter_open",
    "syscalls:sys_enter_openat",
    "syscalls:sys_enter_openat2",
    "syscalls:sys_exit_openat",
    "syscalls:sys_enter_read",
    "syscalls:sys_exit_read",
    "syscalls:sys_enter_write",
    "syscalls:sys_enter_execve",
    "sched:sched_switch",
    "sched:sched_process_exit",
    "sched:sched_wakeup_new",
    "tcp:tcp_retransmit_skb",
    "tcp:tcp_send_reset",
    "sock:inet_sock_set_state",
    "kmem:kmalloc",
    "kmem:kfree",
    "block:block_rq_issue",
    "raw_syscalls:sys_enter",
    "raw_syscalls:sys_exit",
]


def catalog(**unsupported: str) -> InMemoryCatalog:
    """A small kernel: the tracepoints above; probe kinds in unsupported are missing."""
    return InMemoryCatalog(
        TRACEPOINTS,
        unsupported=unsupported,
        fields={
            "syscalls:sys_enter_openat": OPENAT_FIELDS,
            "syscalls:sys_enter_open": OPENAT_FIELDS,
            "syscalls:sys_enter_openat2": OPENAT_FIELDS,
            "sched:sched_switch": [
                FormatField("prev_comm", "char", 8, 16, True, True, 16),
                FormatField("prev_pid", "pid_t", 24, 4, True),
                FormatField("next_comm", "char", 40, 16, True, True, 16),
                FormatField("next_pid", "pid_t", 56, 4, True),
            ],
        },
    )
