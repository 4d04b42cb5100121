// SPDX-License-Identifier: GPL-2.0
/*
 * From kernel facts to connection events.  The rules are written down in
 * docs/classification.md; keep the two in step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "classify.h"

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

static double ns_to_ms(uint64_t ns)
{
	return ns / 1e6;
}

static void set_interval(double *out, uint64_t from, uint64_t to)
{
	*out = from && to >= from ? ns_to_ms(to - from) : -1;
}

/*
 * The kernel counts sequence space: an acknowledged SYN (active side) and FIN
 * take one byte each.  Users compare with what the application wrote.
 */
static int64_t payload_sent(const struct tt_event *e)
{
	int64_t n = e->bytes_acked;

	if (!(e->flags & TT_F_PASSIVE) && (e->flags & TT_F_ESTABLISHED))
		n--;
	/* in these states our FIN had been acknowledged */
	if (!e->err && (e->oldstate == TCP_FIN_WAIT2 || e->oldstate == TCP_CLOSING ||
			e->oldstate == TCP_LAST_ACK))
		n--;
	return n < 0 ? 0 : n;
}

static int64_t payload_received(const struct tt_event *e)
{
	int64_t n = e->bytes_received;

	/*
	 * The peer's FIN had arrived in these states.  (FIN_WAIT2 also ends by
	 * its own timer without one: then RX is one byte short.)
	 */
	if (e->oldstate == TCP_CLOSE_WAIT || e->oldstate == TCP_LAST_ACK ||
	    e->oldstate == TCP_CLOSING || (e->oldstate == TCP_FIN_WAIT2 && !e->err))
		n--;
	return n < 0 ? 0 : n;
}

/* Failed active opens: the socket left SYN_SENT for CLOSE. */
static void classify_syn_sent_close(const struct tt_event *e, struct tt_row *r)
{
	r->syns = e->total_retrans + 1;
	set_interval(&r->dur_ms, e->start_ns, e->ts_ns);
	switch (e->err) {
	case ECONNREFUSED:
		r->type = TT_REFUSED;
		r->reason = "refused";
		break;
	case ETIMEDOUT:
		r->type = TT_TIMEOUT;
		r->reason = "syn-timeout";
		break;
	case EHOSTUNREACH:
		r->type = TT_UNREACH;
		r->reason = "host-unreachable";
		break;
	case ENETUNREACH:
		r->type = TT_UNREACH;
		r->reason = "net-unreachable";
		break;
	case 0:
		/* The application closed it; a timeout only once a SYN was retried. */
		if (e->total_retrans) {
			r->type = TT_TIMEOUT;
			r->reason = "app-timeout";
		} else {
			r->type = TT_CLOSE;
			r->reason = "aborted";
		}
		break;
	default:
		r->type = TT_CLOSE;
		r->reason = "error";
		break;
	}
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
	switch (e->err) {
	case ECONNRESET:
	case EPIPE:
		r->type = TT_RESET;
		r->reason = "rst-received";
		break;
	case ETIMEDOUT:
		r->type = TT_CLOSE;
		r->reason = "timeout";
		break;
	case 0:
		r->type = TT_CLOSE;
		r->reason = e->oldstate == TCP_SYN_RECV ? "aborted" : "fin";
		break;
	default:
		r->type = TT_CLOSE;
		r->reason = "error";
		break;
	}
}

/* One fact to one row; returns -ENOENT for facts that make no row by themselves. */
int tt_classify(const struct tt_event *e, struct tt_row *r)
{
	memset(r, 0, sizeof(*r));
	if (tt_key_from_event(e, &r->key))
		return -EAFNOSUPPORT;
	r->ts_ns = e->ts_ns;
	r->pid = -1;
	if (e->flags & TT_F_OWNER_KNOWN) {
		r->pid = e->pid;
		memcpy(r->comm, e->comm, sizeof(r->comm));
		r->comm[sizeof(r->comm) - 1] = '\0';
	}
	r->lat_ms = r->wait_ms = r->dur_ms = -1;
	r->bytes_sent = r->bytes_recv = -1;
	r->err = e->err;

	switch (e->fact) {
	case TT_FACT_ACTIVE_EST:
		r->type = TT_CONNECT;
		r->reason = "established";
		r->syns = e->total_retrans + 1;
		if (e->flags & TT_F_STARTED)
			set_interval(&r->lat_ms, e->start_ns, e->est_ns ? e->est_ns : e->ts_ns);
		return 0;
	case TT_FACT_ACCEPTED:
		r->type = TT_ACCEPT;
		r->reason = "accepted";
		/* The server's handshake time: the kernel's SYN-ACK -> ACK sample. */
		if (e->srtt_us)
			r->lat_ms = e->srtt_us / 1e3;
		if (e->flags & TT_F_ESTABLISHED)
			set_interval(&r->wait_ms, e->est_ns, e->ts_ns);
		switch (e->hook) {
		case TT_ACCEPT_SYSCALL:
			r->hook = "syscall";
			break;
		case TT_ACCEPT_KRETPROBE:
			r->hook = "kretprobe";
			break;
		case TT_ACCEPT_FEXIT:
			r->hook = "fexit";
			break;
		}
		return 0;
	case TT_FACT_CLOSED:
		classify_close(e, r);
		return 0;
	case TT_FACT_CONNECT_ERR:
		r->type = TT_UNREACH;
		r->reason = e->err == ENETUNREACH ? "no-route" : "host-unreachable";
		r->syns = 0;
		set_interval(&r->dur_ms, e->start_ns, e->ts_ns);
		return 0;
	default:
		return -ENOENT;
	}
}

bool tt_cls_key_wanted(const struct tt_config *cfg, const struct tt_key *k)
{
	if (cfg->netns && k->netns != cfg->netns)
		return false;
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

static bool who_wanted(const struct tt_config *cfg, const struct tt_row *r)
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

int tt_cls_init(struct tt_classifier *c, const struct tt_config *cfg, tt_row_cb cb, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->cb = cb;
	c->ctx = ctx;
	c->q = calloc(TT_QUEUE_MAX, sizeof(*c->q));
	return c->q ? 0 : -ENOMEM;
}

void tt_cls_free(struct tt_classifier *c)
{
	tt_conntab_free(&c->active);
	free(c->q);
	c->q = NULL;
}

int tt_cls_seed(struct tt_classifier *c, const struct tt_key *k)
{
	struct tt_key n = *k;

	normalize(&n);
	if (!tt_cls_key_wanted(c->cfg, &n))
		return 0;
	return tt_conntab_add(&c->active, &n);
}

static void release(struct tt_classifier *c, const struct tt_row *r)
{
	const struct tt_config *cfg = c->cfg;

	if (!tt_cls_key_wanted(cfg, &r->key) || !who_wanted(cfg, r))
		return;
	c->total.n[r->type]++;
	c->window.n[r->type]++;
	if (cfg->summary_only || (cfg->types && !(cfg->types & (1u << r->type))))
		return;
	if (!c->cb_err)
		c->cb_err = c->cb(r, c->ctx);
}

static struct tt_held *q_at(struct tt_classifier *c, size_t i)
{
	return &c->q[(c->qhead + i) % TT_QUEUE_MAX];
}

static void q_pop(struct tt_classifier *c)
{
	release(c, &q_at(c, 0)->row);
	c->qhead = (c->qhead + 1) % TT_QUEUE_MAX;
	c->qlen--;
}

int tt_cls_flush(struct tt_classifier *c, uint64_t now_ns, bool all)
{
	while (c->qlen) {
		struct tt_held *h = q_at(c, 0);

		if (!all && h->wait_rst && h->row.ts_ns + TT_HOLD_NS > now_ns)
			break;
		q_pop(c);
	}
	/* Forget RSTs whose CLOSE never came (RSTs that did not end a connection). */
	for (size_t i = 0; i < c->nrst;) {
		if (all || c->rst[i].ts_ns + TT_HOLD_NS <= now_ns)
			c->rst[i] = c->rst[--c->nrst];
		else
			i++;
	}
	return c->cb_err;
}

static bool key_eq(const struct tt_key *a, const struct tt_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void to_rst_sent(struct tt_row *r)
{
	r->type = TT_RESET;
	r->reason = "rst-sent";
}

static void on_rst_sent(struct tt_classifier *c, const struct tt_event *e)
{
	struct tt_key k;

	if (tt_key_from_event(e, &k))
		return;
	for (size_t i = c->qlen; i-- > 0;) {
		struct tt_held *h = q_at(c, i);

		if (h->wait_rst && key_eq(&h->row.key, &k)) {
			to_rst_sent(&h->row);
			h->wait_rst = false;
			return;
		}
	}
	/* The RST may leave before the socket reaches CLOSE (timer aborts). */
	if (c->nrst == TT_RST_PENDING)
		c->rst[0] = c->rst[--c->nrst];
	c->rst[c->nrst].key = k;
	c->rst[c->nrst].ts_ns = e->ts_ns;
	c->nrst++;
}

int tt_cls_feed(struct tt_classifier *c, const struct tt_event *e)
{
	struct tt_held *h;
	struct tt_row r;

	if (e->fact == TT_FACT_RST_SENT) {
		on_rst_sent(c, e);
		return tt_cls_flush(c, e->ts_ns, false);
	}
	if (tt_classify(e, &r))
		return c->cb_err;

	/* Active connections: within the kernel-side filters, whoever owns them. */
	if (tt_cls_key_wanted(c->cfg, &r.key)) {
		if (r.type == TT_CONNECT || r.type == TT_ACCEPT) {
			if (tt_conntab_add(&c->active, &r.key) < 0)
				return -ENOMEM;
		} else if (e->fact == TT_FACT_CLOSED) {
			tt_conntab_del(&c->active, &r.key);
		}
	}

	if (c->qlen == TT_QUEUE_MAX)
		q_pop(c);
	h = q_at(c, c->qlen++);
	h->row = r;
	h->wait_rst = false;
	/* An orderly-looking close of an established socket may be an abort whose RST follows. */
	if (r.type == TT_CLOSE && e->err == 0 && e->oldstate != TCP_SYN_SENT &&
	    e->oldstate != TCP_LAST_ACK && e->oldstate != TCP_CLOSING) {
		h->wait_rst = true;
		for (size_t i = 0; i < c->nrst; i++) {
			if (key_eq(&c->rst[i].key, &r.key)) {
				to_rst_sent(&h->row);
				h->wait_rst = false;
				c->rst[i] = c->rst[--c->nrst];
				break;
			}
		}
	}
	return tt_cls_flush(c, e->ts_ns, false);
}

void tt_cls_summary(const struct tt_counts *n, double seconds, struct tt_summary *s)
{
	uint64_t ok = n->n[TT_CONNECT] + n->n[TT_ACCEPT];
	uint64_t failed = n->n[TT_REFUSED] + n->n[TT_TIMEOUT] + n->n[TT_UNREACH];

	s->conn_rate = seconds > 0 ? ok / seconds : 0;
	s->failure_pct = ok + failed ? 100.0 * failed / (ok + failed) : 0;
}
