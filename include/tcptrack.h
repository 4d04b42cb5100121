/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that crosses the kernel/user line: the fact records the BPF
 * programs emit, the flow key user space walks, the counters and the limits
 * both sides use.  What only the kernel keeps is in kern/state.h.  Compiled
 * by clang -target bpf (kern/) and by gcc (user/), so only fixed-width types
 * and explicit padding.
 */
#ifndef TCPTRACK_H
#define TCPTRACK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TT_COMM_LEN		16
#define TT_MAX_PORTS		16	/* -P list, filtered in the kernel */
#define TT_RINGBUF_BYTES	(8u << 20)
/*
 * Wake the reader once a quarter of the ring is queued (user space lowers
 * the mark for a smaller --ringbuf), and it looks at least every TT_POLL_MS
 * anyway.  Under load the reader then works in batches of up to a poll
 * tick's worth: its tables and hold queue are cold after the traced
 * workload ran on its CPU, and a bigger batch pays for that once per more
 * records.
 */
#define TT_WAKEUP_BYTES		(TT_RINGBUF_BYTES / 4)
#define TT_POLL_MS		50
/* wire view: flows with a handshake in progress or open */
#define TT_MAX_FLOWS		65536
/* wire view: pure ACKs are looked at this long after a SYN-ACK */
#define TT_HANDSHAKE_WINDOW_NS	(3ull * 1000000000)
/* wire view: slots counting handshakes that wait for their final ACK */
#define TT_PENDING_SLOTS	2048

/*
 * Handshakes waiting for their final ACK are counted by what that ACK will
 * carry (kern/wire.bpf.c): its acknowledgement number (the SYN-ACK's sequence
 * number + 1, host order) and the two ports, in either order.
 */
static inline __u32 tt_pending_slot(__u32 ack, __u16 port_a, __u16 port_b)
{
	__u32 ports = port_a ^ port_b;

	/* multiplicative hashing: the top bits depend on every input bit */
	return ((ack ^ (ports << 16 | ports)) * 0x9e3779b1u) >> 21;
}
_Static_assert(TT_PENDING_SLOTS == 1u << (32 - 21), "tt_pending_slot() gives 11 bits");

/*
 * Facts: what the kernel saw, not what it means.  user/classify.c turns them
 * into the CONNECT/ACCEPT/... vocabulary.
 */
enum tt_fact {
	TT_FACT_ACTIVE_EST = 1,	/* SYN_SENT -> ESTABLISHED */
	TT_FACT_ACCEPTED,	/* a process took an established socket from accept() */
	TT_FACT_CLOSED,		/* any state -> CLOSE */
	TT_FACT_RST_SENT,	/* this host sent an RST on a full socket */
	TT_FACT_CONNECT_ERR,	/* connect() failed before any SYN left (no route) */
	TT_FACT_SYN_RETRY,	/* a connecting socket retransmitted its SYN (owner known) */
	TT_FACT_PASSIVE_EST,	/* SYN_RECV -> ESTABLISHED (only with the wire view) */
};

/* Wire facts: what the TC/XDP programs saw on an interface. */
enum tt_wire_fact {
	TT_WFACT_HANDSHAKE = 1,	/* SYN, SYN-ACK and the final ACK seen */
	TT_WFACT_SYN_RETRY,	/* the initiator sent its SYN again */
	TT_WFACT_REFUSED,	/* RST answering a SYN */
	TT_WFACT_RESET,		/* RST after the SYN-ACK */
	TT_WFACT_CLOSE,		/* both FINs seen */
};

enum tt_dir { TT_DIR_INGRESS = 0, TT_DIR_EGRESS = 1 };

/* tt_wire_event.by */
#define TT_BY_INITIATOR	1
#define TT_BY_RESPONDER	2

/* Which socket-view hook reported an accept; shown with -v and in JSON. */
enum tt_accept_hook {
	TT_ACCEPT_NONE = 0,
	TT_ACCEPT_SYSCALL,	/* syscalls:sys_exit_accept{,4} */
	TT_ACCEPT_KRETPROBE,	/* kretprobe:inet_csk_accept */
	TT_ACCEPT_FEXIT,	/* fexit:inet_csk_accept */
	TT_ACCEPT_LISTENER,	/* handshake completion, owner of the listener */
};

/* tt_event.flags */
#define TT_F_OWNER_KNOWN	(1u << 0)	/* pid/comm are the socket's owner */
#define TT_F_STARTED		(1u << 1)	/* start_ns valid: tracked from SYN_SENT/SYN_RECV */
#define TT_F_ESTABLISHED	(1u << 2)	/* est_ns valid */
#define TT_F_PASSIVE		(1u << 3)	/* the peer opened the connection */
#define TT_F_ACCEPTED		(1u << 4)	/* a process accepted it */
/* only the kernel acts on these; a fact copies its entry's flags, so they may be set there */
#define TT_F_TUPLE		(1u << 5)	/* tt_sock's addresses are valid */
#define TT_F_COUNTED		(1u << 6)	/* counted, not reported, as open */

/* CLOSED: whether this host may send an RST just after (docs/classification.md) */
enum tt_close_how {
	TT_CLOSE_MAYBE_ABORT = 0,	/* an abort's RST may follow: user space holds the row */
	TT_CLOSE_TIME_WAIT,		/* the peer's FIN was in: a timewait sock took over */
	TT_CLOSE_ORPHAN,		/* no owner left: an RST would leave in the same call */
};

struct tt_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) of the fact */
	__u64 start_ns;		/* entered SYN_SENT (active) or SYN_RECV (passive) */
	__u64 est_ns;		/* reached ESTABLISHED */
	__u64 bytes_acked;	/* sent and acknowledged, at the fact */
	__u64 bytes_received;
	__u32 srtt_us;		/* kernel's smoothed RTT (<<3 removed) */
	__u32 total_retrans;	/* retransmissions; in SYN_SENT these are SYNs */
	__u32 pid;		/* tgid */
	__u32 netns;		/* network namespace inode */
	__u32 err;		/* sk->sk_err, or -ret of connect() for CONNECT_ERR */
	__u16 family;		/* AF_INET / AF_INET6 */
	__u16 sport;		/* local port, host order */
	__u16 dport;		/* remote port, host order */
	__u8 fact;		/* enum tt_fact */
	__u8 oldstate;		/* TCP_* before the transition (CLOSED) */
	__u8 flags;		/* TT_F_* */
	__u8 hook;		/* enum tt_accept_hook (ACCEPTED) */
	__u8 close_how;		/* enum tt_close_how (CLOSED) */
	__u8 pad;
	__u8 saddr[16];		/* local; IPv4 in the first 4 bytes */
	__u8 daddr[16];		/* remote */
	char comm[TT_COMM_LEN];
};

/*
 * A wire fact.  Addresses are the initiator's (the SYN's sender) and the
 * responder's; which of them is local is for user space to decide.
 */
struct tt_wire_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC of the packet that made the fact */
	__u64 syn_ns;		/* first SYN */
	__u64 synack_ns;	/* first SYN-ACK */
	__u64 ack_ns;		/* final ACK of the handshake */
	__u32 ifindex;
	__u16 family;
	__u16 iport;		/* initiator port, host order */
	__u16 rport;		/* responder port */
	__u8 fact;		/* enum tt_wire_fact */
	__u8 syns;		/* SYNs seen from the initiator */
	__u8 synacks;		/* SYN-ACKs seen from the responder */
	__u8 syn_dir;		/* enum tt_dir of the first SYN on this interface */
	__u8 by;		/* TT_BY_* for RESET and CLOSE (who sent the RST / first FIN) */
	__u8 pkt_dir;		/* enum tt_dir of the packet that made the fact */
	__u8 iaddr[16];
	__u8 raddr[16];
};

/*
 * Wire-view flow key: the endpoints in canonical (sorted) order, per
 * interface.  User space walks the keys of the flows map (live flows).
 */
struct tt_flow_key {
	__u32 ifindex;
	__u16 family;
	__u16 port_lo;
	__u16 port_hi;
	__u16 pad;
	__u8 addr_lo[16];
	__u8 addr_hi[16];
};

/* Indexes of the per-CPU counters map: nothing is dropped without a count. */
enum tt_counter {
	TT_CNT_RB_FULL = 0,	/* ring buffer full: a fact was lost */
	TT_CNT_SOCK_FULL,	/* socket map full: a socket went untracked */
	TT_CNT_WIRE_TRUNCATED,	/* SYN/RST/FIN packets whose headers could not be read */
	TT_CNT_FLOW_NEW,	/* wire flows started (a SYN) */
	TT_CNT_FLOW_END,	/* wire flows ended at a milestone */
	/* count_only (summary without user-space filters): not on the ring buffer */
	TT_CNT_CONNECTED,	/* CONNECTs */
	TT_CNT_ACCEPTED,	/* ACCEPTs */
	TT_CNT_CLOSED,		/* those connections, closed again */
	/* state changes tt_set_state skipped (nested) and its twin handled */
	TT_CNT_STATE_RESCUED,
	TT_CNT_MAX,
};

#ifndef __cplusplus
_Static_assert(sizeof(struct tt_event) == 120, "tt_event layout changed");
_Static_assert(sizeof(struct tt_wire_event) == 80, "tt_wire_event layout changed");
/* the ring buffer reader tells the two kinds of records apart by size */
_Static_assert(sizeof(struct tt_wire_event) != sizeof(struct tt_event), "record sizes collide");
_Static_assert(sizeof(struct tt_flow_key) == 44, "tt_flow_key layout changed");
#endif

#endif /* TCPTRACK_H */
