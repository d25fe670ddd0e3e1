/* CPU profiler: sampled on the software cpu-clock, user + kernel stacks aggregated in the kernel.
 *
 * Two sets of (stack map, count map) alternate: the program writes into the set that the
 * `active` array names, user space flips it, waits for in-flight samples to finish, then reads
 * and clears the other set. Nothing is lost between harvests and no event leaves the kernel per
 * sample. The only ring-buffer record is "a tgid was sampled for the first time", so user space
 * can snapshot /proc/PID/maps while the process still exists. */
#include "beholder.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_DEPTH 127 /* PERF_MAX_STACK_DEPTH */
#define COMM_LEN 16
#define CGROUP_LEVELS 16 /* ancestors checked for a container filter */

/* Filters, set before load. Each is off when 0. */
const volatile __u32 filter_tgids_on = 0;   /* only tgids in filter_tgids */
const volatile __u32 filter_cgroups_on = 0; /* only tasks in (or below) cgroups in filter_cgroups */
const volatile __u32 filter_comm_on = 0;    /* only tasks whose comm is filter_comm */
const volatile char filter_comm[COMM_LEN] = {};
const volatile __u32 include_idle = 0;      /* count pid 0 (swapper) samples in the maps too */

enum profile_stat {
	STAT_SAMPLES,           /* counted into a count map */
	STAT_IDLE,              /* pid 0 */
	STAT_FILTERED,          /* left out by a filter */
	STAT_USER_COLLISIONS,   /* bpf_get_stackid -EEXIST: another stack owns the bucket */
	STAT_KERNEL_COLLISIONS,
	STAT_STACK_DROPS,       /* -ENOMEM and other stack map errors */
	STAT_COUNT_DROPS,       /* the count map is full */
	STAT_NEW_TGID_LOST,     /* first-seen record did not fit in the ring */
	STAT_MAX,
};

struct sample_key {
	__u32 tgid;
	__u32 pid;
	__s32 user_stack_id;   /* < 0: no user stack (kernel thread) or a counted error */
	__s32 kernel_stack_id; /* < 0: the sample hit user mode */
	__u64 cgroup_id;
	char comm[COMM_LEN];
};

struct new_tgid {
	__u32 tgid;
	__u32 pid;
};

#define STACK_MAP(name)                                                 \
	struct {                                                        \
		__uint(type, BPF_MAP_TYPE_STACK_TRACE);                 \
		__uint(max_entries, 16384);                             \
		__type(key, __u32);                                     \
		__type(value, __u64[MAX_DEPTH]);                        \
	} name SEC(".maps")

#define COUNT_MAP(name)                                                 \
	struct {                                                        \
		__uint(type, BPF_MAP_TYPE_HASH);                        \
		__uint(max_entries, 32768);                             \
		__type(key, struct sample_key);                         \
		__type(value, __u64);                                   \
	} name SEC(".maps")

STACK_MAP(stacks_0);
STACK_MAP(stacks_1);
COUNT_MAP(counts_0);
COUNT_MAP(counts_1);

/* Index of the set being written (0 or 1); only user space changes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} active SEC(".maps");

/* Cumulative counters; user space reports the difference between harvests. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} filter_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} filter_cgroups SEC(".maps");

/* tgids already announced to user space; exec and exit forget them. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} seen SEC(".maps");

BEHOLDER_RINGBUF(new_tgids, 64 * 1024);

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &idx);
	if (n)
		*n += 1; /* per-CPU: no atomics needed */
}

static __always_inline int comm_matches(const char *comm)
{
	for (int i = 0; i < COMM_LEN; i++) {
		if (comm[i] != filter_comm[i])
			return 0;
		if (!comm[i])
			return 1;
	}
	return 1;
}

static __always_inline int cgroup_matches(void)
{
	__u64 id = bpf_get_current_cgroup_id();
	if (bpf_map_lookup_elem(&filter_cgroups, &id))
		return 1;
	for (int level = 1; level <= CGROUP_LEVELS; level++) {
		id = bpf_get_current_ancestor_cgroup_id(level);
		if (!id)
			return 0;
		if (bpf_map_lookup_elem(&filter_cgroups, &id))
			return 1;
	}
	return 0;
}

static __always_inline void count_stack_error(__s32 id, __u32 collision_stat)
{
	if (id == -17 /* EEXIST */)
		stat_inc(collision_stat);
	else if (id != -14 /* EFAULT: no stack of this kind, e.g. user mode has no kernel stack */)
		stat_inc(STAT_STACK_DROPS);
}

static __always_inline void announce(__u32 tgid, __u32 pid)
{
	__u8 one = 1;
	if (bpf_map_update_elem(&seen, &tgid, &one, BPF_NOEXIST))
		return; /* already announced */
	struct new_tgid *e = bpf_ringbuf_reserve(&new_tgids, sizeof(*e), 0);
	if (!e) {
		beholder_count_lost(&new_tgids_lost);
		stat_inc(STAT_NEW_TGID_LOST);
		bpf_map_delete_elem(&seen, &tgid); /* try again on the next sample */
		return;
	}
	e->tgid = tgid;
	e->pid = pid;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

static __always_inline void add_sample(void *counts, struct sample_key *key)
{
	__u64 one = 1, *n = bpf_map_lookup_elem(counts, key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		stat_inc(STAT_SAMPLES);
		return;
	}
	if (bpf_map_update_elem(counts, key, &one, BPF_NOEXIST) == 0) {
		stat_inc(STAT_SAMPLES);
		return;
	}
	n = bpf_map_lookup_elem(counts, key); /* another CPU inserted it meanwhile */
	if (n) {
		__sync_fetch_and_add(n, 1);
		stat_inc(STAT_SAMPLES);
	} else {
		stat_inc(STAT_COUNT_DROPS);
	}
}

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, pid = (__u32)id;
	struct sample_key key = {};

	if (pid == 0) {
		stat_inc(STAT_IDLE);
		if (!include_idle)
			return 0;
	}
	if (filter_tgids_on && !bpf_map_lookup_elem(&filter_tgids, &tgid)) {
		stat_inc(STAT_FILTERED);
		return 0;
	}
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	if (filter_comm_on && !comm_matches(key.comm)) {
		stat_inc(STAT_FILTERED);
		return 0;
	}
	if (filter_cgroups_on && !cgroup_matches()) {
		stat_inc(STAT_FILTERED);
		return 0;
	}

	__u32 zero = 0, *set = bpf_map_lookup_elem(&active, &zero);
	__u32 which = set ? *set : 0;

	key.tgid = tgid;
	key.pid = pid;
	key.cgroup_id = bpf_get_current_cgroup_id();
	if (which) {
		key.user_stack_id = bpf_get_stackid(ctx, &stacks_1, BPF_F_USER_STACK);
		key.kernel_stack_id = bpf_get_stackid(ctx, &stacks_1, 0);
	} else {
		key.user_stack_id = bpf_get_stackid(ctx, &stacks_0, BPF_F_USER_STACK);
		key.kernel_stack_id = bpf_get_stackid(ctx, &stacks_0, 0);
	}
	if (key.user_stack_id < 0)
		count_stack_error(key.user_stack_id, STAT_USER_COLLISIONS);
	if (key.kernel_stack_id < 0)
		count_stack_error(key.kernel_stack_id, STAT_KERNEL_COLLISIONS);

	if (which)
		add_sample(&counts_1, &key);
	else
		add_sample(&counts_0, &key);
	if (tgid)
		announce(tgid, pid);
	return 0;
}

/* A new image: the old maps are gone, so announce the tgid again on its next sample. */
SEC("tracepoint/sched/sched_process_exec")
int profile_exec(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_delete_elem(&seen, &tgid);
	return 0;
}

/* The tgid may be reused by another process: forget it when its leader exits. */
SEC("tracepoint/sched/sched_process_exit")
int profile_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (tgid == (__u32)id)
		bpf_map_delete_elem(&seen, &tgid);
	return 0;
}
