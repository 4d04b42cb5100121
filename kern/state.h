/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs keep between events and user space never reads: the
 * socket view's entries and recent CONNECTs, the wire view's flows.  What
 * crosses to user space is in include/tcptrack.h.
 */
#ifndef TT_STATE_H
#define TT_STATE_H

#include "vmlinux.h"
#include "tcptrack.h"

#define TT_MAX_SOCKS		65536	/* tracked sockets (socket view) */
/* with --iface: recent CONNECTs, whose responder may skip its PASSIVE_EST this long */
#define TT_OPENED_SLOTS		4096
#define TT_OPENED_NS		(1000ull * 1000 * 1000)

/* Per-socket state kept between transitions, keyed by struct sock address. */
struct tt_sock {
	__u64 start_ns;
	__u64 est_ns;
	__u32 pid;
	__u32 hs_srtt_us;	/* srtt when the handshake completed */
	__u8 flags;		/* TT_F_* */
	__u8 pad;
	/* a passive socket's addresses, so an accept hook needs not read them */
	__u16 family;
	__u16 sport;		/* host order */
	__u16 dport;
	char comm[TT_COMM_LEN];
	__u32 netns;
	__u8 saddr[16];
	__u8 daddr[16];
	__u8 pad2[4];
};

/*
 * The tuple of a CONNECT that went out with the wire view on, from the
 * initiator's side (kern/opened.bpf.h).
 */
struct tt_opened {
	__u64 est_ns;		/* the CONNECT; 0: taken */
	__u32 iaddr[4];		/* initiator, responder: IPv4 in the first word */
	__u32 raddr[4];
	__u16 iport;
	__u16 rport;
	__u16 family;
	__u16 pad;
};

/* A wire-view flow, the value of its struct tt_flow_key. */
struct tt_flow {
	__u64 syn_ns;
	__u64 synack_ns;
	__u64 ack_ns;
	__u32 syn_seq;		/* initiator's ISN */
	__u32 synack_seq;	/* responder's ISN */
	__u8 init_is_lo;	/* the initiator is the _lo endpoint of the key */
	__u8 syns;
	__u8 synacks;
	__u8 syn_dir;
	__u8 state;		/* TT_WS_* */
	__u8 fins;		/* TT_BY_* bits of the FINs seen */
	__u8 first_fin;		/* TT_BY_* of the side that closed first */
	__u8 pad;
};

enum tt_wire_state { TT_WS_SYN = 1, TT_WS_SYNACK, TT_WS_EST };

_Static_assert(sizeof(struct tt_sock) == 88, "tt_sock layout changed");
_Static_assert(sizeof(struct tt_opened) == 48, "tt_opened layout changed");
_Static_assert(sizeof(struct tt_flow) == 40, "tt_flow layout changed");

#endif /* TT_STATE_H */
