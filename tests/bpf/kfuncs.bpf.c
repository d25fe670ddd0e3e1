/* kprobe/kretprobe and fentry/fexit counters on do_nanosleep, for kernels that have them. */
#include "beholder.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4); /* kprobe, kretprobe, fentry, fexit */
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void hit(__u32 slot)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return;
	__u64 *n = bpf_map_lookup_elem(&hits, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("kprobe/do_nanosleep")
int on_kprobe(void *ctx) { hit(0); return 0; }

SEC("kretprobe/do_nanosleep")
int on_kretprobe(void *ctx) { hit(1); return 0; }

SEC("fentry/do_nanosleep")
int BPF_PROG(on_fentry) { hit(2); return 0; }

SEC("fexit/do_nanosleep")
int BPF_PROG(on_fexit) { hit(3); return 0; }
