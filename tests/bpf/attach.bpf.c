/* Test programs for attach types: perf_event sampling, uprobes, cgroup_skb. */
#include "beholder.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} samples SEC(".maps");

SEC("perf_event")
int sample(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *n = bpf_map_lookup_elem(&samples, &tgid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&samples, &tgid, &one, BPF_ANY);
	return 0;
}

/* uprobe: calls and the sum of the first argument; uretprobe: the sum of return values */
struct ucount {
	__u64 calls;
	__u64 arg_sum;
	__u64 ret_sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ucount);
} ucounts SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(on_call, long arg)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	__u32 zero = 0;
	struct ucount *c = bpf_map_lookup_elem(&ucounts, &zero);
	if (c) {
		__sync_fetch_and_add(&c->calls, 1);
		__sync_fetch_and_add(&c->arg_sum, arg);
	}
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(on_return, long ret)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	__u32 zero = 0;
	struct ucount *c = bpf_map_lookup_elem(&ucounts, &zero);
	if (c)
		__sync_fetch_and_add(&c->ret_sum, ret);
	return 0;
}

/* cgroup_skb: bytes and packets leaving the cgroup */
struct eg_traffic {
	__u64 bytes;
	__u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct eg_traffic);
} egress SEC(".maps");

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct eg_traffic *t = bpf_map_lookup_elem(&egress, &zero);
	if (t) {
		__sync_fetch_and_add(&t->bytes, skb->len);
		__sync_fetch_and_add(&t->packets, 1);
	}
	return 1;
}
