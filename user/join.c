// SPDX-License-Identifier: GPL-2.0
/*
 * The join of the socket and wire views (docs/wire.md): a row of one view
 * waits TT_JOIN_NS in the hold queue for the other view's fact of the same
 * milestone, and takes it; a wire fact no socket claims becomes a row of its
 * own; retried SYNs with no answer make a wire TIMEOUT.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "classify_priv.h"
#include "netaddr.h"

/*
 * From the third SYN on, the second SYN's retry fact came first and could arm
 * the wire TIMEOUT: such a retry past the deadline, with none pending, is one
 * whose TIMEOUT went out before the sweep forgot the flow (on_wire_retry()).
 */
#define LATE_RETRY_SYNS	3

static enum tt_milestone_kind type_milestone(enum tt_type t)
{
	switch (t) {
	case TT_CONNECT:
	case TT_ACCEPT:
		return MILESTONE_OPEN;
	case TT_REFUSED:
	case TT_TIMEOUT:
	case TT_UNREACH:
		return MILESTONE_FAIL;
	default:
		return MILESTONE_END;
	}
}

static enum tt_milestone_kind wire_milestone(uint8_t fact)
{
	switch (fact) {
	case TT_WFACT_HANDSHAKE:
		return MILESTONE_OPEN;
	case TT_WFACT_REFUSED:
		return MILESTONE_FAIL;
	default:
		return MILESTONE_END;
	}
}

/* The handshake time the wire saw at @m, for a row of @type; < 0 when it saw no end. */
static double wire_lat(const struct tt_milestone *m, enum tt_type type)
{
	/* the client's handshake ends at the SYN-ACK, the server's at the final ACK */
	uint64_t end = type == TT_CONNECT ? m->synack_ns : m->ack_ns;

	if (!end)
		end = m->synack_ns;
	return m->syn_ns && end > m->syn_ns ? ns_to_ms(end - m->syn_ns) : -1;
}

/* A socket row takes the wire's facts of its milestone; the wire's handshake time leads. */
static void add_wire_facts(struct tt_row *r, const struct tt_milestone *m)
{
	r->views |= TT_VIEW_WIRE;
	r->ifindex = m->ifindex;
	r->wire_syns = m->syns;
	if (type_milestone(r->type) == MILESTONE_OPEN) {
		r->sock_lat_ms = r->lat_ms;
		r->wire_lat_ms = wire_lat(m, r->type);
		if (r->wire_lat_ms >= 0)
			r->lat_ms = r->wire_lat_ms;
	}
}

/* Would this connection's packets cross an attached interface? */
static bool crosses_wire(const struct tt_classifier *c, const struct tt_key *k)
{
	for (int i = 0; i < c->join.nprefixes; i++)
		if (tt_cidr_match(&c->join.prefixes[i], k->family, k->saddr) ||
		    tt_cidr_match(&c->join.prefixes[i], k->family, k->daddr))
			return true;
	return false;
}

/* Is @a an address of an attached interface? */
static bool is_local_addr(const struct tt_classifier *c, uint16_t family, const uint8_t *a)
{
	for (int i = 0; i < c->join.nprefixes; i++)
		if (c->join.prefixes[i].family == family &&
		    !memcmp(c->join.prefixes[i].addr, a, family == AF_INET ? 4 : 16))
			return true;
	return false;
}

/* A row that waited for the other view and got nothing. */
static void finish_unjoined(struct tt_classifier *c, struct tt_held *h)
{
	struct tt_join_flow *f;

	if (h->wait_wire && h->milestone == MILESTONE_FAIL && h->row.type != TT_UNREACH &&
	    crosses_wire(c, &h->row.key)) {
		f = flowtab_get(c, &h->flow_key);
		/* the wire never saw its SYN: blocked on this host, before the interface */
		if (!f || !f->seen_syn)
			h->row.reason = "blocked-locally";
	}
}

/* Unclaimed: from now on a socket row of the same failure is a duplicate. */
static void wire_row_released(struct tt_classifier *c, const struct tt_held *h)
{
	struct tt_join_flow *f = flowtab_get(c, &h->flow_key);
	struct tt_milestone *m;

	if (!f)
		return;
	m = &f->milestone[h->milestone];
	if (m->wire_row_held && m->wire_row_seq == h->seq) {
		m->wire_row_held = false;
		m->wire_row_out = true;
		m->wire_type = h->row.type;
	}
}

/* @h leaves the hold queue with its wait for the other view not over. */
void join_unclaimed(struct tt_classifier *c, struct tt_held *h)
{
	finish_unjoined(c, h);
	if (h->wire_only)
		wire_row_released(c, h);
}

/* The flow of @j will have no wire TIMEOUT: off the pending list. */
static void timeout_forget(struct tt_classifier *c, const struct tt_key *j)
{
	for (size_t i = 0; i < c->join.ntimeouts; i++) {
		if (tt_key_eq(&c->join.timeouts[i], j)) {
			c->join.timeouts[i] = c->join.timeouts[--c->join.ntimeouts];
			return;
		}
	}
}

/* The wire row held for @m goes: a socket row speaks for the milestone. */
static void drop_held_wire_row(struct tt_classifier *c, struct tt_milestone *m)
{
	struct tt_held *w;

	if (!m->wire_row_held)
		return;
	w = holdq_find(c, m->wire_row_seq);
	if (w)
		w->dropped = true;
	m->wire_row_held = false;
}

/* A socket row: claim the milestone, take the wire's facts if they are in. */
void join_sock_row(struct tt_classifier *c, struct tt_held *h)
{
	struct tt_join_flow *f;
	struct tt_milestone *m;
	enum tt_flow_end side;

	h->milestone = type_milestone(h->row.type);
	side = flowtab_key(&h->row.key, &h->flow_key);
	f = flowtab_touch(c, &h->flow_key, h->row.ts_ns);
	if (!f)
		return;
	if (h->milestone == MILESTONE_OPEN)
		f->ends_open |= side;
	else if (h->milestone == MILESTONE_END)
		f->ends_closed |= side;
	m = &f->milestone[h->milestone];
	m->sock_seen = true;
	if (h->milestone == MILESTONE_FAIL && f->timeout_pending) {
		/* the application or the kernel concluded first: the wire adds what it saw */
		f->timeout_pending = false;
		timeout_forget(c, &h->flow_key);
		m->wire_seen = true;
		m->ifindex = f->retry_ifindex;
		m->syns = f->retry_syns;
	}
	if (h->milestone == MILESTONE_FAIL && m->wire_row_out && h->row.type == m->wire_type) {
		/* the wire already reported this failure (say a wire TIMEOUT): one line */
		h->dropped = true;
		return;
	}
	drop_held_wire_row(c, m);
	if (m->wire_seen) {
		add_wire_facts(&h->row, m);
		flowtab_done(c, f, &h->flow_key);
		return;
	}
	h->wait_wire = true;
	h->join_deadline = h->row.ts_ns + TT_JOIN_NS;
	if (m->nsock_rows < JOIN_SOCK_ROWS)
		m->sock_row_seq[m->nsock_rows++] = h->seq;
}

/*
 * Socket facts that make no row but tell the join something: a handshake
 * this host accepted (PASSIVE_EST) and a connecting socket's SYN retry.
 * -EAFNOSUPPORT or -ENOSPC (no flow for it) when the join cannot take it.
 */
int join_sock_fact(struct tt_classifier *c, const struct tt_event *e)
{
	struct tt_join_flow *f;
	struct tt_key k, j;
	enum tt_flow_end side;

	if (tt_key_from_event(e, &k))
		return -EAFNOSUPPORT;
	side = flowtab_key(&k, &j);
	f = flowtab_touch(c, &j, e->ts_ns);
	if (!f)
		return -ENOSPC;
	if (e->fact == TT_FACT_SYN_RETRY) {
		/* who is behind a SYN the wire may time out */
		if (e->flags & TT_F_OWNER_KNOWN) {
			f->owner_pid = e->pid;
			memcpy(f->owner_comm, e->comm, sizeof(f->owner_comm));
			f->owner_known = true;
		}
		return 0;
	}
	f->ends_open |= side;
	/* its ACCEPT will come from the socket view, maybe much later */
	drop_held_wire_row(c, &f->milestone[MILESTONE_OPEN]);
	f->milestone[MILESTONE_OPEN].sock_seen = true;
	return 0;
}

/* The initiator's view of a wire fact's tuple; no netns: the wire has none. */
static void key_from_wire(const struct tt_wire_event *w, struct tt_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = w->family;
	k->sport = w->iport;
	k->dport = w->rport;
	memcpy(k->saddr, w->iaddr, 16);
	memcpy(k->daddr, w->raddr, 16);
}

/* A row of the wire view alone, on the initiator's view of the tuple, @ikey. */
static void wire_row_init(struct tt_row *r, enum tt_type type, uint64_t ts_ns,
			  const struct tt_key *ikey, int ifindex, int syns)
{
	cls_row_init(r, ts_ns, TT_VIEW_WIRE);
	r->type = type;
	r->key = *ikey;
	r->ifindex = ifindex;
	r->syns = r->wire_syns = syns;
}

/* The row type of a wire fact, as its initiator would see it. */
static enum tt_type wire_type(const struct tt_wire_event *w)
{
	switch (w->fact) {
	case TT_WFACT_HANDSHAKE:
		return TT_CONNECT;
	case TT_WFACT_REFUSED:
		return TT_REFUSED;
	case TT_WFACT_RESET:
		return TT_RESET;
	default:
		return TT_CLOSE;
	}
}

/* A wire-only row's direction: who sent the first SYN (@ia) or answered it (@ra), if local. */
static enum tt_mdir wire_dir(const struct tt_classifier *c, uint16_t family, const uint8_t *ia,
			     const uint8_t *ra)
{
	if (is_local_addr(c, family, ia))
		return TT_MDIR_OUT;
	return is_local_addr(c, family, ra) ? TT_MDIR_IN : TT_MDIR_FWD;
}

static const char *wire_reason(const struct tt_classifier *c, const struct tt_wire_event *w)
{
	if (w->fact == TT_WFACT_RESET)
		return w->by == TT_BY_INITIATOR ? "rst-by-initiator" : "rst-by-responder";
	if (w->fact == TT_WFACT_REFUSED)
		return "refused";
	/* traffic between two other hosts: a gateway forwarding it */
	if (wire_dir(c, w->family, w->iaddr, w->raddr) == TT_MDIR_FWD)
		return "forwarded";
	return "wire-only";
}

/* A wire fact no socket row has claimed yet, as a row of its own; @m holds its times. */
static void wire_row(const struct tt_classifier *c, const struct tt_wire_event *w,
		     const struct tt_key *ikey, const struct tt_milestone *m, struct tt_row *r)
{
	wire_row_init(r, wire_type(w), w->ts_ns, ikey, w->ifindex, w->syns);
	if (w->fact == TT_WFACT_HANDSHAKE) {
		r->wire_lat_ms = wire_lat(m, w->syn_dir == TT_DIR_EGRESS ? TT_CONNECT : TT_ACCEPT);
		r->lat_ms = r->wire_lat_ms;
	}
	r->reason = wire_reason(c, w);
	r->dir = wire_dir(c, w->family, w->iaddr, w->raddr);
}

/* When the wire TIMEOUT of @f's attempt is due. */
static uint64_t timeout_due(const struct tt_classifier *c, const struct tt_join_flow *f)
{
	return f->retry_syn_ns + c->join.syn_timeout_ns;
}

/* A retried SYN: a wire TIMEOUT is due at --syn-timeout unless an answer comes first. */
static void on_wire_retry(struct tt_classifier *c, struct tt_join_flow *f, const struct tt_key *j,
			  const struct tt_key *ikey, const struct tt_wire_event *w)
{
	f->seen_syn = true;
	if (f->milestone[MILESTONE_OPEN].wire_seen || f->milestone[MILESTONE_FAIL].sock_seen)
		return;
	if (f->timeout_pending || f->milestone[MILESTONE_FAIL].wire_row_out) {
		if (w->syns > f->retry_syns)
			f->retry_syns = w->syns;
		return;
	}
	/*
	 * A later retry of an attempt already past its deadline: its TIMEOUT went
	 * out before the sweep forgot the flow.  Do not report it twice.
	 */
	if (w->syns >= LATE_RETRY_SYNS && w->ts_ns >= w->syn_ns + c->join.syn_timeout_ns)
		return;
	if (c->join.ntimeouts == TT_TIMEOUTS_MAX) {
		c->untracked_flows++;
		return;
	}
	f->timeout_pending = true;
	f->retry_syn_ns = w->syn_ns;
	f->retry_syns = w->syns;
	f->retry_ifindex = w->ifindex;
	f->initiator_key = *ikey;
	c->join.timeouts[c->join.ntimeouts++] = *j;
	if (!c->join.next_timeout_ns || timeout_due(c, f) < c->join.next_timeout_ns)
		c->join.next_timeout_ns = timeout_due(c, f);
}

/* The wire TIMEOUT of @f's attempt, as a row. */
static void push_wire_timeout(struct tt_classifier *c, struct tt_join_flow *f)
{
	struct tt_held *h;
	struct tt_row r;

	wire_row_init(&r, TT_TIMEOUT, timeout_due(c, f), &f->initiator_key, f->retry_ifindex,
		      f->retry_syns);
	r.dur_ms = ns_to_ms(c->join.syn_timeout_ns);
	r.reason = "syn-timeout";
	r.dir = wire_dir(c, r.key.family, r.key.saddr, r.key.daddr);
	if (f->owner_known) {
		cls_row_set_owner(&r, f->owner_pid, f->owner_comm);
		r.views |= TT_VIEW_SOCK;
	}
	h = holdq_push(c, &r);
	h->milestone = type_milestone(r.type);
	flowtab_key(&r.key, &h->flow_key);
	f->timeout_pending = false;
	f->last_ns = r.ts_ns;
	f->milestone[MILESTONE_FAIL].wire_row_out = true;
	f->milestone[MILESTONE_FAIL].wire_type = TT_TIMEOUT;
}

/* SYNs retried and no answer within --syn-timeout of the first: a wire TIMEOUT. */
void join_fire_timeouts(struct tt_classifier *c, uint64_t now, bool all)
{
	uint64_t next = 0;

	/* flush runs once per fact: scan the pending list only once one is due */
	if (!all && (!c->join.next_timeout_ns || now < c->join.next_timeout_ns))
		return;
	for (size_t i = 0; i < c->join.ntimeouts;) {
		struct tt_join_flow *f = flowtab_get(c, &c->join.timeouts[i]);

		if (f && f->timeout_pending && !all) {
			uint64_t due = timeout_due(c, f);

			if (due > now) {
				if (!next || due < next)
					next = due;
				i++;
				continue;
			}
			push_wire_timeout(c, f);
		}
		if (f)
			f->timeout_pending = false;
		c->join.timeouts[i] = c->join.timeouts[--c->join.ntimeouts];
	}
	c->join.next_timeout_ns = next;
}

/* The wire's facts of @m go to the socket rows already waiting for them. */
static void give_waiting_rows(struct tt_classifier *c, struct tt_milestone *m)
{
	for (int i = 0; i < m->nsock_rows; i++) {
		struct tt_held *h = holdq_find(c, m->sock_row_seq[i]);

		if (h && !h->dropped && h->wait_wire) {
			add_wire_facts(&h->row, m);
			h->wait_wire = false;
		}
	}
	m->nsock_rows = 0;
}

/* No socket view partner yet: a wire row that waits to be claimed. */
static void hold_wire_row(struct tt_classifier *c, struct tt_milestone *m, const struct tt_key *j,
			  const struct tt_key *ikey, const struct tt_wire_event *w)
{
	struct tt_held *h;
	struct tt_row r;

	wire_row(c, w, ikey, m, &r);
	h = holdq_push(c, &r);
	h->milestone = type_milestone(r.type);
	h->flow_key = *j;
	h->wire_only = true;
	h->join_deadline = w->ts_ns + TT_JOIN_NS;
	m->wire_row_held = true;
	m->wire_row_seq = h->seq;
}

/* The wire saw a handshake, a refusal, a reset or a close. */
static void on_wire_milestone(struct tt_classifier *c, struct tt_join_flow *f,
			      const struct tt_key *j, const struct tt_key *ikey,
			      const struct tt_wire_event *w)
{
	enum tt_milestone_kind kind = wire_milestone(w->fact);
	struct tt_milestone *m = &f->milestone[kind];

	f->seen_syn = true;
	/* seen on several attached interfaces: the first one reports it */
	if (m->wire_seen && m->ifindex != (int)w->ifindex)
		return;
	m->wire_seen = true;
	m->ifindex = w->ifindex;
	m->syns = w->syns;
	m->syn_ns = w->syn_ns;
	m->synack_ns = w->synack_ns;
	m->ack_ns = w->ack_ns;
	if (kind != MILESTONE_END && f->timeout_pending) {
		/* an answer after all: no TIMEOUT; a CONNECT notes the retries */
		f->timeout_pending = false;
		timeout_forget(c, j);
	}
	give_waiting_rows(c, m);
	if (m->sock_seen) {
		flowtab_done(c, f, j);
		return;
	}
	/*
	 * The end of a flow with a local socket still open: its CLOSE comes
	 * within moments of the FINs or the RST (or at the end of LAST_ACK's
	 * retransmissions), and takes this fact then.  A wire row here would
	 * mostly be built, held and dropped; and where no local end closed
	 * within the join window (a LAST_ACK waiting for a lost ACK), it went
	 * out as a second line for the same end.
	 */
	if (kind == MILESTONE_END && local_end_open(f))
		return;
	hold_wire_row(c, m, j, ikey, w);
}

/* @prefixes: the attached interfaces' addresses; beyond TT_MAX_PREFIXES they are not used. */
void tt_cls_enable_wire(struct tt_classifier *c, unsigned int syn_timeout_s,
			const struct tt_prefix *prefixes, int n)
{
	c->wire = true;
	c->join.syn_timeout_ns = syn_timeout_s * NS_PER_SEC;
	c->join.nprefixes = n < TT_MAX_PREFIXES ? n : TT_MAX_PREFIXES;
	if (c->join.nprefixes)
		memcpy(c->join.prefixes, prefixes, c->join.nprefixes * sizeof(*prefixes));
}

/* A wire fact: a note on its flow, then a row into the hold queue or into a waiting row. */
int tt_cls_feed_wire(struct tt_classifier *c, const struct tt_wire_event *w)
{
	struct tt_join_flow *f;
	struct tt_key k, j;

	if (w->family != AF_INET && w->family != AF_INET6)
		return c->cb_err;
	key_from_wire(w, &k);
	flowtab_key(&k, &j);
	f = flowtab_touch(c, &j, w->ts_ns);
	if (!f)
		return c->cb_err;
	if (w->fact == TT_WFACT_SYN_RETRY)
		on_wire_retry(c, f, &j, &k, w);
	else
		on_wire_milestone(c, f, &j, &k, w);
	return tt_cls_flush(c, w->ts_ns, false);
}
