// SPDX-License-Identifier: GPL-2.0
/*
 * The metric set and its page.  Every count lives in a cell: the counters
 * and histograms of one combination of the optional labels' values.  With
 * no optional label there is one cell; with labels, cell 0 is the
 * combination of all "other" values, and the rest are made as rows bring
 * new combinations, up to a cap (mlabels.h holds each label's own cap).
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expo.h"
#include "metrics.h"

#define NFAM 2
#define M_PREFIX "tcptrack_"

const double tt_hs_bounds[TT_HS_NBOUNDS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 1.5, 3, 3.5, 7, 7.5,
};

_Static_assert(TT_NTYPES == 7, "type_names[] follows enum tt_type");
static const char *const type_names[TT_NTYPES] = {
	"connect", "accept", "close", "refused", "timeout", "reset", "unreach",
};
static const char *const dir_names[TT_MDIR_N] = { "out", "in", "fwd" };
static const char *const fam_names[NFAM] = { "ipv4", "ipv6" };
static const char *const view_names[TT_HVIEW_N] = { "sock", "wire" };
static const char *const label_names[TT_ML_N] = {
	"port", "comm", "iface", "netns", "remote_net",
};

struct cell {
	uint16_t v[TT_ML_N];		/* each optional label's value index */
	uint8_t seen;			/* bit d * NFAM + f: events of direction d, family f */
	uint64_t events[TT_NTYPES][TT_MDIR_N][NFAM];
	struct tt_hist hs[TT_MDIR_N][TT_HVIEW_N];
};

struct tt_metrics {
	unsigned int labels;
	struct tt_mlabel lv[TT_ML_N];
	struct tt_prefix nets[TT_METRICS_MAX_NETS];
	int nnets;
	struct cell *cells;
	uint32_t ncells, max_cells;
	uint32_t *ctab;			/* hash of a cell's values -> its index + 1; 0: empty */
	uint32_t cmask;
	uint64_t cell_overflow;		/* rows whose new combination went to cell 0 */
	uint64_t syn_retrans[TT_MDIR_N];
	uint64_t active[NFAM];
	uint64_t lost, evicted, truncated;
	struct {
		int ifindex;
		char name[TT_IFNAMSIZ];
	} ifnames[TT_METRICS_MAX_IFNAMES];
	int nifnames;
	char version[64], accept_hook[32], tc_attach[32];
	double start_time;
};

/* Which (type, direction) pairs can happen, so their series exist from the start. */
static bool valid(int type, int dir)
{
	if (type == TT_ACCEPT)
		return dir == TT_MDIR_IN;
	/* the wire view has no unreachable fact; an UNREACH is a local connect() failing */
	if (type == TT_UNREACH)
		return dir == TT_MDIR_OUT;
	return true;
}

/* Histograms: the wire view alone sees forwarded handshakes. */
static bool hvalid(int dir, int view)
{
	return dir != TT_MDIR_FWD || view == TT_HVIEW_WIRE;
}

static void copy_str(char *dst, size_t n, const char *src, const char *none)
{
	snprintf(dst, n, "%s", src && *src ? src : none);
}

int tt_metrics_new(struct tt_metrics **mp, const struct tt_metrics_config *cfg)
{
	unsigned int cap = cfg->max_values ? cfg->max_values : TT_METRICS_DEFAULT_MAX_VALUES;
	struct tt_metrics *m;
	uint32_t slots = 2;
	int ret = -ENOMEM;

	*mp = NULL;
	if (cfg->nnets < 0 || cfg->nnets > TT_METRICS_MAX_NETS || cap > TT_MLABEL_CAP_MAX)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->labels = cfg->labels & ((1u << TT_ML_N) - 1);
	memcpy(m->nets, cfg->nets, cfg->nnets * sizeof(cfg->nets[0]));
	m->nnets = cfg->nnets;
	copy_str(m->version, sizeof(m->version), cfg->version, "unknown");
	copy_str(m->accept_hook, sizeof(m->accept_hook), cfg->accept_hook, "none");
	copy_str(m->tc_attach, sizeof(m->tc_attach), cfg->tc_attach, "none");
	m->start_time = cfg->start_time;
	for (int k = 0; k < TT_ML_N; k++) {
		if (!(m->labels & (1u << k)))
			continue;
		ret = tt_mlabel_init(&m->lv[k], cap);
		if (ret)
			goto err;
	}
	m->max_cells = m->labels ? 1 + TT_METRICS_CELLS_PER_VALUE * cap : 1;
	while (slots < 2 * m->max_cells)
		slots *= 2;
	ret = -ENOMEM;
	/* all up front: a burst of new combinations allocates nothing */
	m->cells = calloc(m->max_cells, sizeof(*m->cells));
	m->ctab = calloc(slots, sizeof(*m->ctab));
	if (!m->cells || !m->ctab)
		goto err;
	m->cmask = slots - 1;
	/* cell 0: every series of it exists from the start */
	m->cells[0].seen = (1u << (TT_MDIR_N * NFAM)) - 1;
	m->ncells = 1;
	*mp = m;
	return 0;
err:
	tt_metrics_free(m);
	return ret;
}

void tt_metrics_free(struct tt_metrics *m)
{
	if (!m)
		return;
	for (int k = 0; k < TT_ML_N; k++)
		tt_mlabel_free(&m->lv[k]);
	free(m->cells);
	free(m->ctab);
	free(m);
}

int tt_metrics_add_ifname(struct tt_metrics *m, int ifindex, const char *name)
{
	if (m->nifnames == TT_METRICS_MAX_IFNAMES)
		return -ENOSPC;
	m->ifnames[m->nifnames].ifindex = ifindex;
	copy_str(m->ifnames[m->nifnames].name, TT_IFNAMSIZ, name, "-");
	m->nifnames++;
	return 0;
}

static int fam_idx(uint16_t family)
{
	return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

/*
 * Rows with a socket view are keyed from the local end (saddr, sport);
 * wire-only rows from the initiator's.  The responder is then the remote
 * end except for an inbound socket row, where this host responded.
 */
static bool local_responder(const struct tt_row *r, enum tt_mdir dir)
{
	return dir == TT_MDIR_IN && ((r->views & TT_VIEW_SOCK) || !r->views);
}

bool tt_row_remote_is_saddr(const struct tt_row *r, enum tt_mdir dir)
{
	return dir == TT_MDIR_IN && !local_responder(r, dir);
}

static void remote_net(const struct tt_metrics *m, const struct tt_row *r, enum tt_mdir dir,
		       char *out, size_t outlen)
{
	const struct tt_prefix *best = NULL;
	const uint8_t *a = tt_row_remote_is_saddr(r, dir) ? r->key.saddr : r->key.daddr;

	for (int i = 0; i < m->nnets; i++) {
		const struct tt_prefix *p = &m->nets[i];

		if (tt_cidr_match(p, r->key.family, a) && (!best || p->len > best->len))
			best = p;
	}
	if (best)
		tt_cidr_str(best, out, outlen);
	else
		snprintf(out, outlen, TT_MLABEL_OTHER);
}

int tt_row_label(enum tt_mlabel_kind k, const struct tt_row *r, enum tt_mdir dir, char *out,
		 size_t outlen)
{
	switch (k) {
	case TT_ML_PORT:
		snprintf(out, outlen, "%u", local_responder(r, dir) ? r->key.sport : r->key.dport);
		return 0;
	case TT_ML_COMM:
		copy_str(out, outlen, r->comm, "-");
		return 0;
	case TT_ML_NETNS:
		if (r->key.netns)
			snprintf(out, outlen, "%u", r->key.netns);
		else
			copy_str(out, outlen, NULL, "-");
		return 0;
	default:
		return -EINVAL;
	}
}

static void label_value(const struct tt_metrics *m, enum tt_mlabel_kind k, const struct tt_row *r,
			enum tt_mdir dir, char *out, size_t outlen)
{
	switch (k) {
	case TT_ML_IFACE:
		for (int i = 0; i < m->nifnames; i++) {
			if (m->ifnames[i].ifindex == r->ifindex) {
				copy_str(out, outlen, m->ifnames[i].name, "-");
				return;
			}
		}
		if (r->ifindex)
			snprintf(out, outlen, "if%d", r->ifindex);
		else
			copy_str(out, outlen, NULL, "-");
		return;
	case TT_ML_REMOTE_NET:
		remote_net(m, r, dir, out, outlen);
		return;
	default:
		tt_row_label(k, r, dir, out, outlen);
		return;
	}
}

static uint32_t cell_hash(const uint16_t *v)
{
	uint32_t h = 0;

	for (int k = 0; k < TT_ML_N; k++)
		h = (h ^ v[k]) * 0x9e3779b1u;
	return h ^ h >> 15;
}

/* The cell of @v, made if new and there is room; cell 0 otherwise. */
static struct cell *cell_get(struct tt_metrics *m, const uint16_t *v)
{
	uint32_t i = cell_hash(v) & m->cmask;
	struct cell *c;

	if (!memcmp(v, m->cells[0].v, sizeof(m->cells[0].v)))
		return &m->cells[0];
	for (;; i = (i + 1) & m->cmask) {
		uint32_t s = m->ctab[i];

		if (!s)
			break;
		if (!memcmp(m->cells[s - 1].v, v, sizeof(m->cells[0].v)))
			return &m->cells[s - 1];
	}
	if (m->ncells == m->max_cells) {
		m->cell_overflow++;
		return &m->cells[0];
	}
	c = &m->cells[m->ncells];
	memcpy(c->v, v, sizeof(c->v));
	m->ctab[i] = ++m->ncells;
	return c;
}

static struct cell *cell_of(struct tt_metrics *m, const struct tt_row *r, enum tt_mdir dir)
{
	uint16_t v[TT_ML_N] = { 0 };
	char s[TT_MLABEL_VALUE_MAX];

	if (!m->labels)
		return &m->cells[0];
	for (int k = 0; k < TT_ML_N; k++) {
		if (!(m->labels & (1u << k)))
			continue;
		label_value(m, k, r, dir, s, sizeof(s));
		v[k] = tt_mlabel_index(&m->lv[k], s);
	}
	return cell_get(m, v);
}

void tt_hist_observe(struct tt_hist *h, double ms)
{
	double s = ms / 1e3;
	int i = 0;

	while (i < TT_HS_NBOUNDS && s > tt_hs_bounds[i])
		i++;
	h->counts[i]++;
	h->sum += s;
}

/*
 * Linear interpolation inside the bucket that holds the rank, from 0 below
 * the first bound; above the last bound the estimate is the last bound.
 */
double tt_hist_quantile(const struct tt_hist *h, double q)
{
	uint64_t total = 0, cum = 0;
	double rank;

	for (int i = 0; i <= TT_HS_NBOUNDS; i++)
		total += h->counts[i];
	if (!total)
		return -1;
	rank = q * total;
	for (int i = 0; i < TT_HS_NBOUNDS; i++) {
		double lo = i ? tt_hs_bounds[i - 1] : 0;

		if (h->counts[i] && cum + h->counts[i] >= rank)
			return lo + (tt_hs_bounds[i] - lo) * (rank - cum) / h->counts[i];
		cum += h->counts[i];
	}
	return tt_hs_bounds[TT_HS_NBOUNDS - 1];
}

static void count(struct cell *c, int type, int dir, int fam, uint64_t n)
{
	c->events[type][dir][fam] += n;
	c->seen |= 1u << (dir * NFAM + fam);
}

void tt_metrics_observe_row(struct tt_metrics *m, const struct tt_row *r, enum tt_mdir dir)
{
	int fam = fam_idx(r->key.family), syns;
	bool sock = (r->views & TT_VIEW_SOCK) || !r->views;
	struct cell *c;

	if (fam < 0 || (unsigned int)r->type >= TT_NTYPES || (unsigned int)dir >= TT_MDIR_N)
		return;
	c = cell_of(m, r, dir);
	count(c, r->type, dir, fam, 1);
	if (r->type == TT_CONNECT || r->type == TT_ACCEPT) {
		double sock_ms = r->views ? r->sock_lat_ms : r->lat_ms;

		if (sock && sock_ms >= 0)
			tt_hist_observe(&c->hs[dir][TT_HVIEW_SOCK], sock_ms);
		if ((r->views & TT_VIEW_WIRE) && r->wire_lat_ms >= 0)
			tt_hist_observe(&c->hs[dir][TT_HVIEW_WIRE], r->wire_lat_ms);
	}
	/* rows that end a handshake; a later CLOSE carries the same SYNs again */
	if (r->type != TT_CLOSE && r->type != TT_RESET) {
		syns = r->syns > r->wire_syns ? r->syns : r->wire_syns;
		if (syns > 1)
			m->syn_retrans[dir] += syns - 1;
	}
}

void tt_metrics_add_events(struct tt_metrics *m, enum tt_type type, enum tt_mdir dir,
			   int family, uint64_t n)
{
	int fam = fam_idx(family);

	if (fam >= 0 && (unsigned int)type < TT_NTYPES && (unsigned int)dir < TT_MDIR_N)
		count(&m->cells[0], type, dir, fam, n);
}

void tt_metrics_set_active(struct tt_metrics *m, uint64_t ipv4, uint64_t ipv6)
{
	m->active[0] = ipv4;
	m->active[1] = ipv6;
}

static void raise_to(uint64_t *counter, uint64_t total)
{
	if (total > *counter)
		*counter = total;
}

void tt_metrics_set_losses(struct tt_metrics *m, uint64_t lost, uint64_t evicted,
			   uint64_t truncated)
{
	raise_to(&m->lost, lost);
	raise_to(&m->evicted, evicted);
	raise_to(&m->truncated, truncated);
}

/* The optional labels of @c, after the ones already in @l. */
static void cell_labels(const struct tt_metrics *m, const struct cell *c,
			struct tt_expo_labels *l)
{
	for (int k = 0; k < TT_ML_N; k++)
		if (m->labels & (1u << k))
			tt_expo_label(l, label_names[k], tt_mlabel_value(&m->lv[k], c->v[k]));
}

/* A cell's event series: the valid ones of each (direction, family) it has seen, and any not 0. */
static void render_cell_events(const struct tt_metrics *m, const struct cell *c,
			       struct tt_buf *b)
{
	for (int t = 0; t < TT_NTYPES; t++) {
		for (int i = 0; i < TT_MDIR_N * NFAM; i++) {
			int d = i / NFAM, f = i % NFAM;
			struct tt_expo_labels l = { 0 };
			uint64_t n = c->events[t][d][f];

			if (!n && (!valid(t, d) || !(c->seen & 1u << i)))
				continue;
			tt_expo_label(&l, "type", type_names[t]);
			tt_expo_label(&l, "direction", dir_names[d]);
			tt_expo_label(&l, "family", fam_names[f]);
			cell_labels(m, c, &l);
			tt_expo_u64(b, M_PREFIX "events_total", &l, n);
		}
	}
}

static void render_events(const struct tt_metrics *m, struct tt_buf *b)
{
	tt_expo_family(b, M_PREFIX "events_total",
		       "Connection events by type, as the rows of the output.", TT_EXPO_COUNTER);
	for (uint32_t i = 0; i < m->ncells; i++)
		render_cell_events(m, &m->cells[i], b);
}

static void render_handshakes(const struct tt_metrics *m, struct tt_buf *b)
{
	tt_expo_family(b, M_PREFIX "handshake_seconds",
		       "Handshake time of CONNECT and ACCEPT rows, per view.",
		       TT_EXPO_HISTOGRAM);
	for (uint32_t i = 0; i < m->ncells; i++) {
		const struct cell *c = &m->cells[i];

		for (int d = 0; d < TT_MDIR_N; d++) {
			for (int v = 0; v < TT_HVIEW_N; v++) {
				const struct tt_hist *h = &c->hs[d][v];
				struct tt_expo_labels l = { 0 };
				uint64_t n = 0;

				for (int j = 0; j <= TT_HS_NBOUNDS; j++)
					n += h->counts[j];
				/* cell 0's exist from the start, the others' from their first */
				if (!n && (i || !hvalid(d, v)))
					continue;
				tt_expo_label(&l, "direction", dir_names[d]);
				tt_expo_label(&l, "view", view_names[v]);
				cell_labels(m, c, &l);
				tt_expo_histogram(b, M_PREFIX "handshake_seconds", &l, tt_hs_bounds,
						  TT_HS_NBOUNDS, h->counts, h->sum);
			}
		}
	}
}

static void render_one(struct tt_buf *b, const char *name, const char *help,
		       enum tt_expo_type t, double v)
{
	tt_expo_family(b, name, help, t);
	tt_expo_double(b, name, NULL, v);
}

static void render_labels_overflow(const struct tt_metrics *m, struct tt_buf *b)
{
	if (!m->labels)
		return;
	tt_expo_family(b, M_PREFIX "label_values_overflow_total",
		       "Events whose new label value went to \"other\": the label had its cap.",
		       TT_EXPO_COUNTER);
	for (int k = 0; k < TT_ML_N; k++) {
		struct tt_expo_labels l = { 0 };

		if (!(m->labels & (1u << k)))
			continue;
		tt_expo_label(&l, "label", label_names[k]);
		tt_expo_u64(b, M_PREFIX "label_values_overflow_total", &l, m->lv[k].overflow);
	}
	render_one(b, M_PREFIX "label_combinations_overflow_total",
		   "Events whose new combination of label values went to all \"other\".",
		   TT_EXPO_COUNTER, m->cell_overflow);
}

int tt_metrics_render(const struct tt_metrics *m, struct tt_buf *b)
{
	struct tt_expo_labels l = { 0 };

	render_events(m, b);
	tt_expo_family(b, M_PREFIX "active_connections",
		       "Established connections now, as the footer counts them.", TT_EXPO_GAUGE);
	for (int f = 0; f < NFAM; f++) {
		struct tt_expo_labels fl = { 0 };

		tt_expo_label(&fl, "family", fam_names[f]);
		tt_expo_u64(b, M_PREFIX "active_connections", &fl, m->active[f]);
	}
	render_handshakes(m, b);
	tt_expo_family(b, M_PREFIX "syn_retransmits_total",
		       "SYNs sent again, beyond the first of each handshake.", TT_EXPO_COUNTER);
	for (int d = 0; d < TT_MDIR_N; d++) {
		struct tt_expo_labels dl = { 0 };

		tt_expo_label(&dl, "direction", dir_names[d]);
		tt_expo_u64(b, M_PREFIX "syn_retransmits_total", &dl, m->syn_retrans[d]);
	}
	render_one(b, M_PREFIX "lost_events_total",
		   "Facts the kernel could not deliver (ring buffer full, or skipped).",
		   TT_EXPO_COUNTER, m->lost);
	render_one(b, M_PREFIX "wire_evicted_flows_total",
		   "Wire flows forgotten before they ended (flow table full).", TT_EXPO_COUNTER,
		   m->evicted);
	render_one(b, M_PREFIX "wire_truncated_packets_total",
		   "Wire SYN, RST or FIN packets whose headers could not be read.",
		   TT_EXPO_COUNTER, m->truncated);
	render_labels_overflow(m, b);
	tt_expo_family(b, M_PREFIX "build_info", "Always 1: the version and how it attached.",
		       TT_EXPO_GAUGE);
	tt_expo_label(&l, "version", m->version);
	tt_expo_label(&l, "accept_hook", m->accept_hook);
	tt_expo_label(&l, "tc_attach", m->tc_attach);
	tt_expo_u64(b, M_PREFIX "build_info", &l, 1);
	render_one(b, M_PREFIX "start_time_seconds", "When tracing started, in Unix time.",
		   TT_EXPO_GAUGE, m->start_time);
	return b->err;
}

const char *tt_mlabel_name(enum tt_mlabel_kind k)
{
	return (unsigned int)k < TT_ML_N ? label_names[k] : "?";
}

int tt_metrics_parse_labels(const char *s, unsigned int *mask)
{
	*mask = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		int k;

		for (k = 0; k < TT_ML_N; k++)
			if (strlen(label_names[k]) == n && !strncmp(s, label_names[k], n))
				break;
		if (k == TT_ML_N)
			return -EINVAL;
		*mask |= 1u << k;
		s += n;
		if (*s == ',' && !*++s)
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}
