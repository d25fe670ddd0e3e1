/* Test programs for the runtime: counting, typed keys, per-CPU values, ring buffers. */
#include "beholder.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

struct tkey {
	__u32 tgid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct tkey);
	__type(value, __u64);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu_calls SEC(".maps");

struct event {
	__u64 seq;
	__u32 tgid;
	__u32 cpu;
};

BEHOLDER_RINGBUF(events, 256 * 1024);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seq SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int count_getppid(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid != target_tgid)
		return 0;

	struct tkey k = { .tgid = tgid };
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	__u64 one = 1, *n = bpf_map_lookup_elem(&calls, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&calls, &k, &one, BPF_NOEXIST);

	__u32 zero = 0;
	__u64 *pc = bpf_map_lookup_elem(&percpu_calls, &zero);
	if (pc)
		*pc += 1;

	__u64 *s = bpf_map_lookup_elem(&seq, &zero);
	if (!s)
		return 0;
	struct event *e = BEHOLDER_RESERVE(events, struct event);
	if (!e)
		return 0;
	e->seq = __sync_fetch_and_add(s, 1);
	e->tgid = tgid;
	e->cpu = bpf_get_smp_processor_id();
	bpf_ringbuf_submit(e, 0);
	return 0;
}
