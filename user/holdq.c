// SPDX-License-Identifier: GPL-2.0
/*
 * The hold queue: rows wait here, in stream order, while a later fact may
 * still change them.  A CLOSE that may be an abort waits for the RST that
 * would make it RESET (rst-sent); with the wire view, a row waits for the
 * other view's fact (join.c).  Rows leave in the order they came, each once
 * the waits of the rows before it have ended.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "classify_priv.h"

/* The queue starts this small and doubles under load, up to HOLDQ_MAX_ROWS. */
#define HOLDQ_FIRST_CAP	256
/* Beyond this many rows waiting, the oldest goes out early: never dropped, never unbounded. */
#define HOLDQ_MAX_ROWS	65536

int holdq_init(struct tt_classifier *c)
{
	c->hold.cap = HOLDQ_FIRST_CAP;
	c->hold.ring = calloc(c->hold.cap, sizeof(*c->hold.ring));
	return c->hold.ring ? 0 : -ENOMEM;
}

void holdq_free(struct tt_classifier *c)
{
	free(c->hold.ring);
	c->hold.ring = NULL;
}

/* Doubles the ring, keeping the order; false when at HOLDQ_MAX_ROWS or out of memory. */
static bool grow(struct tt_classifier *c)
{
	size_t cap = c->hold.cap * 2;
	struct tt_held *ring;

	if (cap > HOLDQ_MAX_ROWS)
		return false;
	ring = malloc(cap * sizeof(*ring));
	if (!ring)
		return false;
	for (size_t i = 0; i < c->hold.len; i++)
		ring[i] = *holdq_at(c, i);
	free(c->hold.ring);
	c->hold.ring = ring;
	c->hold.cap = cap;
	c->hold.head = 0;
	return true;
}

/* The row at the head leaves the queue: out to the callback, unless merged into another. */
static void pop(struct tt_classifier *c)
{
	struct tt_held *h = holdq_at(c, 0);

	if (!h->dropped) {
		if (h->wait_wire || h->wire_only)
			join_unclaimed(c, h);
		cls_release(c, &h->row);
	}
	c->hold.head = (c->hold.head + 1) & (c->hold.cap - 1);
	c->hold.len--;
	c->hold.head_seq++;
	/*
	 * Empty: start again at the front.  A ring that only moves on cycles
	 * every row through the whole array (megabytes once it has grown), and
	 * each push then writes to memory long out of cache.
	 */
	if (!c->hold.len)
		c->hold.head = 0;
}

struct tt_held *holdq_push(struct tt_classifier *c, const struct tt_row *r)
{
	struct tt_held *h;

	if (c->hold.len == c->hold.cap && !grow(c))
		pop(c);	/* never drop: release early instead */
	h = holdq_at(c, c->hold.len);
	memset(h, 0, sizeof(*h));
	h->row = *r;
	h->seq = c->hold.head_seq + c->hold.len;
	h->join_deadline = h->rst_deadline = r->ts_ns;
	c->hold.len++;
	return h;
}

/*
 * Each wait has its own end: a CLOSE whose wire fact came in time waits for
 * an RST no longer than the hold.
 */
static bool still_waiting(const struct tt_held *h, uint64_t now_ns)
{
	return !h->dropped && ((h->wait_rst && h->rst_deadline > now_ns) ||
			       ((h->wait_wire || h->wire_only) && h->join_deadline > now_ns));
}

/* Early RSTs are kept in no order: the last takes the place of the one that goes. */
static void forget_early_rst(struct tt_classifier *c, size_t i)
{
	c->hold.early_rst[i] = c->hold.early_rst[--c->hold.n_early_rst];
}

int tt_cls_flush(struct tt_classifier *c, uint64_t now_ns, bool all)
{
	if (c->wire)
		join_fire_timeouts(c, now_ns, all);
	while (c->hold.len && (all || !still_waiting(holdq_at(c, 0), now_ns)))
		pop(c);
	/* Forget RSTs whose CLOSE never came (RSTs that did not end a connection). */
	for (size_t i = 0; i < c->hold.n_early_rst;) {
		if (all || c->hold.early_rst[i].ts_ns + TT_HOLD_NS <= now_ns)
			forget_early_rst(c, i);
		else
			i++;
	}
	if (c->wire)
		flowtab_sweep(c, now_ns);
	return c->cb_err;
}

/* A held CLOSE whose RST went out: an abort, not an orderly close. */
static void became_rst_sent(struct tt_held *h)
{
	h->row.type = TT_RESET;
	h->row.reason = "rst-sent";
	h->wait_rst = false;
}

/* This host sent an RST: the held CLOSE it belongs to, or one still to come, becomes RESET. */
void holdq_rst_sent(struct tt_classifier *c, const struct tt_event *e)
{
	struct tt_key k;

	if (tt_key_from_event(e, &k))
		return;
	for (size_t i = c->hold.len; i-- > 0;) {
		struct tt_held *h = holdq_at(c, i);

		if (h->wait_rst && !h->dropped && tt_key_eq(&h->row.key, &k)) {
			became_rst_sent(h);
			return;
		}
	}
	/* The RST may leave before the socket reaches CLOSE (timer aborts). */
	if (c->hold.n_early_rst == TT_RST_PENDING)
		forget_early_rst(c, 0);
	c->hold.early_rst[c->hold.n_early_rst].key = k;
	c->hold.early_rst[c->hold.n_early_rst].ts_ns = e->ts_ns;
	c->hold.n_early_rst++;
}

/* @h may still become RESET (rst-sent): take an RST that came first, or wait @wait_ns for one. */
void holdq_wait_rst(struct tt_classifier *c, struct tt_held *h, uint64_t wait_ns)
{
	h->wait_rst = true;
	h->rst_deadline = h->row.ts_ns + wait_ns;
	for (size_t i = 0; i < c->hold.n_early_rst; i++) {
		if (tt_key_eq(&c->hold.early_rst[i].key, &h->row.key)) {
			became_rst_sent(h);
			forget_early_rst(c, i);
			return;
		}
	}
}
