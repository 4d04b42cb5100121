// SPDX-License-Identifier: GPL-2.0
/*
 * From kernel facts to rows: what each fact means, and the way of a socket
 * fact through the classifier.  The rules are written down in
 * docs/classification.md; keep the two in step.
 */
#include <errno.h>
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
	r->dir = e->fact == TT_FACT_ACCEPTED || (e->flags & TT_F_PASSIVE) ? TT_MDIR_IN
									 : TT_MDIR_OUT;
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
	/* counted where the footer counts, before the output filters (-s, -t) */
	if (c->observe)
		c->observe(r, c->ctx);
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
void tt_cls_active_by_family(const struct tt_classifier *c, uint64_t *ipv4, uint64_t *ipv6)
{
	const struct tt_key *k;

	*ipv4 = *ipv6 = 0;
	for (size_t i = 0; i < c->active.cap; i++)
		if (tt_conntab_slot(&c->active, i, &k)) {
			if (k->family == AF_INET)
				(*ipv4)++;
			else
				(*ipv6)++;
		}
}

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
