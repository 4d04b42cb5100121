// SPDX-License-Identifier: GPL-2.0
/*
 * -s --by: rows aggregated per key (the service port, never an ephemeral
 * one; "-" for a wire-only row's process), the cap folding new keys into
 * "other", the top keys' order, and the table and JSON renderings after the
 * footer (the percentiles' interpolation is test_metrics's).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "by.h"
#include "output.h"

#define NETNS 4026531840u

static struct tt_row row(enum tt_type type, enum tt_mdir dir, const char *local,
			 uint16_t lport, const char *remote, uint16_t rport)
{
	struct tt_row r = { .type = type, .pid = -1, .dir = dir, .views = TT_VIEW_SOCK };

	r.key.family = AF_INET;
	r.key.netns = NETNS;
	r.key.sport = lport;
	r.key.dport = rport;
	inet_pton(AF_INET, local, r.key.saddr);
	inet_pton(AF_INET, remote, r.key.daddr);
	r.lat_ms = r.wait_ms = r.dur_ms = r.sock_lat_ms = r.wire_lat_ms = -1;
	r.bytes_sent = r.bytes_recv = -1;
	return r;
}

static struct tt_row out_row(enum tt_type type, uint16_t dport, double lat_ms)
{
	struct tt_row r = row(type, TT_MDIR_OUT, "10.0.0.1", 50000 + dport % 1000, "10.0.0.2",
			      dport);

	r.lat_ms = lat_ms;
	strcpy(r.comm, "curl");
	return r;
}

/* The stats of key @k, or NULL when it was never seen. */
static const struct tt_by_stats *stats(const struct tt_by *b, const char *k)
{
	for (unsigned int i = 0; i < b->keys.n; i++)
		if (!strcmp(tt_mlabel_value(&b->keys, i), k))
			return &b->st[i];
	return NULL;
}

static void observe(struct tt_by *b, struct tt_row r)
{
	tt_by_observe(b, &r);
}

static void test_by_port(void **state)
{
	struct tt_by b;
	const struct tt_by_stats *s;
	struct tt_row in;

	(void)state;
	assert_int_equal(tt_by_init(&b, TT_BY_PORT, 10), 0);
	observe(&b, out_row(TT_CONNECT, 443, 1.0));
	observe(&b, out_row(TT_REFUSED, 443, -1));
	observe(&b, out_row(TT_TIMEOUT, 443, -1));
	observe(&b, out_row(TT_UNREACH, 443, -1));
	observe(&b, out_row(TT_RESET, 443, -1));
	observe(&b, out_row(TT_CLOSE, 443, -1));
	/* an inbound socket row is keyed from this host: its sport is the service */
	in = row(TT_ACCEPT, TT_MDIR_IN, "10.0.0.1", 22, "10.0.0.9", 40000);
	in.lat_ms = 0.2;
	observe(&b, in);
	/* a wire-only inbound row is keyed from the initiator: its dport is */
	in = row(TT_ACCEPT, TT_MDIR_IN, "10.0.0.9", 40001, "10.0.0.1", 22);
	in.views = TT_VIEW_WIRE;
	observe(&b, in);

	s = stats(&b, "443");
	assert_non_null(s);
	assert_int_equal(tt_by_attempts(s), 4);
	assert_int_equal(s->n[TT_CONNECT], 1);
	assert_int_equal(s->n[TT_REFUSED], 1);
	assert_int_equal(s->n[TT_TIMEOUT], 1);
	assert_int_equal(s->n[TT_UNREACH], 1);
	assert_int_equal(s->n[TT_RESET], 1);
	assert_int_equal(s->n[TT_CLOSE], 1);
	s = stats(&b, "22");
	assert_non_null(s);
	assert_int_equal(s->n[TT_ACCEPT], 2);
	assert_null(stats(&b, "40000"));
	assert_null(stats(&b, "40001"));
	assert_null(stats(&b, "50443"));
	assert_int_equal(b.keys.n, 3);	/* "other", 443, 22 */
	tt_by_free(&b);
}

static void test_by_comm_remote_netns(void **state)
{
	struct tt_row r = out_row(TT_CONNECT, 80, 1), in;
	struct tt_by b;

	(void)state;
	assert_int_equal(tt_by_init(&b, TT_BY_COMM, 10), 0);
	observe(&b, r);
	r.comm[0] = '\0';	/* a wire-only row has no process */
	observe(&b, r);
	assert_non_null(stats(&b, "curl"));
	assert_non_null(stats(&b, "-"));
	tt_by_free(&b);

	assert_int_equal(tt_by_init(&b, TT_BY_REMOTE, 10), 0);
	observe(&b, out_row(TT_CONNECT, 80, 1));
	in = row(TT_ACCEPT, TT_MDIR_IN, "10.0.0.1", 22, "10.0.0.9", 40000);
	observe(&b, in);
	in = row(TT_ACCEPT, TT_MDIR_IN, "10.0.0.7", 40000, "10.0.0.1", 22);
	in.views = TT_VIEW_WIRE;
	observe(&b, in);
	assert_non_null(stats(&b, "10.0.0.2"));
	assert_non_null(stats(&b, "10.0.0.9"));
	assert_non_null(stats(&b, "10.0.0.7"));
	assert_null(stats(&b, "10.0.0.1"));
	tt_by_free(&b);

	assert_int_equal(tt_by_init(&b, TT_BY_NETNS, 10), 0);
	observe(&b, out_row(TT_CONNECT, 80, 1));
	r.key.netns = 0;
	observe(&b, r);
	assert_non_null(stats(&b, "4026531840"));
	assert_non_null(stats(&b, "-"));
	tt_by_free(&b);

	assert_int_equal(tt_by_init(&b, TT_BY_NONE, 10), -EINVAL);
	assert_int_equal(tt_by_init(&b, TT_BY_PORT, 0), -EINVAL);
}

/* Past the cap new keys fold into "other", counted; known keys still count as themselves. */
static void test_by_cap_fold(void **state)
{
	const struct tt_by_stats *other;
	struct tt_by b;

	(void)state;
	assert_int_equal(tt_by_init(&b, TT_BY_PORT, 2), 0);
	observe(&b, out_row(TT_CONNECT, 1, 1));
	observe(&b, out_row(TT_CONNECT, 2, 1));
	observe(&b, out_row(TT_CONNECT, 3, 1));
	observe(&b, out_row(TT_REFUSED, 4, -1));
	observe(&b, out_row(TT_CONNECT, 1, 1));
	assert_int_equal(b.keys.n, 3);
	assert_int_equal(b.keys.overflow, 2);
	assert_int_equal(stats(&b, "1")->n[TT_CONNECT], 2);
	assert_null(stats(&b, "3"));
	other = stats(&b, TT_MLABEL_OTHER);
	assert_int_equal(other->n[TT_CONNECT], 1);
	assert_int_equal(other->n[TT_REFUSED], 1);
	tt_by_free(&b);
}

/* The most attempts first, the earlier key first on a tie, at most @max. */
static void test_by_top(void **state)
{
	unsigned int idx[13];
	struct tt_by b;

	(void)state;
	assert_int_equal(tt_by_init(&b, TT_BY_PORT, 100), 0);
	/* port 100 + i gets i attempts, 12 ports; port 200 only resets */
	for (int i = 1; i <= 12; i++)
		for (int j = 0; j < i; j++)
			observe(&b, out_row(j % 2 ? TT_REFUSED : TT_CONNECT, 100 + i, 1));
	observe(&b, out_row(TT_CONNECT, 300, 1));
	observe(&b, out_row(TT_CLOSE, 400, -1));
	assert_int_equal(tt_by_top(&b, idx, TT_BY_TOP), TT_BY_TOP);
	for (int i = 0; i < TT_BY_TOP; i++) {
		char want[8];

		snprintf(want, sizeof(want), "%d", 112 - i);
		assert_string_equal(tt_mlabel_value(&b.keys, idx[i]), want);
	}
	/* ties: 101 (first seen) before 300; the CLOSE-only key is not shown */
	assert_int_equal(tt_by_top(&b, idx, 13), 13);
	assert_string_equal(tt_mlabel_value(&b.keys, idx[11]), "101");
	assert_string_equal(tt_mlabel_value(&b.keys, idx[12]), "300");
	assert_int_equal(tt_by_top(&b, idx, 1), 1);
	assert_string_equal(tt_mlabel_value(&b.keys, idx[0]), "112");
	tt_by_free(&b);
}

static char *summary_text(enum tt_format fmt, const struct tt_by *b)
{
	struct tt_summary s = { .ts_ns = 0, .evicted = -1, .by = b };
	struct tt_out *o = calloc(1, sizeof(*o));
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(o);
	tt_out_init(o, f, fmt);
	o->utc = true;
	assert_int_equal(tt_out_summary(o, &s), 0);
	fclose(f);
	free(o);
	return buf;
}

static void fill(struct tt_by *b)
{
	struct tt_row r;

	for (int i = 0; i < 3; i++)
		observe(b, out_row(TT_CONNECT, 443, 0.3));
	observe(b, out_row(TT_REFUSED, 443, -1));
	observe(b, out_row(TT_TIMEOUT, 8080, -1));
	observe(b, out_row(TT_RESET, 8080, -1));
	/* past the cap of 2: into "other" */
	r = out_row(TT_UNREACH, 9999, -1);
	observe(b, r);
}

/* The footer of fill()'s rows by port, capped at 2 keys, holds @want. */
static void expect_filled(enum tt_format fmt, const char *want)
{
	struct tt_by b;
	char *t;

	assert_int_equal(tt_by_init(&b, TT_BY_PORT, 2), 0);
	fill(&b);
	t = summary_text(fmt, &b);
	assert_non_null(strstr(t, want));
	free(t);
	tt_by_free(&b);
}

static void test_table(void **state)
{
	struct tt_by b;
	char *t;

	(void)state;
	expect_filled(TT_FMT_TABLE, "[Failure rate: 0.0%]\n"
		"[Top 10 by PORT of 2, 1 folded into other]\n"
		"PORT  ATTEMPTS       OK REFUSED TIMEOUT   RESET UNREACH    P50_MS    P99_MS\n"
		"443          4        3       1       0       0       0      0.38      0.50\n"
		"8080         1        0       0       1       1       0         -         -\n"
		"other        1        0       0       0       0       1         -         -\n");

	/* nothing seen yet: the heading alone */
	assert_int_equal(tt_by_init(&b, TT_BY_COMM, 2), 0);
	t = summary_text(TT_FMT_TABLE, &b);
	assert_non_null(strstr(t, "[Top 10 by COMM of 0, 0 folded into other]\n"));
	assert_null(strstr(t, "ATTEMPTS"));
	free(t);
	tt_by_free(&b);
}

static void test_json(void **state)
{
	struct tt_by b;
	struct tt_row r = out_row(TT_CONNECT, 80, 2);
	char *t;

	(void)state;
	expect_filled(TT_FMT_JSON, ",\"by\":["
		"{\"key\":\"443\",\"attempts\":4,\"ok\":3,\"refused\":1,\"timeout\":0,\"reset\":0,"
		"\"unreach\":0,\"p50_ms\":0.38,\"p99_ms\":0.50},"
		"{\"key\":\"8080\",\"attempts\":1,\"ok\":0,\"refused\":0,\"timeout\":1,\"reset\":1,"
		"\"unreach\":0},"
		"{\"key\":\"other\",\"attempts\":1,\"ok\":0,\"refused\":0,\"timeout\":0,\"reset\":0,"
		"\"unreach\":1}],\"by_folded\":1}\n");

	/* a process name is escaped as JSON */
	assert_int_equal(tt_by_init(&b, TT_BY_COMM, 2), 0);
	strcpy(r.comm, "a\"b\x01");
	observe(&b, r);
	t = summary_text(TT_FMT_JSON, &b);
	assert_non_null(strstr(t, "{\"key\":\"a\\\"b\\u0001\",\"attempts\":1"));
	free(t);
	t = summary_text(TT_FMT_TABLE, &b);
	assert_non_null(strstr(t, "\na\"b\\x01 "));
	free(t);
	tt_by_free(&b);

	/* without --by the SUMMARY object has no "by" */
	t = summary_text(TT_FMT_JSON, NULL);
	assert_null(strstr(t, "\"by\""));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_port),
		cmocka_unit_test(test_by_comm_remote_netns),
		cmocka_unit_test(test_by_cap_fold),
		cmocka_unit_test(test_by_top),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
