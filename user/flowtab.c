// SPDX-License-Identifier: GPL-2.0
/*
 * The join's flows (join.c): one per connection either view reported, keyed
 * by both endpoints in sorted order, and forgotten as soon as nothing more
 * can come for it, or, idle, once its keep time has passed.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include "classify_priv.h"

/* Idle flows are looked for at most this often: the sweep walks the whole flow table. */
#define SWEEP_EVERY_NS	(1 * NS_PER_SEC)
/*
 * How long an idle flow is kept, by what may still come for it.  After a wire
 * TIMEOUT, the kernel's own verdict, up to 127 s later with tcp_syn_retries=6,
 * must be recognised as the same failure.
 */
#define KEEP_AFTER_WIRE_TIMEOUT_NS	(130 * NS_PER_SEC)
/* Seen open and not yet ended: its ACCEPT may come long after the handshake. */
#define KEEP_OPEN_NS			(30 * NS_PER_SEC)
/* A local socket's CLOSE still to take the wire's end (LAST_ACK retransmits for seconds). */
#define KEEP_END_FOR_CLOSE_NS		(30 * NS_PER_SEC)
/* Anything else is done: a margin over TT_JOIN_NS for facts still on their way. */
#define KEEP_DONE_NS			(2 * NS_PER_SEC)

/*
 * The table holds pointers to flows: growing it under a connection storm
 * copies, and faults in, a pointer per flow rather than a whole flow.
 */
void flowtab_init(struct tt_classifier *c)
{
	c->join.flows.vsize = sizeof(struct tt_join_flow *);
}

void flowtab_free(struct tt_classifier *c)
{
	for (size_t i = 0; i < c->join.flows.cap; i++) {
		const struct tt_key *k;
		struct tt_join_flow **f = tt_conntab_slot(&c->join.flows, i, &k);

		if (f)
			free(*f);
	}
	while (c->join.nspare)
		free(c->join.spare[--c->join.nspare]);
	tt_conntab_free(&c->join.flows);
}

/* memcmp() order of two addresses, as two big-endian words: inline, on every fact's way. */
static int addr_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (int i = 0; i < 2; i++) {
		uint64_t p = be64toh(x[i]), q = be64toh(y[i]);

		if (p != q)
			return p < q ? -1 : 1;
	}
	return 0;
}

/*
 * A connection's identity for the join, @j: both endpoints in sorted order, no
 * netns.  Returns which end of @j is @k's local end.
 */
enum tt_flow_end flowtab_key(const struct tt_key *k, struct tt_key *j)
{
	int cmp = addr_cmp(k->saddr, k->daddr);
	bool swap = cmp > 0 || (!cmp && k->sport > k->dport);

	memset(j, 0, sizeof(*j));
	j->family = k->family;
	memcpy(j->saddr, swap ? k->daddr : k->saddr, 16);
	memcpy(j->daddr, swap ? k->saddr : k->daddr, 16);
	j->sport = swap ? k->dport : k->sport;
	j->dport = swap ? k->sport : k->dport;
	return swap ? END_HI : END_LO;
}

/*
 * Flows come and go at the connection rate: a freed flow is kept for the next
 * one, still in cache, instead of going back to malloc.
 */
static struct tt_join_flow *flow_alloc(struct tt_classifier *c)
{
	struct tt_join_flow *f;

	if (!c->join.nspare)
		return calloc(1, sizeof(*f));
	f = c->join.spare[--c->join.nspare];
	memset(f, 0, sizeof(*f));
	return f;
}

static void flow_free(struct tt_classifier *c, struct tt_join_flow *f)
{
	if (c->join.last_flow == f)
		c->join.last_flow = NULL;
	if (c->join.nspare < TT_SPARE_FLOWS)
		c->join.spare[c->join.nspare++] = f;
	else
		free(f);
}

/*
 * Facts come in pairs for one flow (the wire's handshake and the socket's, a
 * FIN and the CLOSE it causes): the flow of the fact before needs no probe.
 */
static struct tt_join_flow *flow_cached(struct tt_classifier *c, const struct tt_key *j)
{
	return c->join.last_flow && tt_key_eq(&c->join.last_flow_key, j) ? c->join.last_flow : NULL;
}

/* The flow of join key @j, or NULL. */
struct tt_join_flow *flowtab_get(struct tt_classifier *c, const struct tt_key *j)
{
	struct tt_join_flow **f, *last = flow_cached(c, j);

	if (last)
		return last;
	f = tt_conntab_get(&c->join.flows, j);
	return f ? *f : NULL;
}

static void flow_del(struct tt_classifier *c, const struct tt_key *j)
{
	struct tt_join_flow **f = tt_conntab_get(&c->join.flows, j);

	if (!f)
		return;
	flow_free(c, *f);
	tt_conntab_del(&c->join.flows, j);
}

/* The flow of join key @j, created if new, and seen at @now; NULL when the table is full. */
struct tt_join_flow *flowtab_touch(struct tt_classifier *c, const struct tt_key *j, uint64_t now)
{
	struct tt_join_flow **f, *last = flow_cached(c, j);

	if (last) {
		last->last_ns = now;
		return last;
	}
	f = tt_conntab_put(&c->join.flows, j);
	if (f && !*f) {
		*f = flow_alloc(c);
		if (!*f)
			tt_conntab_del(&c->join.flows, j);
	}
	if (!f || !*f) {
		c->untracked_flows++;
		return NULL;
	}
	(*f)->last_ns = now;
	c->join.last_flow_key = *j;
	c->join.last_flow = *f;
	return *f;
}

/*
 * Forget a flow as soon as nothing more can come for it, instead of at the
 * next sweep: the wire saw it open and end, every local socket that opened
 * has closed, and no row waits on it.  Under a connection storm the table
 * then holds the connections in flight, not the last seconds' worth, and
 * stays in cache.  A later connection on the same tuple starts afresh.
 */
void flowtab_done(struct tt_classifier *c, struct tt_join_flow *f, const struct tt_key *j)
{
	if (!f->milestone[MILESTONE_OPEN].wire_seen || !f->milestone[MILESTONE_END].wire_seen ||
	    !f->ends_open || local_end_open(f) || f->timeout_pending)
		return;
	for (int i = 0; i < MILESTONE_N; i++)
		if (f->milestone[i].wire_row_held || f->milestone[i].nsock_rows)
			return;
	/* the caller holds the flow: no second lookup, as flow_del() would make */
	flow_free(c, f);
	tt_conntab_del(&c->join.flows, j);
}

/* How long @f may stay idle: as long as something may still come for it. */
static uint64_t flow_keep_ns(const struct tt_join_flow *f)
{
	const struct tt_milestone *open = &f->milestone[MILESTONE_OPEN];
	const struct tt_milestone *end = &f->milestone[MILESTONE_END];

	if (f->milestone[MILESTONE_FAIL].wire_row_out)
		return KEEP_AFTER_WIRE_TIMEOUT_NS;
	if (open->wire_seen && !end->wire_seen && !end->sock_seen)
		return KEEP_OPEN_NS;
	if (end->wire_seen && !end->sock_seen && local_end_open(f))
		return KEEP_END_FOR_CLOSE_NS;
	return KEEP_DONE_NS;
}

/* Forget flows nobody will ask about again: bounded memory under any load. */
void flowtab_sweep(struct tt_classifier *c, uint64_t now)
{
	if (now < c->join.last_sweep_ns + SWEEP_EVERY_NS)
		return;
	c->join.last_sweep_ns = now;
	for (size_t i = 0; i < c->join.flows.cap; i++) {
		const struct tt_key *k;
		struct tt_join_flow **f = tt_conntab_slot(&c->join.flows, i, &k);
		struct tt_key gone;

		if (!f || (*f)->timeout_pending || (*f)->last_ns + flow_keep_ns(*f) >= now)
			continue;
		gone = *k;	/* @k points into the table the delete rewrites */
		flow_del(c, &gone);
	}
}
