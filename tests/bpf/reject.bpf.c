/* A program the verifier must reject: it dereferences a hash map lookup without a NULL check.
 * (A hash map, because recent kernels know constant-key array lookups cannot fail.) */
#include "beholder.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int unchecked_lookup(void *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&counts, &zero);
	*n += 1;
	return 0;
}
