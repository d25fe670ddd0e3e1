/* Syscall counts per process and syscall number, from raw_syscalls:sys_enter.
 * The README's runtime example uses it; the syscount tool will too. */
#include "beholder.h"

char LICENSE[] SEC("license") = "GPL";

/* 0 counts every process; otherwise only this one. */
const volatile __u32 target_tgid = 0;

struct syscall_key {
	__u32 tgid;
	__u32 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* bounded: old entries go first */
	__uint(max_entries, 10240);
	__type(key, struct syscall_key);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int count_syscalls(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (target_tgid && tgid != target_tgid)
		return 0;
	struct syscall_key key = { .tgid = tgid, .nr = (__u32)BPF_CORE_READ(ctx, id) };
	__u64 one = 1, *n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 0;
}
