"""tracefs format-file parser tests on realistic samples from a 6.x kernel."""

from __future__ import annotations

import pytest

from beholder.trace.passes.format_parse import (
    FormatError,
    FormatField,
    parse_field_decl,
    parse_format,
    parse_format_fields,
)

SYS_ENTER_OPENAT = """\
name: sys_enter_openat
ID: 633
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;

print fmt: "dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))
"""

SCHED_SWITCH = """\
name: sched_switch
ID: 316
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;
\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;
\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;
\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;
\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;

print fmt: "prev_comm=%s prev_pid=%d", REC->prev_comm, REC->prev_pid
"""

SCHED_PROCESS_EXEC = """\
name: sched_process_exec
ID: 312
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;

print fmt: "filename=%s pid=%d old_pid=%d", __get_str(filename), REC->pid, REC->old_pid
"""

INET_SOCK_SET_STATE = """\
name: inet_sock_set_state
ID: 1540
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:const void * skaddr;\toffset:8;\tsize:8;\tsigned:0;
\tfield:int oldstate;\toffset:16;\tsize:4;\tsigned:1;
\tfield:int newstate;\toffset:20;\tsize:4;\tsigned:1;
\tfield:__u16 sport;\toffset:24;\tsize:2;\tsigned:0;
\tfield:__u16 dport;\toffset:26;\tsize:2;\tsigned:0;
\tfield:__u16 family;\toffset:28;\tsize:2;\tsigned:0;
\tfield:__u16 protocol;\toffset:30;\tsize:2;\tsigned:0;
\tfield:__u8 saddr[4];\toffset:32;\tsize:4;\tsigned:0;
\tfield:__u8 daddr[4];\toffset:36;\tsize:4;\tsigned:0;
\tfield:__u8 saddr_v6[16];\toffset:40;\tsize:16;\tsigned:0;
\tfield:__u8 daddr_v6[16];\toffset:56;\tsize:16;\tsigned:0;

print fmt: "family=%s protocol=%s sport=%hu dport=%hu", __print_symbolic(REC->family, { 2, "AF_INET" })
"""


def test_sys_enter_openat() -> None:
    fmt = parse_format(SYS_ENTER_OPENAT)
    assert (fmt.name, fmt.id) == ("sys_enter_openat", 633)
    assert len(fmt.fields) == 9
    assert [f.name for f in fmt.event_fields] == [
        "__syscall_nr",
        "dfd",
        "filename",
        "flags",
        "mode",
    ]
    filename = fmt.event_fields[2]
    assert filename == FormatField("filename", "const char *", 24, 8, False)
    assert not filename.is_string  # a user pointer: needs str() to read
    assert fmt.fields[3] == FormatField("common_pid", "int", 4, 4, True)
    assert fmt.print_fmt.startswith('"dfd: 0x%08lx')


def test_sched_switch_char_arrays() -> None:
    fields = {f.name: f for f in parse_format_fields(SCHED_SWITCH)}
    prev = fields["prev_comm"]
    assert (prev.c_type, prev.offset, prev.size, prev.is_array, prev.array_len) == (
        "char",
        8,
        16,
        True,
        16,
    )
    assert prev.is_string
    assert fields["prev_state"] == FormatField("prev_state", "long", 32, 8, True)
    assert fields["next_pid"].signed and fields["next_pid"].c_type == "pid_t"


def test_data_loc_string() -> None:
    fields = parse_format_fields(SCHED_PROCESS_EXEC)
    filename = fields[0]
    assert filename == FormatField("filename", "char", 8, 4, False, True, None, is_data_loc=True)
    assert filename.is_string
    assert [f.name for f in fields] == ["filename", "pid", "old_pid"]


def test_inet_sock_set_state_byte_arrays() -> None:
    fields = {f.name: f for f in parse_format_fields(INET_SOCK_SET_STATE)}
    saddr = fields["saddr"]
    assert (saddr.c_type, saddr.size, saddr.array_len, saddr.is_string) == ("__u8", 4, 4, False)
    assert fields["daddr_v6"].array_len == 16
    assert fields["skaddr"].c_type == "const void *"
    assert fields["sport"] == FormatField("sport", "__u16", 24, 2, False)


@pytest.mark.parametrize(
    ("decl", "size", "expected"),
    [
        ("char *name", 8, ("name", "char *", False, None)),
        ("char comm[TASK_COMM_LEN]", 16, ("comm", "char", True, 16)),
        ("u32 vals[N]", 16, ("vals", "u32", True, 4)),
        ("struct foo bar[X]", 24, ("bar", "struct foo", True, None)),
        ("unsigned long long  ts", 8, ("ts", "unsigned long long", False, None)),
    ],
)
def test_field_decls(decl: str, size: int, expected: tuple[str, str, bool, int | None]) -> None:
    f = parse_field_decl(decl, 0, size, False)
    assert (f.name, f.c_type, f.is_array, f.array_len) == expected


def test_rel_loc_and_missing_signed() -> None:
    fmt = parse_format(
        "name: x\nID: 1\nformat:\n\tfield:__rel_loc char[] msg;\toffset:8;\tsize:4;\n"
    )
    assert fmt.fields[0].is_rel_loc and fmt.fields[0].is_string and not fmt.fields[0].signed


def test_malformed() -> None:
    with pytest.raises(FormatError, match="line 2: malformed field line"):
        parse_format("name: x\n\tfield:int a; offset:zz;\n")
    with pytest.raises(FormatError, match="bad ID"):
        parse_format("ID: twelve\n")
