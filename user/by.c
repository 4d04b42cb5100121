// SPDX-License-Identifier: GPL-2.0
/*
 * The per-key summary: a key's counts and latency histogram, found through
 * its capped label (mlabels.c), and its table and JSON renderings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "by.h"
#include "escape.h"
#include "format.h"

/* a key escaped: \u00NN (JSON) or \xNN (table) at most per byte */
#define KEY_ESC_MAX	(TT_MLABEL_VALUE_MAX * 6 + 1)

static const char *const kind_heads[] = {
	[TT_BY_PORT] = "PORT", [TT_BY_COMM] = "COMM", [TT_BY_REMOTE] = "REMOTE",
	[TT_BY_NETNS] = "NETNS",
};

int tt_by_init(struct tt_by *b, enum tt_by_kind kind, unsigned int cap)
{
	int ret;

	memset(b, 0, sizeof(*b));
	if (kind <= TT_BY_NONE || kind > TT_BY_NETNS)
		return -EINVAL;
	ret = tt_mlabel_init(&b->keys, cap);
	if (ret)
		return ret;
	/* all up front, as the keys' own table: traffic allocates nothing */
	b->st = calloc(cap + 1, sizeof(*b->st));
	if (!b->st) {
		tt_mlabel_free(&b->keys);
		return -ENOMEM;
	}
	b->kind = kind;
	return 0;
}

void tt_by_free(struct tt_by *b)
{
	if (!b->st)
		return;
	tt_mlabel_free(&b->keys);
	free(b->st);
	b->st = NULL;
}

static void key_of(const struct tt_by *b, const struct tt_row *r, char *out, size_t len)
{
	switch (b->kind) {
	case TT_BY_PORT:
		tt_row_label(TT_ML_PORT, r, r->dir, out, len);
		return;
	case TT_BY_COMM:
		tt_row_label(TT_ML_COMM, r, r->dir, out, len);
		return;
	case TT_BY_NETNS:
		tt_row_label(TT_ML_NETNS, r, r->dir, out, len);
		return;
	default:
		tt_fmt_addr(&r->key, tt_row_remote_is_saddr(r, r->dir), out, len);
		return;
	}
}

void tt_by_observe(struct tt_by *b, const struct tt_row *r)
{
	char k[TT_MLABEL_VALUE_MAX];
	struct tt_by_stats *s;

	if (!b->st || (unsigned int)r->type >= TT_NTYPES)
		return;
	key_of(b, r, k, sizeof(k));
	s = &b->st[tt_mlabel_index(&b->keys, k)];
	s->n[r->type]++;
	if ((r->type == TT_CONNECT || r->type == TT_ACCEPT) && r->lat_ms >= 0)
		tt_hist_observe(&s->hs, r->lat_ms);
}

uint64_t tt_by_attempts(const struct tt_by_stats *s)
{
	return s->n[TT_CONNECT] + s->n[TT_ACCEPT] + s->n[TT_REFUSED] + s->n[TT_TIMEOUT] +
	       s->n[TT_UNREACH];
}

static bool has_rows(const struct tt_by_stats *s)
{
	return tt_by_attempts(s) || s->n[TT_RESET];
}

/* Insertion into the short list: the earlier key first on equal attempts. */
unsigned int tt_by_top(const struct tt_by *b, unsigned int *idx, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = TT_MLABEL_OTHER_IDX + 1; b->st && i < b->keys.n; i++) {
		uint64_t a = tt_by_attempts(&b->st[i]);
		unsigned int j;

		if (!has_rows(&b->st[i]))
			continue;
		for (j = n; j > 0 && tt_by_attempts(&b->st[idx[j - 1]]) < a; j--)
			if (j < max)
				idx[j] = idx[j - 1];
		if (j < max) {
			idx[j] = i;
			if (n < max)
				n++;
		}
	}
	return n;
}

/* The shown keys: the top ones, then "other" when it holds rows; how many. */
static unsigned int shown(const struct tt_by *b, unsigned int *idx)
{
	unsigned int n = tt_by_top(b, idx, TT_BY_TOP);

	if (b->st && has_rows(&b->st[TT_MLABEL_OTHER_IDX]))
		idx[n++] = TT_MLABEL_OTHER_IDX;
	return n;
}

/* A percentile in ms with two decimals into @buf, or "-" when there is no latency. */
static const char *pct_ms(const struct tt_hist *h, double q, char *buf, size_t len)
{
	double s = tt_hist_quantile(h, q);

	if (s < 0)
		return "-";
	snprintf(buf, len, "%.2f", s * 1e3);
	return buf;
}

void tt_by_table(const struct tt_by *b, FILE *f)
{
	unsigned int idx[TT_BY_TOP + 1], n = shown(b, idx);
	int w = strlen(kind_heads[b->kind]);
	char keys[TT_BY_TOP + 1][KEY_ESC_MAX], p50[32], p99[32];

	/* process names are raw bytes from the kernel: escaped for the terminal */
	for (unsigned int i = 0; i < n; i++) {
		int l = tt_escape_table(tt_mlabel_value(&b->keys, idx[i]), TT_MLABEL_VALUE_MAX,
					keys[i], sizeof(keys[i]));

		w = l > w ? l : w;
	}
	fprintf(f, "[Top %u by %s of %u, %llu folded into other]\n", TT_BY_TOP,
		kind_heads[b->kind], b->keys.n - 1, (unsigned long long)b->keys.overflow);
	if (!n)
		return;
	fprintf(f, "%-*s %8s %8s %7s %7s %7s %7s %9s %9s\n", w, kind_heads[b->kind], "ATTEMPTS",
		"OK", "REFUSED", "TIMEOUT", "RESET", "UNREACH", "P50_MS", "P99_MS");
	for (unsigned int i = 0; i < n; i++) {
		const struct tt_by_stats *s = &b->st[idx[i]];

		fprintf(f, "%-*s %8llu %8llu %7llu %7llu %7llu %7llu %9s %9s\n", w,
			keys[i], (unsigned long long)tt_by_attempts(s),
			(unsigned long long)(s->n[TT_CONNECT] + s->n[TT_ACCEPT]),
			(unsigned long long)s->n[TT_REFUSED], (unsigned long long)s->n[TT_TIMEOUT],
			(unsigned long long)s->n[TT_RESET], (unsigned long long)s->n[TT_UNREACH],
			pct_ms(&s->hs, 0.5, p50, sizeof(p50)),
			pct_ms(&s->hs, 0.99, p99, sizeof(p99)));
	}
}

void tt_by_json(const struct tt_by *b, FILE *f)
{
	unsigned int idx[TT_BY_TOP + 1], n = shown(b, idx);
	char key[KEY_ESC_MAX], p[32];

	fputs(",\"by\":[", f);
	for (unsigned int i = 0; i < n; i++) {
		const struct tt_by_stats *s = &b->st[idx[i]];

		tt_escape_json(tt_mlabel_value(&b->keys, idx[i]), TT_MLABEL_VALUE_MAX, key,
			       sizeof(key));
		fprintf(f,
			"%s{\"key\":\"%s\",\"attempts\":%llu,\"ok\":%llu,\"refused\":%llu,"
			"\"timeout\":%llu,\"reset\":%llu,\"unreach\":%llu",
			i ? "," : "", key, (unsigned long long)tt_by_attempts(s),
			(unsigned long long)(s->n[TT_CONNECT] + s->n[TT_ACCEPT]),
			(unsigned long long)s->n[TT_REFUSED], (unsigned long long)s->n[TT_TIMEOUT],
			(unsigned long long)s->n[TT_RESET], (unsigned long long)s->n[TT_UNREACH]);
		/* no latency, no percentile: left out, as a row's unknown values are */
		if (tt_hist_quantile(&s->hs, 0.5) >= 0)
			fprintf(f, ",\"p50_ms\":%s", pct_ms(&s->hs, 0.5, p, sizeof(p)));
		if (tt_hist_quantile(&s->hs, 0.99) >= 0)
			fprintf(f, ",\"p99_ms\":%s", pct_ms(&s->hs, 0.99, p, sizeof(p)));
		fputc('}', f);
	}
	fprintf(f, "],\"by_folded\":%llu", (unsigned long long)b->keys.overflow);
}
