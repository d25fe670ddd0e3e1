/* Tiny programs that `beholder doctor` and the runtime load one at a time to learn what
 * this kernel really supports (loading and attaching, not reading the config). */
#include "beholder.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_getppid")
int probe_tracepoint(void *ctx) { return 0; }

SEC("raw_tracepoint/sys_enter")
int probe_raw_tracepoint(void *ctx) { return 0; }

SEC("tp_btf/sched_switch")
int BPF_PROG(probe_tp_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("perf_event")
int probe_perf_event(void *ctx) { return 0; }

SEC("uprobe")
int probe_uprobe(void *ctx) { return 0; }

SEC("kprobe/do_nanosleep")
int probe_kprobe(void *ctx) { return 0; }

SEC("kretprobe/do_nanosleep")
int probe_kretprobe(void *ctx) { return 0; }

SEC("fentry/do_nanosleep")
int BPF_PROG(probe_fentry) { return 0; }

SEC("fexit/do_nanosleep")
int BPF_PROG(probe_fexit) { return 0; }

SEC("cgroup_skb/egress")
int probe_cgroup_skb(struct __sk_buff *skb) { return 1; }

SEC("cgroup/connect4")
int probe_cgroup_sock_addr(struct bpf_sock_addr *ctx) { return 1; }

SEC("sockops")
int probe_sockops(struct bpf_sock_ops *ctx) { return 1; }

SEC("tc")
int probe_tc(struct __sk_buff *skb) { return 0; }

SEC("xdp")
int probe_xdp(struct xdp_md *ctx) { return XDP_PASS; }
