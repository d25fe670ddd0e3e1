/* Network flows: TCP lifecycle, bytes, packets, flags, resets and retransmits per socket,
 * UDP traffic per (socket, peer), and DNS payloads; tracepoints + cgroup_skb only.
 *
 * The join key everywhere is the kernel's struct sock address:
 *  - every sock:* and tcp:* tracepoint carries it (skaddr / sk);
 *  - cgroup_skb sees it as skb->sk, the socket the packet leaves from or is delivered to.
 * A socket cookie would survive address reuse, but a plain tracepoint cannot ask for one
 * (bpf_get_socket_cookie needs a BTF-typed or skb context) and the cookie is allocated
 * lazily, so tracepoints would read 0 for sockets that no cgroup program has touched yet.
 * A 5-tuple would need the network namespace to be unique and is not known at SYN_SENT.
 * The address is unique while the socket lives, and a TCP entry is deleted at TCP_CLOSE,
 * before the memory can be reused; UDP entries carry their first/last time and the owner
 * is refreshed whenever another process uses the address.
 *
 * Nothing is sent per packet, and TCP costs nothing per packet at all:
 *  - bytes and segments: the kernel already counts them in struct tcp_sock, so they are
 *    copied from there when a connection closes, and for connections still open by
 *    flows_refresh, which user space runs (BPF_PROG_TEST_RUN) just before each harvest;
 *  - flags: SYN, ACK and FIN follow from the state transitions and SOCK_DONE (set by the
 *    kernel when a FIN arrives), RST from the reset tracepoints;
 *  - owners: connect() runs SYN_SENT in the caller; accepted sockets get the owner of their
 *    listener, recorded when listen() runs CLOSE -> LISTEN in the caller.
 * Per-packet and per-message hooks on TCP cost nginx+wrk on loopback 10-20% of its
 * throughput (atomic adds made the entry's cache lines bounce between the CPUs of the two
 * ends; even read-only lookups cost several %). UDP has no such counters, so UDP packets
 * and payload bytes are summed per (socket, peer) in cgroup_skb, which returns at once for
 * TCP. A record goes to the ring buffer when a TCP connection closes, and for each DNS
 * datagram (port 53). User space harvests the maps for open connections and for UDP. */
#include "beholder.h"
#include "flows.h"
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define FAM_INET 2
#define FAM_INET6 10
#define PROTO_TCP 6
#define PROTO_UDP 17
#define ST_ESTABLISHED 1
#define ST_SYN_SENT 2
#define ST_SYN_RECV 3
#define ST_FIN_WAIT1 4
#define ST_CLOSE 7
#define ST_CLOSE_WAIT 8
#define ST_LAST_ACK 9
#define ST_LISTEN 10
#define ST_CLOSING 11
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define MSG_PEEK_FLAG 2
#define ETH_IP 0x0800
#define ETH_IP6 0x86DD

/* Tracepoint contexts, as in tracefs' format files (stable since 4.16). Declared here without
 * CO-RE: the verifier refuses a ctx pointer moved by a relocated offset (memcpy of arrays). */
struct tp_set_state {
	__u64 common;
	const void *skaddr;
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
};

struct tp_sk_skb { /* tcp_retransmit_skb, tcp_send_reset */
	__u64 common;
	const void *skbaddr;
	const void *skaddr;
};

struct tp_sk { /* tcp_receive_reset */
	__u64 common;
	const void *skaddr;
};

/* Sizes are set from Python (set_max_entries) before load; these are the defaults. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct tcp_flow);
} tcp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct udp_key);
	__type(value, struct udp_flow);
} udp_flows SEC(".maps");

/* Owner of UDP sockets by socket cookie. The cookie is allocated by cgroup_skb's
 * bpf_get_socket_cookie at the socket's first packet, which is before sock_send_length /
 * sock_recv_length fire at the end of the syscall; those read it back from sk_common. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct flow_owner);
} sk_owner SEC(".maps");

/* Who listens on a port, by (network namespace, port): recorded at CLOSE -> LISTEN, which
 * runs in the listen() caller, and given to the listener's children at SYN_RECV (which runs
 * in softirq, on behalf of no process). The accepting process itself could only come from an
 * accept syscall tracepoint, and any syscall tracepoint sends every syscall of every task
 * through the slow path: that cost nginx+wrk ~12%. Prefork servers (one listener shared by
 * workers) are thus attributed to the process that called listen(). User space fills in
 * listeners opened before beholder started, from /proc. */
struct listen_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct listen_key);
	__type(value, struct flow_owner);
} listeners SEC(".maps");

/* TCP table accounting, so user space can tell LRU evictions (lost flows) from closes of
 * connections opened before beholder started: evicted >= created - closed - live. */
#define CNT_UNTRACKED_CLOSE 0 /* TCP_CLOSE of a socket that had no entry */
#define CNT_CREATED 1         /* entries created */
#define CNT_CLOSED 2          /* entries found at TCP_CLOSE (emitted, or lost in the ring) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} tcp_counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&tcp_counters, &which);
	if (n)
		*n += 1;
}

BEHOLDER_RINGBUF(events, 1 << 22);
BEHOLDER_RINGBUF(dns_events, 1 << 20);

/* 0 captures DNS on port 53 only; another value adds that port (tests run a resolver there). */
const volatile __u16 dns_port = 53;

static __always_inline void fill_owner(struct flow_owner *o)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	o->pid = pt >> 32;
	o->tid = (__u32)pt;
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->cgroup_id = bpf_get_current_cgroup_id();
	o->ts_ns = bpf_ktime_get_ns();
	o->netns = BPF_CORE_READ(t, nsproxy, net_ns, ns.inum);
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

static __always_inline void listen_key_of(struct listen_key *k, const void *sk, __u16 port)
{
	k->netns = BPF_CORE_READ((struct sock *)sk, __sk_common.skc_net.net, ns.inum);
	k->port = port;
	k->pad = 0;
}

static __always_inline __u64 sk_cookie(const void *sk)
{
	return BPF_CORE_READ((struct sock *)sk, __sk_common.skc_cookie.counter);
}

static __always_inline void set_addrs(struct tcp_flow *f,
				      struct tp_set_state *ctx)
{
	f->family = ctx->family;
	f->sport = ctx->sport;
	f->dport = ctx->dport;
	if (ctx->family == FAM_INET) {
		__builtin_memcpy(f->saddr, ctx->saddr, 4);
		__builtin_memcpy(f->daddr, ctx->daddr, 4);
	} else {
		__builtin_memcpy(f->saddr, ctx->saddr_v6, 16);
		__builtin_memcpy(f->daddr, ctx->daddr_v6, 16);
	}
}

/* sk_flags moved into sock_common (skc_flags) in 6.x; before that it was sock's own. */
struct sock___flags_in_sock {
	unsigned long sk_flags;
} __attribute__((preserve_access_index));

static __always_inline unsigned long sock_flags_of(const void *skp)
{
	struct sock *sk = (struct sock *)skp;
	if (bpf_core_field_exists(sk->__sk_common.skc_flags))
		return BPF_CORE_READ(sk, __sk_common.skc_flags);
	return BPF_CORE_READ((struct sock___flags_in_sock *)skp, sk_flags);
}

/* Bytes and segments from the kernel's own per-connection counters (RFC 4898 names in
 * tcp_sock, all there since 4.19). Sent bytes exclude retransmissions, as the received side
 * counts each byte once. Probe reads: callers hold a socket address, not a typed pointer. */
static __always_inline void read_counters(struct tcp_flow *f, const void *skp)
{
	struct tcp_sock *tp = (struct tcp_sock *)skp;
	__u64 sent = BPF_CORE_READ(tp, bytes_sent);
	__u64 retrans = BPF_CORE_READ(tp, bytes_retrans);

	__u64 recv = BPF_CORE_READ(tp, bytes_received);
	/* bytes_received advances with rcv_nxt, and a FIN takes a sequence number; tcp_fin()
	 * sets SOCK_DONE, and only it (tcp_disconnect clears it) */
	unsigned long skflags = sock_flags_of(skp);
	if (skflags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE))) {
		f->flags |= TH_FIN | TH_ACK; /* the peer's FIN arrived */
		if (recv)
			recv -= 1;
	}

	f->bytes_sent = sent > retrans ? sent - retrans : 0;
	f->bytes_recv = recv;
	f->pkts_sent = BPF_CORE_READ(tp, segs_out);
	f->pkts_recv = BPF_CORE_READ(tp, segs_in);
	/* an accepted socket's SYN-ACK left from its request sock, so the child never counted it
	 * (the child starts with segs_in = 1: the SYN) */
	if (f->direction == FLOW_DIR_INGRESS)
		f->pkts_sent += 1;
}

static __always_inline void emit_close(struct tcp_flow *f)
{
	struct rec_tcp_close *r = BEHOLDER_RESERVE(events, struct rec_tcp_close);
	if (!r)
		return;
	r->type = REC_TCP_CLOSE;
	r->pad = 0;
	__builtin_memcpy(&r->flow, f, sizeof(*f));
	bpf_ringbuf_submit(r, 0);
}

SEC("tracepoint/sock/inet_sock_set_state")
int flows_set_state(struct tp_set_state *ctx)
{
	if (ctx->protocol != PROTO_TCP)
		return 0;
	__u64 sk = (__u64)ctx->skaddr;
	int ns = ctx->newstate, os = ctx->oldstate;
	__u64 now = bpf_ktime_get_ns();

	/* (a child's SYN_RECV comes from LISTEN too: it starts as a clone of its listener) */
	if (ns == ST_LISTEN || (os == ST_LISTEN && ns == ST_CLOSE)) {
		struct listen_key lk;
		listen_key_of(&lk, ctx->skaddr, ctx->sport);
		if (ns == ST_LISTEN) {
			struct flow_owner o = {};
			fill_owner(&o);
			bpf_map_update_elem(&listeners, &lk, &o, BPF_ANY);
		} else {
			bpf_map_delete_elem(&listeners, &lk);
		}
		return 0;
	}
	struct tcp_flow *f = bpf_map_lookup_elem(&tcp_flows, &sk);

	if (!f) {
		struct tcp_flow nf = {};
		if (ns == ST_SYN_SENT) {
			/* connect(): the caller is current */
			nf.direction = FLOW_DIR_EGRESS;
			nf.flags = TH_SYN;
			fill_owner(&nf.owner);
			nf.has_owner = OWNER_EXACT;
		} else if (ns == ST_SYN_RECV) {
			/* a child of a listener; current is whoever sent the SYN's softirq, so the
			 * owner is the listener's */
			nf.direction = FLOW_DIR_INGRESS;
			nf.flags = TH_SYN | TH_ACK;
			struct listen_key lk;
			listen_key_of(&lk, ctx->skaddr, ctx->sport);
			struct flow_owner *lo = bpf_map_lookup_elem(&listeners, &lk);
			if (lo) {
				nf.owner = *lo;
				nf.has_owner = OWNER_LISTENER;
			}
		} else {
			if (ns == ST_CLOSE && os != ST_LISTEN && os != ST_CLOSE)
				count(CNT_UNTRACKED_CLOSE);
			return 0;
		}
		nf.sk = sk;
		nf.start_ns = now;
		set_addrs(&nf, ctx);
		nf.state = ns;
		nf.old_state = os;
		if (!bpf_map_update_elem(&tcp_flows, &sk, &nf, BPF_ANY))
			count(CNT_CREATED);
		return 0;
	}
	if (ctx->sport) /* the local port is assigned after SYN_SENT for connect() */
		set_addrs(f, ctx);
	f->old_state = os;
	f->state = ns;
	if (ns == ST_ESTABLISHED && !f->established_ns) {
		f->established_ns = now;
		f->flags |= TH_SYN | TH_ACK; /* SYN_SENT: the SYN-ACK came; SYN_RECV: the ACK */
	}
	/* our FIN leaves when close()/shutdown() moves ESTABLISHED to FIN_WAIT1 or CLOSE_WAIT to
	 * LAST_ACK; the peer's FIN moves ESTABLISHED to CLOSE_WAIT and FIN_WAIT1 to CLOSING */
	if (ns == ST_FIN_WAIT1 || ns == ST_LAST_ACK || ns == ST_CLOSE_WAIT || ns == ST_CLOSING)
		f->flags |= TH_FIN;
	if (ns == ST_CLOSE) {
		f->end_ns = now;
		if (!f->cookie)
			f->cookie = sk_cookie(ctx->skaddr);
		read_counters(f, ctx->skaddr);
		emit_close(f);
		bpf_map_delete_elem(&tcp_flows, &sk);
		count(CNT_CLOSED);
	}
	return 0;
}

/* Opt-in owner hooks (CollectorConfig.msg_hook, 6.3+): sock_send_length / sock_recv_length
 * fire on every send and receive of every socket, which is why they are not the default.
 * tp_btf reads the socket with plain loads, a raw tracepoint with CO-RE probe reads; neither
 * builds a trace record first, as a classic tracepoint program would.
 * TCP: the process that actually sends or receives on an accepted socket (a prefork worker
 * rather than the listener's owner). Read-only once known; bytes come from tcp_sock. */
static __always_inline void msg_tcp(__u64 sk)
{
	struct tcp_flow *f = bpf_map_lookup_elem(&tcp_flows, &sk);
	if (!f)
		return;
	if (f->has_owner != OWNER_EXACT) {
		fill_owner(&f->owner);
		f->has_owner = OWNER_EXACT;
	}
}

static __always_inline void msg_udp(__u64 cookie)
{
	if (!cookie)
		return; /* no packet went through cgroup_skb: nothing to attribute */
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct flow_owner *o = bpf_map_lookup_elem(&sk_owner, &cookie);
	if (o && o->pid == pid)
		return;
	struct flow_owner no = {};
	fill_owner(&no);
	bpf_map_update_elem(&sk_owner, &cookie, &no, BPF_ANY);
}

static __always_inline int msg_skip(int ret, int flags, int send)
{
	return ret <= 0 || (!send && (flags & MSG_PEEK_FLAG));
}

static __always_inline int on_msg_btf(struct sock *sk, int ret, int flags, int send)
{
	if (msg_skip(ret, flags, send))
		return 0;
	__u16 family = sk->__sk_common.skc_family;
	if (family != FAM_INET && family != FAM_INET6)
		return 0;
	__u16 protocol = sk->sk_protocol;
	if (protocol == PROTO_TCP)
		msg_tcp((__u64)sk);
	else if (protocol == PROTO_UDP)
		msg_udp(sk->__sk_common.skc_cookie.counter);
	return 0;
}

static __always_inline int on_msg_raw(struct sock *sk, int ret, int flags, int send)
{
	if (msg_skip(ret, flags, send))
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != FAM_INET && family != FAM_INET6)
		return 0;
	__u16 protocol = BPF_CORE_READ(sk, sk_protocol);
	if (protocol == PROTO_TCP)
		msg_tcp((__u64)sk);
	else if (protocol == PROTO_UDP)
		msg_udp(sk_cookie(sk));
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(flows_send_btf, struct sock *sk, int ret, int flags)
{
	return on_msg_btf(sk, ret, flags, 1);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(flows_recv_btf, struct sock *sk, int ret, int flags)
{
	return on_msg_btf(sk, ret, flags, 0);
}

/* TP_PROTO(struct sock *sk, int ret, int flags) */
SEC("raw_tracepoint/sock_send_length")
int flows_send(struct bpf_raw_tracepoint_args *ctx)
{
	return on_msg_raw((struct sock *)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2], 1);
}

SEC("raw_tracepoint/sock_recv_length")
int flows_recv(struct bpf_raw_tracepoint_args *ctx)
{
	return on_msg_raw((struct sock *)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2], 0);
}

/* Kernels without sock_send_length/sock_recv_length (before 6.3): the UDP owner comes from
 * the cgroup sock_addr hooks instead, which run in the calling process at connect(),
 * sendmsg() to an address and recvmsg() from one. Loaded only in that mode. */
static __always_inline int on_sock_addr(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol == PROTO_UDP)
		msg_udp(bpf_get_socket_cookie(ctx));
	return 1;
}

SEC("cgroup/connect4")
int flows_connect4(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }

SEC("cgroup/connect6")
int flows_connect6(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }

SEC("cgroup/sendmsg4")
int flows_sendmsg4(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }

SEC("cgroup/sendmsg6")
int flows_sendmsg6(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }

SEC("cgroup/recvmsg4")
int flows_recvmsg4(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }

SEC("cgroup/recvmsg6")
int flows_recvmsg6(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }

SEC("tracepoint/tcp/tcp_retransmit_skb")
int flows_retransmit(struct tp_sk_skb *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;
	struct tcp_flow *f = bpf_map_lookup_elem(&tcp_flows, &sk);
	if (f)
		__sync_fetch_and_add(&f->retrans, 1);
	return 0;
}

SEC("tracepoint/tcp/tcp_send_reset")
int flows_send_reset(struct tp_sk_skb *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;
	if (!sk)
		return 0; /* a reset for no socket (closed port): the peer's flow counts it */
	struct tcp_flow *f = bpf_map_lookup_elem(&tcp_flows, &sk);
	if (f) {
		__sync_fetch_and_add(&f->resets_sent, 1);
		f->flags |= TH_RST;
	}
	return 0;
}

SEC("tracepoint/tcp/tcp_receive_reset")
int flows_receive_reset(struct tp_sk *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;
	struct tcp_flow *f = bpf_map_lookup_elem(&tcp_flows, &sk);
	if (f) {
		__sync_fetch_and_add(&f->resets_recv, 1);
		/* in SYN_SENT a reset is accepted only if it acknowledges the SYN (RFC 9293 3.10.7.3) */
		f->flags |= f->state == ST_SYN_SENT ? TH_RST | TH_ACK : TH_RST;
	}
	return 0;
}

/* ---- packets: cgroup_skb on the cgroup v2 root ---- */

struct l3 {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 l4off;
	__u16 family;
	__u8 proto;
};

/* Read len (a constant) bytes at off: straight from the linear packet data when the headers
 * are there (nearly always), else with bpf_skb_load_bytes. */
static __always_inline int load(struct __sk_buff *skb, __u32 off, void *dst, __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	if (off <= 128 && data + off + len <= end) {
		__builtin_memcpy(dst, data + off, len);
		return 0;
	}
	return bpf_skb_load_bytes(skb, off, dst, len);
}

static __always_inline int parse_l3(struct __sk_buff *skb, struct l3 *p)
{
	if (skb->protocol == bpf_htons(ETH_IP)) {
		struct iphdr ip;
		if (load(skb, 0, &ip, sizeof(ip)))
			return -1;
		p->family = FAM_INET;
		p->proto = ip.protocol;
		p->l4off = ip.ihl * 4;
		__builtin_memcpy(p->saddr, &ip.saddr, 4);
		__builtin_memcpy(p->daddr, &ip.daddr, 4);
		return 0;
	}
	if (skb->protocol == bpf_htons(ETH_IP6)) {
		struct ipv6hdr ip6;
		if (load(skb, 0, &ip6, sizeof(ip6)))
			return -1;
		p->family = FAM_INET6;
		p->proto = ip6.nexthdr; /* extension headers are not followed */
		p->l4off = sizeof(ip6);
		__builtin_memcpy(p->saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->daddr, &ip6.daddr, 16);
		return 0;
	}
	return -1;
}

static __always_inline void capture_dns(struct __sk_buff *skb, struct l3 *p, __u64 cookie,
					__u16 sport, __u16 dport, __u32 plen, int egress)
{
	if (plen < 12) /* shorter than a DNS header */
		return;
	struct rec_dns *r = BEHOLDER_RESERVE(dns_events, struct rec_dns);
	if (!r)
		return;
	r->type = REC_DNS;
	r->egress = egress;
	r->pad0 = 0;
	r->pad1 = 0;
	r->cookie = cookie;
	r->ts_ns = bpf_ktime_get_ns();
	__builtin_memcpy(r->saddr, p->saddr, 16);
	__builtin_memcpy(r->daddr, p->daddr, 16);
	r->sport = sport;
	r->dport = dport;
	r->family = p->family;
	__u64 cap = plen < DNS_CAPTURE ? plen : DNS_CAPTURE;
	asm volatile("" : "+r"(cap)); /* the verifier must see the bound on the helper's register */
	if (cap < 12 || cap > DNS_CAPTURE ||
	    bpf_skb_load_bytes(skb, p->l4off + 8, r->data, cap)) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
	r->len = cap;
	bpf_ringbuf_submit(r, 0);
}

static __always_inline int on_udp_skb(struct __sk_buff *skb, __u64 sk, __u32 segs, int egress)
{
	struct l3 p = {};
	if (parse_l3(skb, &p) || p.proto != PROTO_UDP)
		return 1;
	__u16 ports[4]; /* sport, dport, len, check, network order */
	if (load(skb, p.l4off, ports, sizeof(ports)))
		return 1;
	__u16 sport = bpf_ntohs(ports[0]), dport = bpf_ntohs(ports[1]);
	__u32 plen = bpf_ntohs(ports[2]);
	plen = plen >= 8 ? plen - 8 : 0;

	__u64 cookie = bpf_get_socket_cookie(skb);
	struct udp_key key = { .cookie = cookie, .family = p.family };
	key.rport = egress ? dport : sport;
	__builtin_memcpy(key.raddr, egress ? p.daddr : p.saddr, 16);
	__u64 now = bpf_ktime_get_ns();
	struct udp_flow *u = bpf_map_lookup_elem(&udp_flows, &key);
	if (!u) {
		struct udp_flow nu = { .first_ns = now, .first_egress = egress };
		nu.lport = egress ? sport : dport;
		__builtin_memcpy(nu.laddr, egress ? p.saddr : p.daddr, 16);
		bpf_map_update_elem(&udp_flows, &key, &nu, BPF_NOEXIST);
		u = bpf_map_lookup_elem(&udp_flows, &key);
		if (!u)
			return 1;
	}
	u->last_ns = now;
	if (egress) {
		__sync_fetch_and_add(&u->pkts_sent, segs);
		__sync_fetch_and_add(&u->bytes_sent, plen);
	} else {
		__sync_fetch_and_add(&u->pkts_recv, segs);
		__sync_fetch_and_add(&u->bytes_recv, plen);
	}
	if (sport == 53 || dport == 53 || sport == dns_port || dport == dns_port)
		capture_dns(skb, &p, cookie, sport, dport, plen, egress);
	return 1;
}

static __always_inline int on_skb(struct __sk_buff *skb, int egress)
{
	struct bpf_sock *bsk = skb->sk;
	if (!bsk)
		return 1;
	__u64 sk = (__u64)bsk;
	/* request and time-wait sockets have no entry of their own */
	struct bpf_sock *full = bpf_sk_fullsock(bsk);
	if (!full)
		return 1;
	if (full->protocol == PROTO_UDP) {
		__u32 segs = skb->gso_segs;
		return on_udp_skb(skb, sk, segs ? segs : 1, egress);
	}
	return 1;
}

SEC("cgroup_skb/egress")
int flows_egress(struct __sk_buff *skb)
{
	return on_skb(skb, 1);
}

SEC("cgroup_skb/ingress")
int flows_ingress(struct __sk_buff *skb)
{
	return on_skb(skb, 0);
}

/* ---- open connections: counters refreshed before each harvest ---- */

static long refresh_one(void *map, __u64 *sk, struct tcp_flow *f, void *ctx)
{
	/* An entry lives from SYN to TCP_CLOSE, and a TCP socket cannot be destroyed before
	 * TCP_CLOSE (inet_csk_destroy_sock warns otherwise), so the socket is alive; a close
	 * racing with this read is safe (probe reads, and tcp_sock memory is RCU-typesafe),
	 * and its close record was read at the close itself. */
	read_counters(f, (const void *)*sk);
	return 0;
}

/* Not attached: user space runs it with BPF_PROG_TEST_RUN before reading tcp_flows. */
SEC("raw_tp")
int flows_refresh(void *ctx)
{
	bpf_for_each_map_elem(&tcp_flows, refresh_one, NULL, 0);
	return 0;
}
