// SPDX-License-Identifier: GPL-2.0
/* The floor of cgroup_skb: a pair of programs that pass every packet and do nothing else.
 * flows_bench.py attaches it to the root cgroup to show what the kernel's dispatch of a
 * cgroup_skb program costs by itself, next to what the flows programs cost. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup_skb/egress")
int empty_egress(struct __sk_buff *skb) { return 1; }

SEC("cgroup_skb/ingress")
int empty_ingress(struct __sk_buff *skb) { return 1; }
