/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A process took an established socket from accept(): the ACCEPTED fact,
 * from the entry the handshake filled, or else from the socket itself.
 */
#ifndef TT_ACCEPT_BPF_H
#define TT_ACCEPT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tcptrack.h"
#include "config.bpf.h"
#include "event.bpf.h"
#include "net.h"
#include "sock.bpf.h"
#include "state.h"

/* @sk came out of accept() (NULL: the hook found none), as @hook saw it. */
static __always_inline void on_accepted(const struct sock *sk, __u8 hook)
{
	struct tt_sock *ts = NULL, nts = {};
	struct tt_event *e;
	__u64 key;

	if (!sk)
		return;
	key = sock_key(sk);
	ts = sock_get(key);
	if (ts && (ts->flags & TT_F_TUPLE)) {
		/* the handshake left the addresses in the table: no reads of the socket */
		set_owner(ts);
		ts->flags |= TT_F_ACCEPTED;
		if (count_only) {
			struct tt_event t;

			tuple_from_sock(&t, ts);
			if (wanted(&t))
				count_open(ts, TT_CNT_ACCEPTED);
			return;
		}
		e = ev_start(NULL, SK_PROBE, ts);
		if (!e)
			return;
		/* nothing is sent or acknowledged yet; the RTT is the handshake's */
		e->err = BPF_CORE_READ(sk, sk_err);
		e->srtt_us = 0;
		e->total_retrans = 0;
		e->bytes_acked = 0;
		e->bytes_received = 0;
		ev_finish(e, TT_FACT_ACCEPTED, 0, ts, hook, 0, bpf_ktime_get_ns());
		return;
	}
	/* Established before we started (or given up by the table): read the socket. */
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return;
	if (!ts) {
		nts.flags = TT_F_PASSIVE;
		ts = sock_put(key, &nts);
		if (!ts) {
			set_owner(&nts);
			nts.flags |= TT_F_ACCEPTED;
			emit_sock((const struct tcp_sock *)sk, SK_PROBE, TT_FACT_ACCEPTED, 0, &nts,
				  hook, 0, 0);
			return;
		}
	}
	set_owner(ts);
	ts->flags |= TT_F_ACCEPTED;
	emit_sock((const struct tcp_sock *)sk, SK_PROBE, TT_FACT_ACCEPTED, 0, ts, hook, 0, 0);
}

#endif /* TT_ACCEPT_BPF_H */
