/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sock:inet_sock_set_state: what each TCP state change the socket view
 * reports does to the socket's entry and which fact it sends.
 */
#ifndef TT_SET_STATE_BPF_H
#define TT_SET_STATE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tcptrack.h"
#include "common.bpf.h"
#include "compat.bpf.h"
#include "config.bpf.h"
#include "event.bpf.h"
#include "opened.bpf.h"
#include "sock.bpf.h"
#include "state.h"

/*
 * An orderly-looking CLOSE may be an abort whose RST leaves just after it, so
 * user space holds it for a moment.  Two cases say more:
 * - in FIN_WAIT1/2 with the peer's FIN in (tcp_fin() sets SOCK_DONE, then
 *   tcp_time_wait() ends the socket), a timewait sock has taken over, and an
 *   abort could only have come before the peer's FIN: nothing follows;
 * - an orphan (SOCK_DEAD: close() has returned) that ends with an RST sends
 *   it in the same call that closed it (data after close() in
 *   tcp_rcv_state_process(), TCP_LINGER2 < 0 in __tcp_close()); timer aborts
 *   send it before.  Its commonest CLOSE, FIN_WAIT2 handed to a timewait
 *   sock when the peer ACKs our FIN, sends nothing.  A short hold will do.
 */
static __always_inline __u8 close_how(const struct tcp_sock *tp, int oldstate)
{
	unsigned long done = 1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE);
	unsigned long dead = 1UL << bpf_core_enum_value(enum sock_flags, SOCK_DEAD);
	unsigned long flags = tp->SKC(skc_flags);

	if ((oldstate == TCP_FIN_WAIT1 || oldstate == TCP_FIN_WAIT2) && (flags & done))
		return TT_CLOSE_TIME_WAIT;
	if (flags & dead)
		return TT_CLOSE_ORPHAN;
	return TT_CLOSE_MAYBE_ABORT;
}

/*
 * A passive socket reached ESTABLISHED: the addresses, times and RTT the
 * accept hook takes from its entry.  With --accept-hook listener, its owner
 * is the listener's, and in summary only it is counted here.
 */
static __always_inline void passive_est(struct tt_sock *ts, const struct tcp_sock *tp, __u64 now)
{
	SK_TUPLE(ts, tp, SK_LOAD);
	ts->est_ns = now;
	ts->flags |= TT_F_ESTABLISHED | TT_F_TUPLE;
	ts->hs_srtt_us = tp->srtt_us >> 3;
	if (accept_by_listener) {
		struct listener_key lk = listener_key_of(tp);
		struct tt_sock *l = bpf_map_lookup_elem(&listeners, &lk);

		if (l) {
			ts->pid = l->pid;
			__builtin_memcpy(ts->comm, l->comm, sizeof(ts->comm));
			ts->flags |= TT_F_OWNER_KNOWN;
		}
		ts->flags |= TT_F_ACCEPTED;
		if (count_only && tcp_wanted(tp))
			count_open(ts, TT_CNT_ACCEPTED);
	}
}

/*
 * The insert of passive_est()'s entry failed: an accept() on another CPU
 * made the entry since the lookup (complete it; only the syscall, kretprobe
 * and fexit hooks make entries, so nothing counted in @nts counts twice), or
 * the map is full (the fact still goes out, from @nts).
 */
static __always_inline struct tt_sock *passive_est_raced(__u64 key, struct tt_sock *nts,
							 const struct tcp_sock *tp, __u64 now)
{
	struct tt_sock *ts = sock_get(key);

	if (!ts) {
		count(TT_CNT_SOCK_FULL);
		return nts;
	}
	passive_est(ts, tp, now);
	return ts;
}

/* CLOSE -> LISTEN, with --accept-hook listener: listen() runs in the owner's context. */
static __always_inline void on_listen(const struct tcp_sock *tp)
{
	struct listener_key lk = listener_key_of(tp);
	struct tt_sock nts = {};

	set_owner(&nts);
	bpf_map_update_elem(&listeners, &lk, &nts, BPF_ANY);
}

/* CLOSE -> SYN_SENT: connect() runs this in the caller's context, the owner's. */
static __always_inline void on_syn_sent(__u64 key)
{
	struct tt_sock nts = {};

	nts.start_ns = bpf_ktime_get_ns();
	nts.flags = TT_F_STARTED;
	set_owner(&nts);
	sock_track(key, &nts);
}

/* SYN_SENT -> ESTABLISHED: a CONNECT, or in summary only a count. */
static __always_inline void on_active_est(const struct tcp_sock *tp, __u64 key)
{
	struct tt_sock *ts = sock_get(key);
	__u64 now = bpf_ktime_get_ns();

	if (ts) {
		ts->est_ns = now;
		ts->flags |= TT_F_ESTABLISHED;
		if (count_only) {
			if (tcp_wanted(tp))
				count_open(ts, TT_CNT_CONNECTED);
			return;
		}
	}
	if (emit_sock(tp, SK_LOAD, TT_FACT_ACTIVE_EST, TCP_SYN_SENT, ts, TT_ACCEPT_NONE, 0, now) &&
	    wire_join)
		opened_note(tp, now);
}

/*
 * SYN_RECV -> ESTABLISHED.  A passive socket is tracked from here, not from
 * SYN_RECV: the child is cloned in the softirq of the final ACK, a moment
 * before this, and what the accept needs is known only now.  One insert, of
 * a complete entry.  An accept() can dequeue the child before this change (a
 * Fast Open child, or a softirq held up between queueing the child and
 * processing the ACK) and then makes the entry itself: it is completed in
 * place.
 */
static __always_inline void on_passive_est(const struct tcp_sock *tp, __u64 key)
{
	struct tt_sock *ts = sock_get(key), nts = {};
	__u64 now = bpf_ktime_get_ns();

	if (ts) {
		passive_est(ts, tp, now);
	} else {
		nts.flags = TT_F_PASSIVE;
		passive_est(&nts, tp, now);
		ts = &nts;
		if (bpf_map_update_elem(&socks, &key, &nts, BPF_NOEXIST))
			ts = passive_est_raced(key, &nts, tp, now);
	}
	if (accept_by_listener) {
		if (!count_only)
			emit_sock(tp, SK_LOAD, TT_FACT_ACCEPTED, TCP_SYN_RECV, ts,
				  TT_ACCEPT_LISTENER, 0, now);
	} else if (wire_join && !opened_take(tp, now)) {
		emit_sock(tp, SK_LOAD, TT_FACT_PASSIVE_EST, TCP_SYN_RECV, ts, TT_ACCEPT_NONE, 0,
			  now);
	}
}

/*
 * ESTABLISHED -> FIN_WAIT1 or CLOSE_WAIT -> LAST_ACK: close() or shutdown()
 * runs this in the owner's context, so sockets not seen open get an owner.
 */
static __always_inline void on_closing(__u64 key)
{
	struct tt_sock *ts = sock_get(key), nts = {};

	if (ts) {
		if (!(ts->flags & TT_F_OWNER_KNOWN))
			set_owner(ts);
	} else {
		set_owner(&nts);
		sock_track(key, &nts);
	}
}

/* Any state -> CLOSE: a CLOSED fact, or in summary only a count. */
static __always_inline void on_close(const struct tcp_sock *tp, __u64 key, int oldstate)
{
	struct tt_sock *ts;

	if (child_never_connected(oldstate)) {
		sock_drop(key);
		return;
	}
	if (oldstate == TCP_LISTEN || oldstate == TCP_CLOSE)
		return;
	ts = sock_get(key);
	/* the end of a counted connection; with an error it goes out too */
	if (ts && (ts->flags & TT_F_COUNTED)) {
		count(TT_CNT_CLOSED);
		if (!tp->inet_conn.icsk_inet.sk.sk_err) {
			sock_drop(key);
			return;
		}
	}
	emit_sock(tp, SK_LOAD, TT_FACT_CLOSED, oldstate, ts, TT_ACCEPT_NONE,
		  close_how(tp, oldstate), bpf_ktime_get_ns());
	if (ts)
		sock_drop(key);
}

/* sock:inet_sock_set_state, for both programs attached to it */
static __always_inline int set_state(const struct sock *sk, const int oldstate,
				     const int newstate)
{
	const struct tcp_sock *tp;
	__u64 key;

	/*
	 * Half of a connection's state changes carry nothing we report
	 * (FIN_WAIT2, CLOSE_WAIT, CLOSING, TIME_WAIT): leave before any work.
	 */
	switch (newstate) {
	case TCP_LISTEN:
		if (!accept_by_listener)
			return 0;
		break;
	case TCP_SYN_SENT:
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_LAST_ACK:
	case TCP_CLOSE:
		break;
	default:
		return 0;
	}
	/* NULL unless a full TCP socket (the tracepoint also fires for SCTP, MPTCP) */
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp)
		return 0;
	key = sock_key(sk);

	switch (newstate) {
	case TCP_LISTEN:
		on_listen(tp);
		break;
	case TCP_SYN_SENT:
		on_syn_sent(key);
		break;
	case TCP_ESTABLISHED:
		if (oldstate == TCP_SYN_SENT)
			on_active_est(tp, key);
		else if (oldstate == TCP_SYN_RECV)
			on_passive_est(tp, key);
		break;
	case TCP_FIN_WAIT1:
	case TCP_LAST_ACK:
		on_closing(key);
		break;
	case TCP_CLOSE:
		on_close(tp, key, oldstate);
		break;
	}
	return 0;
}

/*
 * A tracing program does not run inside itself: when an interrupt lands
 * while tt_set_state runs (in connect() or close()) and the softirq on its
 * way out changes another socket's state, the kernel skips that run and
 * only counts it (recursion_misses): under a connection storm, CLOSE facts
 * are lost so.  Hence a twin, attached after it to the same tracepoint,
 * runs for every change too: the first notes each change it ran for, and
 * the twin handles a change that was not noted.  Nesting cannot skip both:
 * the interrupt lands inside one of the two, and the other runs for the
 * nested change.
 *
 * The notes are per CPU (both programs run on the CPU of the change), in a
 * ring that only the first program writes, never nested in itself.  The
 * twin looks back from the newest note and takes the first one that
 * matches.  Its own change's note is the newest unless changes nested in
 * between (in a softirq between or inside the two programs) added theirs:
 * one softirq handles up to 300 packets, so the ring keeps 1,024 notes,
 * and the twin looks through all of them only when it has a skipped change
 * to handle.
 */
#define TT_NOTED 1024

struct tt_note {
	__u64 sk;	/* the socket's address, as the socks map keys it */
	__u32 state;	/* the new state */
	__u32 pad;
};

struct tt_noted {
	struct tt_note change[TT_NOTED];
	__u32 next;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_noted);
} noted SEC(".maps");


/* tt_set_state ran for this change. */
static __always_inline void note_change(const struct sock *sk, int newstate)
{
	__u32 zero = 0;
	struct tt_noted *n = bpf_map_lookup_elem(&noted, &zero);

	if (n) {
		__u32 i = n->next++ & (TT_NOTED - 1);

		n->change[i].sk = sock_key(sk);
		n->change[i].state = newstate;
	}
}

/* For the twin: did tt_set_state skip this change?  A note found is taken. */
static __always_inline bool change_skipped(const struct sock *sk, int newstate)
{
	__u64 key = sock_key(sk);
	__u32 zero = 0, last, i;
	struct tt_noted *n = bpf_map_lookup_elem(&noted, &zero);

	if (!n)
		return false;
	last = n->next - 1;
	for (i = 0; i < TT_NOTED; i++) {
		struct tt_note *c = &n->change[(last - i) & (TT_NOTED - 1)];

		if (c->sk == key && c->state == newstate) {
			c->sk = 0;	/* taken: a later change cannot match it */
			return false;
		}
	}
	return true;
}

#endif /* TT_SET_STATE_BPF_H */
