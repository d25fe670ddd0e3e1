/* Records shared by flows.bpf.c and beholder/flows/kernel_records.py.
 *
 * Every struct is laid out by hand (largest fields first, explicit padding) so that the
 * Python decoder can read it with one struct.Struct format. Keep the two in sync: the
 * kernel test compares sizeof() from the object's BTF with the decoder's sizes. */
#ifndef BEHOLDER_FLOWS_H
#define BEHOLDER_FLOWS_H

#define FLOW_DIR_EGRESS 1  /* the local socket called connect() / sent first */
#define FLOW_DIR_INGRESS 2 /* the local socket was accepted from a listener */

#define OWNER_EXACT 1    /* the owner called connect() (or sent/received: msg hooks) */
#define OWNER_LISTENER 2 /* the owner called listen() on the accepting socket */

#define REC_TCP_CLOSE 1
#define REC_DNS 2

#define DNS_CAPTURE 512

/* The process a socket belongs to, as the kernel saw it in a syscall of that process.
 * sk_owner is keyed by socket cookie. */
struct flow_owner {
	__u64 cgroup_id;
	__u64 ts_ns;
	__u32 pid; /* tgid */
	__u32 tid;
	__u32 uid;
	__u32 netns;
	char comm[16];
}; /* 48 bytes */

/* One TCP connection, keyed by its struct sock address in tcp_flows. */
struct tcp_flow {
	__u64 sk;
	__u64 cookie;         /* socket cookie, once a cgroup program has asked for it */
	__u64 start_ns;       /* bpf_ktime_get_ns at SYN_SENT / SYN_RECV */
	__u64 established_ns; /* 0 = never established */
	__u64 end_ns;
	__u64 bytes_sent;
	__u64 bytes_recv;
	__u64 pkts_sent;
	__u64 pkts_recv;
	struct flow_owner owner;
	__u8 saddr[16]; /* local */
	__u8 daddr[16]; /* remote */
	__u32 retrans;
	__u32 flags; /* OR of the TCP header flags seen in both directions (bit 8 = NS) */
	__u32 resets_sent;
	__u32 resets_recv;
	__u16 sport; /* local, host order */
	__u16 dport; /* remote, host order */
	__u16 family;
	__u8 direction;
	__u8 state;     /* last TCP state */
	__u8 old_state; /* state before the last transition */
	__u8 has_owner; /* 0, OWNER_EXACT or OWNER_LISTENER */
	__u8 pad[6];
}; /* 184 bytes */

/* UDP traffic of one socket with one peer, keyed by (socket cookie, peer): a cookie is
 * never reused, a struct sock address is, and UDP has no close event to clean up with. */
struct udp_key {
	__u64 cookie;
	__u8 raddr[16];
	__u16 rport;
	__u16 family;
	__u32 pad;
}; /* 32 bytes */

struct udp_flow {
	__u64 first_ns;
	__u64 last_ns;
	__u64 bytes_sent;
	__u64 bytes_recv;
	__u64 pkts_sent;
	__u64 pkts_recv;
	__u8 laddr[16];
	__u16 lport;
	__u8 first_egress; /* 1: the local socket sent the first datagram */
	__u8 pad[5];
}; /* 72 bytes */

struct rec_tcp_close {
	__u32 type;
	__u32 pad;
	struct tcp_flow flow;
};

struct rec_dns {
	__u32 type;
	__u16 len; /* bytes captured in data */
	__u8 egress;
	__u8 pad0;
	__u64 cookie;
	__u64 ts_ns;
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 pad1;
	__u8 data[DNS_CAPTURE];
};

#endif
