/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recent CONNECTs, so that with the wire view on a local responder's
 * PASSIVE_EST can be left out.
 */
#ifndef TT_OPENED_BPF_H
#define TT_OPENED_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tcptrack.h"
#include "common.bpf.h"
#include "event.bpf.h"
#include "state.h"

/*
 * The wire view's handshakes need a claim from the socket view before the
 * joiner's window ends, or they go out as wire-only CONNECT rows: the
 * CONNECT of a local initiator, or else the responder's PASSIVE_EST (its
 * accept() may come much later).  When both ends are on this host the
 * CONNECT has claimed the handshake already, and the PASSIVE_EST would be
 * one of the connection's seven records, for nothing.  So the CONNECT leaves
 * its tuple in a slot, and the responder, one round trip later, skips its
 * PASSIVE_EST if the slot still holds it.
 *
 * A slot is a hint: another connection may overwrite it, or two CPUs tear
 * it; a mismatch only costs the PASSIVE_EST it would have saved.  A match is
 * taken once, and only within TT_OPENED_NS, so a tuple that a remote
 * initiator reuses later is not taken for a local one.  The slots are
 * static: user space never reads them, and the skeleton leaves them out.
 */
static struct tt_opened opened_slots[TT_OPENED_SLOTS] = {};

/* the tuple from the initiator's side; @local_is_init: @tp is the initiator */
static __always_inline __u32 opened_key(struct tt_opened *o, const struct tcp_sock *tp,
					bool local_is_init)
{
	__u32 h;

	if (local_is_init)
		sk_tuple(tp, SK_LOAD, &o->family, &o->iport, &o->rport, NULL, o->iaddr, o->raddr);
	else
		sk_tuple(tp, SK_LOAD, &o->family, &o->rport, &o->iport, NULL, o->raddr, o->iaddr);
	h = ((__u32)o->iport << 16 | o->rport) ^ o->family;
	for (int i = 0; i < 4; i++)
		h ^= o->iaddr[i] ^ (o->raddr[i] * 0x85ebca6bu);
	return (h * 0x9e3779b1u) >> 20;	/* 12 bits */
}

static __always_inline bool opened_eq(const struct tt_opened *a, const struct tt_opened *b)
{
	__u32 d = (a->iport ^ b->iport) | (a->rport ^ b->rport) | (a->family ^ b->family);

	for (int i = 0; i < 4; i++)
		d |= (a->iaddr[i] ^ b->iaddr[i]) | (a->raddr[i] ^ b->raddr[i]);
	return !d;
}

/* A CONNECT went out: its responder may be local too. */
static __always_inline void opened_note(const struct tcp_sock *tp, __u64 now)
{
	struct tt_opened o = {};
	__u32 i = opened_key(&o, tp, true) & (TT_OPENED_SLOTS - 1);

	o.est_ns = now;
	opened_slots[i] = o;
}

/* The responder's handshake: did a local CONNECT claim it? */
static __always_inline bool opened_take(const struct tcp_sock *tp, __u64 now)
{
	struct tt_opened o = {};
	__u32 i = opened_key(&o, tp, false) & (TT_OPENED_SLOTS - 1);
	struct tt_opened *s = &opened_slots[i];
	__u64 est = READ_ONCE(s->est_ns);

	if (!est || now - est > TT_OPENED_NS || !opened_eq(s, &o))
		return false;
	s->est_ns = 0;
	return true;
}

#endif /* TT_OPENED_BPF_H */
