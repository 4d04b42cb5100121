// SPDX-License-Identifier: GPL-2.0
/*
 * From kernel facts to rows: what each fact means, and the way of a socket
 * fact through the classifier.  The rules are written down in
 * docs/classification.md; keep the two in step.  Below them, the join of the
 * socket and wire views (docs/wire.md) and its flows.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "classify_priv.h"

#define US_PER_MS	1000.0

/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
enum {
	TCP_ESTABLISHED = 1, TCP_SYN_SENT, TCP_SYN_RECV, TCP_FIN_WAIT1, TCP_FIN_WAIT2,
	TCP_TIME_WAIT, TCP_CLOSE, TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_LISTEN, TCP_CLOSING,
};

static bool v4mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

/* IPv4-mapped IPv6 peers are IPv4 connections: print and key them as such. */
static void normalize(struct tt_key *k)
{
	if (k->family != AF_INET6 || !v4mapped(k->daddr))
		return;
	k->family = AF_INET;
	memmove(k->daddr, k->daddr + 12, 4);
	memset(k->daddr + 4, 0, 12);
	if (v4mapped(k->saddr))
		memmove(k->saddr, k->saddr + 12, 4);
	else
		memset(k->saddr, 0, 4);	/* unbound :: */
	memset(k->saddr + 4, 0, 12);
}

int tt_key_from_event(const struct tt_event *e, struct tt_key *k)
{
	memset(k, 0, sizeof(*k));
	if (e->family != AF_INET && e->family != AF_INET6)
		return -EAFNOSUPPORT;
	k->netns = e->netns;
	k->family = e->family;
	k->sport = e->sport;
	k->dport = e->dport;
	memcpy(k->saddr, e->saddr, e->family == AF_INET ? 4 : 16);
	memcpy(k->daddr, e->daddr, e->family == AF_INET ? 4 : 16);
	normalize(k);
	return 0;
}

/*
 * A row at @ts_ns seen by @views, with every measure "does not apply" (< 0,
 * pid -1) until the path that makes the row sets what it knows.
 */
void cls_row_init(struct tt_row *r, uint64_t ts_ns, int views)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = ts_ns;
	r->views = views;
	r->pid = -1;
	r->lat_ms = r->wait_ms = r->dur_ms = r->sock_lat_ms = r->wire_lat_ms = -1;
	r->bytes_sent = r->bytes_recv = -1;
}

/* @comm as the kernel sent it: not always terminated. */
void cls_row_set_owner(struct tt_row *r, int pid, const char *comm)
{
	r->pid = pid;
	memcpy(r->comm, comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
}

static void set_interval(double *out, uint64_t from, uint64_t to)
{
	*out = from && to >= from ? ns_to_ms(to - from) : -1;
}

/* No real byte count reaches 2^63: a corrupt record says nothing (and must not overflow). */
static uint64_t sane_count(uint64_t n)
{
	return n > INT64_MAX ? 0 : n;
}

/*
 * The kernel counts sequence space: an acknowledged SYN (active side) and FIN
 * take one byte each.  Users compare with what the application wrote.
 */
static int64_t payload_sent(const struct tt_event *e)
{
	uint64_t n = sane_count(e->bytes_acked);

	if (n && !(e->flags & TT_F_PASSIVE) && (e->flags & TT_F_ESTABLISHED))
		n--;
	/* in these states our FIN had been acknowledged */
	if (n && !e->err && (e->oldstate == TCP_FIN_WAIT2 || e->oldstate == TCP_CLOSING ||
			     e->oldstate == TCP_LAST_ACK))
		n--;
	return n;
}

static int64_t payload_received(const struct tt_event *e)
{
	uint64_t n = sane_count(e->bytes_received);

	/*
	 * The peer's FIN had arrived in these states.  (FIN_WAIT2 also ends by
	 * its own timer without one: then RX is one byte short.)
	 */
	if (n && (e->oldstate == TCP_CLOSE_WAIT || e->oldstate == TCP_LAST_ACK ||
		  e->oldstate == TCP_CLOSING || (e->oldstate == TCP_FIN_WAIT2 && !e->err)))
		n--;
	return n;
}

/* What the error a socket closed with means (docs/classification.md); tables end at err 0. */
struct close_err {
	uint32_t err;
	enum tt_type type;
	const char *reason;
};

/* Failed active opens: the socket left SYN_SENT for CLOSE. */
static const struct close_err syn_sent_errs[] = {
	{ ECONNREFUSED, TT_REFUSED, "refused" },
	{ ETIMEDOUT, TT_TIMEOUT, "syn-timeout" },
	{ EHOSTUNREACH, TT_UNREACH, "host-unreachable" },
	{ ENETUNREACH, TT_UNREACH, "net-unreachable" },
	{ 0 },
};

/* Any other state to CLOSE. */
static const struct close_err close_errs[] = {
	{ ECONNRESET, TT_RESET, "rst-received" },
	{ EPIPE, TT_RESET, "rst-received" },
	{ ETIMEDOUT, TT_CLOSE, "timeout" },
	{ 0 },
};

/* @r's type and reason for @err (not 0) from @tab: an error not in it is a CLOSE (error). */
static void set_close_err(struct tt_row *r, const struct close_err *tab, uint32_t err)
{
	for (; tab->err; tab++) {
		if (tab->err == err) {
			r->type = tab->type;
			r->reason = tab->reason;
			return;
		}
	}
	r->type = TT_CLOSE;
	r->reason = "error";
}

static void classify_syn_sent_close(const struct tt_event *e, struct tt_row *r)
{
	r->syns = e->total_retrans + 1;
	set_interval(&r->dur_ms, e->start_ns, e->ts_ns);
	if (e->err) {
		set_close_err(r, syn_sent_errs, e->err);
		return;
	}
	/* The application closed it; a timeout only once a SYN was retried. */
	r->type = e->total_retrans ? TT_TIMEOUT : TT_CLOSE;
	r->reason = e->total_retrans ? "app-timeout" : "aborted";
}

static void classify_close(const struct tt_event *e, struct tt_row *r)
{
	if (e->oldstate == TCP_SYN_SENT) {
		classify_syn_sent_close(e, r);
		return;
	}
	if (e->flags & TT_F_ESTABLISHED)
		set_interval(&r->dur_ms, e->est_ns, e->ts_ns);
	r->bytes_sent = payload_sent(e);
	r->bytes_recv = payload_received(e);
	if (e->err) {
		set_close_err(r, close_errs, e->err);
		return;
	}
	r->type = TT_CLOSE;
	r->reason = e->oldstate == TCP_SYN_RECV ? "aborted" : "fin";
}

static void classify_connect(const struct tt_event *e, struct tt_row *r)
{
	r->type = TT_CONNECT;
	r->reason = "established";
	r->syns = e->total_retrans + 1;
	if (e->flags & TT_F_STARTED)
		set_interval(&r->lat_ms, e->start_ns, e->est_ns ? e->est_ns : e->ts_ns);
}

static const char *accept_hook_name(uint8_t hook)
{
	switch (hook) {
	case TT_ACCEPT_LISTENER:
		return "listener";
	case TT_ACCEPT_SYSCALL:
		return "syscall";
	case TT_ACCEPT_KRETPROBE:
		return "kretprobe";
	case TT_ACCEPT_FEXIT:
		return "fexit";
	default:
		return NULL;
	}
}

static void classify_accept(const struct tt_event *e, struct tt_row *r)
{
	r->type = TT_ACCEPT;
	r->reason = "accepted";
	/* The server's handshake time: the kernel's SYN-ACK -> ACK sample. */
	if (e->srtt_us)
		r->lat_ms = e->srtt_us / US_PER_MS;
	if ((e->flags & TT_F_ESTABLISHED) && e->hook != TT_ACCEPT_LISTENER)
		set_interval(&r->wait_ms, e->est_ns, e->ts_ns);
	r->hook = accept_hook_name(e->hook);
}

/* connect() failed before any SYN left. */
static void classify_connect_err(const struct tt_event *e, struct tt_row *r)
{
	r->type = TT_UNREACH;
	r->reason = e->err == ENETUNREACH ? "no-route" : "host-unreachable";
	r->syns = 0;
	set_interval(&r->dur_ms, e->start_ns, e->ts_ns);
}

/* One fact to one socket-view row; returns -ENOENT for facts that make no row by themselves. */
static int tt_classify(const struct tt_event *e, struct tt_row *r)
{
	cls_row_init(r, e->ts_ns, TT_VIEW_SOCK);
	if (tt_key_from_event(e, &r->key))
		return -EAFNOSUPPORT;
	if (e->flags & TT_F_OWNER_KNOWN)
		cls_row_set_owner(r, e->pid, e->comm);
	r->err = e->err;
	switch (e->fact) {
	case TT_FACT_ACTIVE_EST:
		classify_connect(e, r);
		break;
	case TT_FACT_ACCEPTED:
		classify_accept(e, r);
		break;
	case TT_FACT_CLOSED:
		classify_close(e, r);
		break;
	case TT_FACT_CONNECT_ERR:
		classify_connect_err(e, r);
		break;
	default:
		return -ENOENT;
	}
	/* the socket's own handshake time, kept when the wire's replaces lat_ms */
	r->sock_lat_ms = r->lat_ms;
	return 0;
}

/* The address filters (-4/-6, --port) but --netns: the wire view sees interfaces, not netns. */
static bool key_wanted_any_netns(const struct tt_config *cfg, const struct tt_key *k)
{
	if (cfg->family && k->family != cfg->family)
		return false;
	if (cfg->nports) {
		for (int i = 0; i < cfg->nports; i++)
			if (cfg->ports[i] == k->sport || cfg->ports[i] == k->dport)
				return true;
		return false;
	}
	return true;
}

/* The address filters the kernel side applies too: what the socket view reports. */
static bool key_wanted(const struct tt_config *cfg, const struct tt_key *k)
{
	if (cfg->netns && k->netns != cfg->netns)
		return false;
	return key_wanted_any_netns(cfg, k);
}

/* --pid and --comm: a row whose owner is unknown matches neither. */
static bool owner_wanted(const struct tt_config *cfg, const struct tt_row *r)
{
	if (cfg->npids) {
		int i;

		for (i = 0; i < cfg->npids; i++)
			if (r->pid == cfg->pids[i])
				break;
		if (i == cfg->npids)
			return false;
	}
	if (cfg->comm[0] && (r->pid < 0 || strncmp(cfg->comm, r->comm, TT_COMM_LEN)))
		return false;
	return true;
}

void cls_release(struct tt_classifier *c, const struct tt_row *r)
{
	const struct tt_config *cfg = c->cfg;

	/* --netns narrows the socket view; the wire view is the interfaces' own */
	if (r->views & TT_VIEW_SOCK ? !key_wanted(cfg, &r->key)
				    : !key_wanted_any_netns(cfg, &r->key))
		return;
	if (!owner_wanted(cfg, r))
		return;
	c->total.n[r->type]++;
	c->window.n[r->type]++;
	if (cfg->summary_only || (cfg->types && !(cfg->types & (1u << r->type))))
		return;
	if (!c->cb_err)
		c->cb_err = c->cb(r, c->ctx);
}

int tt_cls_init(struct tt_classifier *c, const struct tt_config *cfg, tt_row_cb cb, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->cb = cb;
	c->ctx = ctx;
	flowtab_init(c);
	return holdq_init(c);
}

void tt_cls_free(struct tt_classifier *c)
{
	flowtab_free(c);
	holdq_free(c);
	tt_conntab_free(&c->active);
}

int tt_cls_seed(const struct tt_classifier *c, struct tt_conntab *into, const struct tt_key *k)
{
	struct tt_key n = *k;

	normalize(&n);
	if (!key_wanted(c->cfg, &n))
		return 0;
	return tt_conntab_add(into, &n);
}

long tt_cls_prune_active(struct tt_classifier *c, const struct tt_conntab *live)
{
	long n = 0;

	/*
	 * A delete shifts later entries back (user/conntab.c): the one that
	 * lands in slot i has not been looked at, so slot i is looked at
	 * again.  One that wraps from the table's start to its end is looked
	 * at twice, which does no harm.
	 */
	for (size_t i = 0; i < c->active.cap;) {
		const struct tt_key *k;
		struct tt_key gone;

		if (tt_conntab_slot(&c->active, i, &k) && !tt_conntab_has(live, k)) {
			gone = *k;
			tt_conntab_del(&c->active, &gone);
			n++;
			continue;
		}
		i++;
	}
	return n;
}

/* Active connections: within the kernel-side filters, whoever owns them. */
static int track_active(struct tt_classifier *c, const struct tt_event *e, const struct tt_row *r)
{
	if (!key_wanted(c->cfg, &r->key))
		return 0;
	if (r->type == TT_CONNECT || r->type == TT_ACCEPT)
		return tt_conntab_add(&c->active, &r->key) < 0 ? -ENOMEM : 0;
	if (e->fact == TT_FACT_CLOSED)
		tt_conntab_del(&c->active, &r->key);
	return 0;
}

/*
 * How long a row waits for the RST that would make it RESET (rst-sent), 0 for
 * none: an orderly-looking close of an established socket may be an abort
 * whose RST follows, at once when the socket had no owner left.
 */
static uint64_t rst_wait_ns(const struct tt_event *e, const struct tt_row *r)
{
	if (r->type != TT_CLOSE || e->err || e->oldstate == TCP_SYN_SENT ||
	    e->oldstate == TCP_LAST_ACK || e->oldstate == TCP_CLOSING ||
	    e->close_how == TT_CLOSE_TIME_WAIT)
		return 0;
	return e->close_how == TT_CLOSE_ORPHAN ? TT_HOLD_ORPHAN_NS : TT_HOLD_NS;
}

/* A socket fact: a row into the hold queue, or a note for the queue or the join. */
int tt_cls_feed(struct tt_classifier *c, const struct tt_event *e)
{
	struct tt_held *h;
	struct tt_row r;
	uint64_t rst_wait;
	int ret;

	switch (e->fact) {
	case TT_FACT_RST_SENT:
		holdq_rst_sent(c, e);
		return tt_cls_flush(c, e->ts_ns, false);
	case TT_FACT_PASSIVE_EST:
	case TT_FACT_SYN_RETRY:
		/* one the join cannot take ends here, unflushed, like any fact that makes no row */
		if (c->wire && join_sock_fact(c, e))
			return c->cb_err;
		return tt_cls_flush(c, e->ts_ns, false);
	}
	if (tt_classify(e, &r))
		return c->cb_err;
	ret = track_active(c, e, &r);
	if (ret)
		return ret;
	h = holdq_push(c, &r);
	rst_wait = rst_wait_ns(e, &r);
	if (rst_wait)
		holdq_wait_rst(c, h, rst_wait);
	if (c->wire)
		join_sock_row(c, h);
	return tt_cls_flush(c, e->ts_ns, false);
}

void tt_cls_summary(const struct tt_counts *n, double seconds, struct tt_summary *s)
{
	uint64_t ok = n->n[TT_CONNECT] + n->n[TT_ACCEPT];
	uint64_t failed = n->n[TT_REFUSED] + n->n[TT_TIMEOUT] + n->n[TT_UNREACH];

	s->opened = ok;
	s->failed = failed;
	s->conn_rate = seconds > 0 ? ok / seconds : 0;
	s->failure_pct = ok + failed ? 100.0 * failed / (ok + failed) : 0;
}

/* ---- the join of the socket and wire views (docs/wire.md) ---- */

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

static bool in_prefix(const struct tt_prefix *p, uint16_t family, const uint8_t *a)
{
	int full = p->len / 8, rest = p->len % 8;

	if (p->family != family || p->len > (family == AF_INET ? 32 : 128))
		return false;
	if (memcmp(p->addr, a, full))
		return false;
	return !rest || !((p->addr[full] ^ a[full]) & (0xff << (8 - rest)));
}

/* Would this connection's packets cross an attached interface? */
static bool crosses_wire(const struct tt_classifier *c, const struct tt_key *k)
{
	for (int i = 0; i < c->join.nprefixes; i++)
		if (in_prefix(&c->join.prefixes[i], k->family, k->saddr) ||
		    in_prefix(&c->join.prefixes[i], k->family, k->daddr))
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

static const char *wire_reason(const struct tt_classifier *c, const struct tt_wire_event *w)
{
	if (w->fact == TT_WFACT_RESET)
		return w->by == TT_BY_INITIATOR ? "rst-by-initiator" : "rst-by-responder";
	if (w->fact == TT_WFACT_REFUSED)
		return "refused";
	/* traffic between two other hosts: a gateway forwarding it */
	if (!is_local_addr(c, w->family, w->iaddr) && !is_local_addr(c, w->family, w->raddr))
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

/* ---- the join's flows ---- */

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
