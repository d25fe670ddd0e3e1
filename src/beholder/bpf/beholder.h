/* Shared helpers for beholder's kernel programs. */
#ifndef BEHOLDER_H
#define BEHOLDER_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* A ring buffer plus a per-CPU counter of records that did not fit. Nothing is dropped
 * silently: user space reads <name>_lost next to the ring and reports it. */
#define BEHOLDER_RINGBUF(name, bytes)                                   \
	struct {                                                        \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                     \
		__uint(max_entries, bytes);                             \
	} name SEC(".maps");                                            \
	struct {                                                        \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                \
		__uint(max_entries, 1);                                 \
		__type(key, __u32);                                     \
		__type(value, __u64);                                   \
	} name##_lost SEC(".maps")

static __always_inline void beholder_count_lost(void *lost_map)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(lost_map, &zero);
	if (n)
		*n += 1;
}

/* Reserve a record or count the loss; use as `e = BEHOLDER_RESERVE(events, *e);` */
#define BEHOLDER_RESERVE(name, type)                                      \
	({                                                              \
		void *__r = bpf_ringbuf_reserve(&name, sizeof(type), 0); \
		if (!__r)                                               \
			beholder_count_lost(&name##_lost);              \
		__r;                                                    \
	})

#endif
