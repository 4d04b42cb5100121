// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics page: the exposition text (golden), label-value escaping,
 * cumulative histogram buckets, every series present from the start, the
 * label caps, and a scrape checked by Prometheus's own promtool.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "expo.h"
#include "metrics.h"

#include "metrics_golden.h"

static struct tt_buf page;

static int teardown(void **state)
{
	tt_buf_free(&page);
	return 0;
}

static struct tt_row row(enum tt_type type, uint16_t family)
{
	struct tt_row r = { .type = type, .pid = -1 };

	r.key.family = family;
	r.key.netns = 4026531840u;
	r.lat_ms = r.wait_ms = r.dur_ms = r.sock_lat_ms = r.wire_lat_ms = -1;
	r.bytes_sent = r.bytes_recv = -1;
	r.views = TT_VIEW_SOCK;
	return r;
}

static struct tt_metrics *new_metrics(unsigned int labels, unsigned int max_values)
{
	struct tt_metrics_config cfg = {
		.labels = labels,
		.max_values = max_values,
		.version = "v1.2-3-gabcdef",
		.accept_hook = "fexit",
		.tc_attach = "tcx",
		.start_time = 1700000000.25,
	};
	struct tt_metrics *m;

	assert_int_equal(tt_cidr_parse("10.0.0.0/8", &cfg.nets[0]), 0);
	assert_int_equal(tt_cidr_parse("10.1.0.0/16", &cfg.nets[1]), 0);
	assert_int_equal(tt_cidr_parse("2001:db8::/32", &cfg.nets[2]), 0);
	cfg.nnets = 3;
	assert_int_equal(tt_metrics_new(&m, &cfg), 0);
	return m;
}

static const char *render(struct tt_metrics *m)
{
	tt_buf_free(&page);
	tt_buf_init(&page, 0);
	assert_int_equal(tt_metrics_render(m, &page), 0);
	return page.p;
}

/* The value of the sample line that starts with @series ("name{...}"), or -1. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, series, n) && l[n] == ' ')
			return strtod(l + n + 1, NULL);
	return -1;
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += !strncmp(l, prefix, strlen(prefix));
	return n;
}

/* A few rows of every kind the page shows, for the golden text and promtool. */
static void observe_sample(struct tt_metrics *m)
{
	struct tt_row r = row(TT_CONNECT, AF_INET);

	r.lat_ms = r.sock_lat_ms = 0.3;
	r.syns = 1;
	tt_metrics_observe_row(m, &r, TT_MDIR_OUT);

	/* both views: one event, one latency per view */
	r = row(TT_ACCEPT, AF_INET6);
	r.views = TT_VIEW_SOCK | TT_VIEW_WIRE;
	r.sock_lat_ms = 0.1;
	r.wire_lat_ms = 1200;
	r.lat_ms = 1200;
	r.wire_syns = 2;
	tt_metrics_observe_row(m, &r, TT_MDIR_IN);

	r = row(TT_CONNECT, AF_INET);
	r.views = TT_VIEW_WIRE;
	r.wire_lat_ms = r.lat_ms = 9000;
	r.syns = r.wire_syns = 4;
	tt_metrics_observe_row(m, &r, TT_MDIR_FWD);

	r = row(TT_TIMEOUT, AF_INET);
	r.syns = 3;
	tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	r = row(TT_CLOSE, AF_INET);
	tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	tt_metrics_set_active(m, 7, 2);
	tt_metrics_set_losses(m, 11, 12, 13);
}

/* Regenerate with TT_UPDATE_GOLDEN=tests/unit/metrics_golden.h, and review the diff. */
static void update_golden(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "/* SPDX-License-Identifier: GPL-2.0 */\n"
		   "/* test_metrics.c's expected page for observe_sample() */\n"
		   "static const char golden_page[] =\n");
	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		fputs("\t\"", f);
		for (const char *c = l; *c != '\n'; c++)
			fprintf(f, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
		fputs("\\n\"\n", f);
	}
	fputs("\t;\n", f);
	fclose(f);
}

static void test_golden_page(void **state)
{
	struct tt_metrics *m = new_metrics(0, 0);

	observe_sample(m);
	render(m);
	if (getenv("TT_UPDATE_GOLDEN"))
		update_golden(getenv("TT_UPDATE_GOLDEN"), page.p);
	assert_string_equal(page.p, golden_page);
	tt_metrics_free(m);
}

/* Without rows, every valid series is there at 0, and no invalid one. */
static void test_every_series_from_start(void **state)
{
	struct tt_metrics *m = new_metrics(0, 0);
	const char *p = render(m);

	/* 7 types x 3 directions, less accept out/fwd and unreach in/fwd, x 2 families */
	assert_int_equal(count_lines(p, "tcptrack_events_total{"), 34);
	assert_int_equal(sample(p, "tcptrack_events_total{type=\"refused\",direction=\"fwd\","
				   "family=\"ipv6\"}"), 0);
	assert_int_equal(count_lines(p, "tcptrack_events_total{type=\"accept\",direction=\"out\""),
			 0);
	assert_int_equal(count_lines(p, "tcptrack_events_total{type=\"unreach\",direction=\"in\""),
			 0);
	/* out and in in both views, fwd on the wire only */
	assert_int_equal(count_lines(p, "tcptrack_handshake_seconds_count{"), 5);
	assert_int_equal(count_lines(p, "tcptrack_handshake_seconds_count{direction=\"fwd\","
				     "view=\"sock\"}"), 0);
	assert_int_equal(count_lines(p, "tcptrack_label_values_overflow_total"), 0);
	tt_metrics_free(m);
}

static void test_histogram_buckets_cumulative(void **state)
{
	static const double ms[] = { 0.1, 0.3, 0.5, 999, 1000.5, 7500, 7500.1 };
	struct tt_metrics *m = new_metrics(0, 0);
	const char *p;

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		struct tt_row r = row(TT_CONNECT, AF_INET);

		r.sock_lat_ms = ms[i];
		tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	}
	p = render(m);
#define B(le) sample(p, "tcptrack_handshake_seconds_bucket{direction=\"out\",view=\"sock\",le=\"" \
		  le "\"}")
	/* a bound holds the values equal to it (le: less or equal) */
	assert_true(B("0.0001") == 1);
	assert_true(B("0.00025") == 1);
	assert_true(B("0.0005") == 3);
	assert_true(B("0.5") == 3);
	assert_true(B("1") == 4);
	assert_true(B("1.5") == 5);
	assert_true(B("7") == 5);
	assert_true(B("7.5") == 6);
	assert_true(B("+Inf") == 7);
#undef B
#define OUT_SOCK "{direction=\"out\",view=\"sock\"}"
	assert_true(sample(p, "tcptrack_handshake_seconds_count" OUT_SOCK) == 7);
	assert_true(fabs(sample(p, "tcptrack_handshake_seconds_sum" OUT_SOCK) -
			 (0.1 + 0.3 + 0.5 + 999 + 1000.5 + 7500 + 7500.1) / 1e3) < 1e-9);
#undef OUT_SOCK
	/* the other views have none */
	assert_true(sample(p, "tcptrack_handshake_seconds_count{direction=\"out\","
			      "view=\"wire\"}") == 0);
	tt_metrics_free(m);
}

static void test_syn_retransmits(void **state)
{
	struct tt_metrics *m = new_metrics(0, 0);
	struct tt_row r = row(TT_CONNECT, AF_INET);
	const char *p;

	r.syns = 2;
	r.wire_syns = 3;	/* the wire saw one the socket did not count: the larger */
	tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	r.type = TT_CLOSE;	/* a close repeats the handshake's SYNs: not again */
	tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	r.type = TT_REFUSED;
	r.syns = 1;
	r.wire_syns = 0;
	tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	r = row(TT_ACCEPT, AF_INET);
	r.wire_syns = 2;
	tt_metrics_observe_row(m, &r, TT_MDIR_IN);
	p = render(m);
	assert_true(sample(p, "tcptrack_syn_retransmits_total{direction=\"out\"}") == 2);
	assert_true(sample(p, "tcptrack_syn_retransmits_total{direction=\"in\"}") == 1);
	assert_true(sample(p, "tcptrack_syn_retransmits_total{direction=\"fwd\"}") == 0);
	tt_metrics_free(m);
}

static const char *escaped(const char *in)
{
	tt_buf_free(&page);
	tt_buf_init(&page, 0);
	tt_expo_escape(&page, in);
	return page.p ? page.p : "";
}

static void test_label_value_escaping(void **state)
{
	assert_string_equal(escaped("plain-1.2_x"), "plain-1.2_x");
	assert_string_equal(escaped("a\\b"), "a\\\\b");
	assert_string_equal(escaped("say \"hi\""), "say \\\"hi\\\"");
	assert_string_equal(escaped("two\nlines"), "two\\nlines");
	assert_string_equal(escaped("\\\"\n"), "\\\\\\\"\\n");
	/* UTF-8 stays; what is not UTF-8 becomes U+FFFD, byte by byte */
	assert_string_equal(escaped("caf\xc3\xa9 \xe6\x97\xa5"), "caf\xc3\xa9 \xe6\x97\xa5");
#define FFFD "\xef\xbf\xbd"
	assert_string_equal(escaped("\xc0\xaf"), FFFD FFFD);		/* overlong */
	assert_string_equal(escaped("\xed\xa0\x80"), FFFD FFFD FFFD);	/* surrogate */
	assert_string_equal(escaped("\xe6\x97"), FFFD FFFD);		/* cut short */
	assert_string_equal(escaped("a\xff" "b"), "a" FFFD "b");
#undef FFFD
	/* tabs and other controls are legal in a quoted value */
	assert_string_equal(escaped("a\tb"), "a\tb");
}

static void test_help_and_type(void **state)
{
	tt_buf_init(&page, 0);
	tt_expo_family(&page, "x_total", "back\\slash\nnewline \"quotes\"", TT_EXPO_COUNTER);
	assert_string_equal(page.p, "# HELP x_total back\\\\slash\\nnewline \"quotes\"\n"
				    "# TYPE x_total counter\n");
}

static const char *value(double v)
{
	tt_buf_free(&page);
	tt_buf_init(&page, 0);
	tt_expo_value(&page, v);
	return page.p;
}

static void test_values(void **state)
{
	assert_string_equal(value(0), "0");
	assert_string_equal(value(42), "42");
	assert_string_equal(value(0.5), "0.5");
	assert_string_equal(value(0.1), "0.1");
	assert_string_equal(value(0.00025), "0.00025");
	assert_string_equal(value(1700000000.25), "1700000000.25");
	assert_string_equal(value(1e20), "1e+20");
	assert_string_equal(value(INFINITY), "+Inf");
	assert_string_equal(value(-INFINITY), "-Inf");
	assert_string_equal(value(NAN), "NaN");
	assert_true(strtod(value(1.0 / 3), NULL) == 1.0 / 3);
}

/* The optional labels' values: the service port, the peer's network. */
static void test_label_values(void **state)
{
	struct tt_metrics *m = new_metrics(1u << TT_ML_PORT | 1u << TT_ML_COMM |
					   1u << TT_ML_IFACE | 1u << TT_ML_NETNS |
					   1u << TT_ML_REMOTE_NET, 0);
	struct tt_row r = row(TT_ACCEPT, AF_INET);
	const char *p;

	assert_int_equal(tt_metrics_add_ifname(m, 3, "eth0"), 0);
	/* a socket row is keyed from the local end: an inbound one's port is sport */
	r.key.sport = 8080;
	r.key.dport = 51000;
	r.key.daddr[0] = 10;
	r.key.daddr[1] = 1;
	strcpy(r.comm, "nginx");
	r.ifindex = 3;
	tt_metrics_observe_row(m, &r, TT_MDIR_IN);
	/* a wire-only row from the initiator's end: the peer is saddr, the port dport */
	r = row(TT_REFUSED, AF_INET);
	r.views = TT_VIEW_WIRE;
	r.key.netns = 0;
	r.key.sport = 51001;
	r.key.dport = 22;
	r.key.saddr[0] = 10;
	r.key.saddr[1] = 2;
	r.ifindex = 9;
	tt_metrics_observe_row(m, &r, TT_MDIR_IN);
	/* outbound: the remote port; a peer in no listed net */
	r = row(TT_CONNECT, AF_INET6);
	r.key.sport = 40000;
	r.key.dport = 443;
	r.key.daddr[0] = 0x20;
	tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	p = render(m);
	assert_true(sample(p, "tcptrack_events_total{type=\"accept\",direction=\"in\","
			      "family=\"ipv4\",port=\"8080\",comm=\"nginx\",iface=\"eth0\","
			      "netns=\"4026531840\",remote_net=\"10.1.0.0/16\"}") == 1);
	assert_true(sample(p, "tcptrack_events_total{type=\"refused\",direction=\"in\","
			      "family=\"ipv4\",port=\"22\",comm=\"-\",iface=\"if9\","
			      "netns=\"-\",remote_net=\"10.0.0.0/8\"}") == 1);
	assert_true(sample(p, "tcptrack_events_total{type=\"connect\",direction=\"out\","
			      "family=\"ipv6\",port=\"443\",comm=\"-\",iface=\"-\","
			      "netns=\"4026531840\",remote_net=\"other\"}") == 1);
	/* a new combination brings the types of its direction and family, at 0 */
	assert_true(sample(p, "tcptrack_events_total{type=\"timeout\",direction=\"out\","
			      "family=\"ipv6\",port=\"443\",comm=\"-\",iface=\"-\","
			      "netns=\"4026531840\",remote_net=\"other\"}") == 0);
	assert_true(sample(p, "tcptrack_events_total{type=\"timeout\",direction=\"out\","
			      "family=\"ipv4\",port=\"443\",comm=\"-\",iface=\"-\","
			      "netns=\"4026531840\",remote_net=\"other\"}") == -1);
	tt_metrics_free(m);
}

static void observe_port(struct tt_metrics *m, uint16_t port)
{
	struct tt_row r = row(TT_REFUSED, AF_INET);

	r.key.dport = port;
	tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
}

/* Past the cap, new values are "other", and counted; known values keep theirs. */
static void test_label_cap(void **state)
{
	struct tt_metrics *m = new_metrics(1u << TT_ML_PORT, 3);
	const char *p;

	for (int port = 1; port <= 6; port++)
		observe_port(m, port);
	observe_port(m, 2);
	observe_port(m, 6);
	p = render(m);
#define REFUSED(port) sample(p, "tcptrack_events_total{type=\"refused\",direction=\"out\"," \
				"family=\"ipv4\",port=\"" port "\"}")
	assert_true(REFUSED("1") == 1);
	assert_true(REFUSED("2") == 2);
	assert_true(REFUSED("3") == 1);
	assert_true(REFUSED("4") == -1);
	assert_true(REFUSED("other") == 4);
#undef REFUSED
	assert_true(sample(p, "tcptrack_label_values_overflow_total{label=\"port\"}") == 4);
	assert_true(sample(p, "tcptrack_label_combinations_overflow_total") == 0);
	tt_metrics_free(m);
}

/* Combinations of several labels have a cap of their own: 1 + 4 per value. */
static void test_combination_cap(void **state)
{
	struct tt_metrics *m = new_metrics(1u << TT_ML_PORT | 1u << TT_ML_COMM, 2);
	const char *p;

	/* ports 1, 2 and comms a, b, c, d: the comms past 2 are "other" */
	for (int port = 1; port <= 2; port++) {
		for (char c = 'a'; c <= 'd'; c++) {
			struct tt_row r = row(TT_CLOSE, AF_INET);

			r.key.dport = port;
			r.comm[0] = c;
			tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
		}
	}
	/* 1 + 4 * 2 = 9 cells: cell 0 and 6 combinations are made, none refused */
	p = render(m);
	assert_true(sample(p, "tcptrack_label_combinations_overflow_total") == 0);
	assert_true(sample(p, "tcptrack_label_values_overflow_total{label=\"comm\"}") == 4);
	assert_true(sample(p, "tcptrack_events_total{type=\"close\",direction=\"out\","
			      "family=\"ipv4\",port=\"2\",comm=\"other\"}") == 2);
	tt_metrics_free(m);

	/* single label, cap 1: cells 1 + 4 = 5, every row either known or "other" */
	m = new_metrics(1u << TT_ML_PORT | 1u << TT_ML_NETNS, 1);
	for (uint32_t ns = 1; ns <= 3; ns++) {
		for (int port = 1; port <= 3; port++) {
			struct tt_row r = row(TT_CLOSE, AF_INET);

			r.key.dport = port;
			r.key.netns = ns;
			tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
		}
	}
	/* (1,1) (1,o) (o,1) (o,o)=cell 0: within 5, so nothing overflows */
	p = render(m);
	assert_true(sample(p, "tcptrack_label_combinations_overflow_total") == 0);
	assert_true(sample(p, "tcptrack_events_total{type=\"close\",direction=\"out\","
			      "family=\"ipv4\",port=\"other\",netns=\"other\"}") == 4);
	tt_metrics_free(m);
}

/* Memory is bounded: many distinct values take no more than the cap. */
static void test_cap_bounds_the_page(void **state)
{
	struct tt_metrics *m = new_metrics(1u << TT_ML_PORT | 1u << TT_ML_NETNS, 10);
	size_t len;

	/* the first 10 ports and namespaces seen make 100 combinations */
	for (int i = 0; i < 20000; i++) {
		struct tt_row r = row(TT_CONNECT, AF_INET);

		r.key.dport = i % 50;
		r.key.netns = (i / 50) % 50 + 1;
		r.sock_lat_ms = i % 100;
		tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	}
	render(m);
	len = page.len;
	for (int i = 20000; i < 60000; i++) {
		struct tt_row r = row(TT_CONNECT, AF_INET);

		r.key.dport = i;
		r.key.netns = i * 7 + 1;
		tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	}
	render(m);
	assert_int_equal(page.len, len);
	/* 1 + 4 * 10 combinations: the rest overflowed, and new values add nothing */
	assert_true(sample(page.p, "tcptrack_label_combinations_overflow_total") > 0);
	assert_true(count_lines(page.p, "tcptrack_handshake_seconds_count{") <= 41 * 2);
	tt_metrics_free(m);
}

static void test_parse_labels(void **state)
{
	unsigned int mask;

	assert_int_equal(tt_metrics_parse_labels("port", &mask), 0);
	assert_int_equal(mask, 1u << TT_ML_PORT);
	assert_int_equal(tt_metrics_parse_labels("remote_net,comm,port,iface,netns", &mask), 0);
	assert_int_equal(mask, (1u << TT_ML_N) - 1);
	assert_int_equal(tt_metrics_parse_labels("", &mask), -EINVAL);
	assert_int_equal(tt_metrics_parse_labels("port,", &mask), -EINVAL);
	assert_int_equal(tt_metrics_parse_labels(",port", &mask), -EINVAL);
	assert_int_equal(tt_metrics_parse_labels("port,,comm", &mask), -EINVAL);
	assert_int_equal(tt_metrics_parse_labels("ports", &mask), -EINVAL);
	assert_int_equal(tt_metrics_parse_labels("remote", &mask), -EINVAL);
}

static void test_cidr(void **state)
{
	struct tt_prefix p;
	char s[TT_MLABEL_VALUE_MAX];
	uint8_t a[16] = { 10, 255, 1, 2 };

	assert_int_equal(tt_cidr_parse("10.1.2.3/8", &p), 0);
	tt_cidr_str(&p, s, sizeof(s));
	assert_string_equal(s, "10.0.0.0/8");
	assert_true(tt_cidr_match(&p, AF_INET, a));
	a[0] = 11;
	assert_false(tt_cidr_match(&p, AF_INET, a));
	assert_int_equal(tt_cidr_parse("192.168.1.77/27", &p), 0);
	tt_cidr_str(&p, s, sizeof(s));
	assert_string_equal(s, "192.168.1.64/27");
	assert_int_equal(tt_cidr_parse("1.2.3.4", &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(tt_cidr_parse("2001:db8:ffff::1/33", &p), 0);
	tt_cidr_str(&p, s, sizeof(s));
	assert_string_equal(s, "2001:db8:8000::/33");
	assert_int_equal(tt_cidr_parse("::/0", &p), 0);
	assert_true(tt_cidr_match(&p, AF_INET6, a));
	assert_false(tt_cidr_match(&p, AF_INET, a));
	assert_int_equal(tt_cidr_parse("10.0.0.0/33", &p), -EINVAL);
	assert_int_equal(tt_cidr_parse("::/129", &p), -EINVAL);
	assert_int_equal(tt_cidr_parse("10.0.0.0/", &p), -EINVAL);
	assert_int_equal(tt_cidr_parse("10.0.0.0/8x", &p), -EINVAL);
	assert_int_equal(tt_cidr_parse("/8", &p), -EINVAL);
	assert_int_equal(tt_cidr_parse("example.com/8", &p), -EINVAL);
	assert_int_equal(tt_cidr_parse("", &p), -EINVAL);
}

static void test_bad_config(void **state)
{
	struct tt_metrics_config cfg = { .labels = 1u << TT_ML_PORT,
					 .max_values = TT_MLABEL_CAP_MAX + 1 };
	struct tt_metrics *m;

	assert_int_equal(tt_metrics_new(&m, &cfg), -EINVAL);
	assert_null(m);
	cfg.max_values = TT_MLABEL_CAP_MAX;
	cfg.nnets = TT_METRICS_MAX_NETS + 1;
	assert_int_equal(tt_metrics_new(&m, &cfg), -EINVAL);
}

/* Counters never go down, whatever the kernel's totals do; gauges follow. */
static void test_losses_and_gauges(void **state)
{
	struct tt_metrics *m = new_metrics(0, 0);
	const char *p;

	tt_metrics_set_losses(m, 5, 6, 7);
	tt_metrics_set_losses(m, 4, 9, 7);
	tt_metrics_set_active(m, 10, 3);
	tt_metrics_set_active(m, 8, 0);
	tt_metrics_add_events(m, TT_ACCEPT, TT_MDIR_IN, AF_INET6, 5);
	tt_metrics_add_events(m, TT_ACCEPT, TT_MDIR_IN, AF_UNIX, 5);
	p = render(m);
	assert_true(sample(p, "tcptrack_lost_events_total") == 5);
	assert_true(sample(p, "tcptrack_wire_evicted_flows_total") == 9);
	assert_true(sample(p, "tcptrack_wire_truncated_packets_total") == 7);
	assert_true(sample(p, "tcptrack_active_connections{family=\"ipv4\"}") == 8);
	assert_true(sample(p, "tcptrack_active_connections{family=\"ipv6\"}") == 0);
	assert_true(sample(p, "tcptrack_events_total{type=\"accept\",direction=\"in\","
			      "family=\"ipv6\"}") == 5);
	tt_metrics_free(m);
}

static void test_buf_ceiling(void **state)
{
	struct tt_buf b;

	tt_buf_init(&b, 10);
	tt_buf_puts(&b, "12345");
	tt_buf_printf(&b, "%d", 6789);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.p, "123456789");
	tt_buf_printf(&b, "%s", "x");
	assert_int_equal(b.err, -E2BIG);
	assert_string_equal(b.p, "123456789");
	tt_buf_reset(&b);
	assert_int_equal(b.len, 0);
	tt_buf_free(&b);

	/* growth past the first allocation, in one printf */
	tt_buf_init(&b, 0);
	tt_buf_printf(&b, "%5000d|", 1);
	assert_int_equal(b.len, 5001);
	assert_int_equal(b.p[5000], '|');
	tt_buf_free(&b);
}

/*
 * Prometheus's own parser and linter on a page with every kind of metric,
 * optional labels and a hostile process name.  Skipped where the
 * prometheus package (scripts/setup) is not installed.
 */
static void test_promtool(void **state)
{
	struct tt_metrics *m = new_metrics((1u << TT_ML_N) - 1, 0);
	struct tt_row r = row(TT_CONNECT, AF_INET);
	char cmd[128];
	FILE *f;
	int fd, status;
	char path[] = "/tmp/tt-metrics-XXXXXX";

	if (system("command -v promtool >/dev/null 2>&1")) {
		skip();
		return;
	}
	observe_sample(m);
	strcpy(r.comm, "a\"b\\c\n\xff");
	r.sock_lat_ms = 2;
	tt_metrics_observe_row(m, &r, TT_MDIR_OUT);
	render(m);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(page.p, 1, page.len, f), page.len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	status = system(cmd);
	unlink(path);
	assert_int_equal(status, 0);
	tt_metrics_free(m);
}

/* Quantiles estimated by linear interpolation within the bucket holding the rank. */
static void test_quantile(void **state)
{
	struct tt_hist h = { 0 };

	(void)state;
	assert_true(tt_hist_quantile(&h, 0.5) < 0);
	/* 100 in (0.25, 0.5] ms: interpolated linearly within the bucket */
	for (int i = 0; i < 100; i++)
		tt_hist_observe(&h, 0.3);
	assert_float_equal(tt_hist_quantile(&h, 0.5), 0.000375, 1e-12);
	assert_float_equal(tt_hist_quantile(&h, 0.99), 0.00025 + 0.00025 * 0.99, 1e-12);
	/* the first bucket starts at 0 */
	memset(&h, 0, sizeof(h));
	tt_hist_observe(&h, 0.05);
	tt_hist_observe(&h, 0.05);
	assert_float_equal(tt_hist_quantile(&h, 0.5), 0.00005, 1e-12);
	/* 98 fast, 2 in (1, 1.5] s: p50 among the fast, p99 among the slow */
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 98; i++)
		tt_hist_observe(&h, 0.3);
	tt_hist_observe(&h, 1200);
	tt_hist_observe(&h, 1300);
	assert_true(tt_hist_quantile(&h, 0.5) < 0.0005);
	assert_float_equal(tt_hist_quantile(&h, 0.99), 1 + 0.5 * 0.5, 1e-9);
	/* above the last bound: the last bound */
	memset(&h, 0, sizeof(h));
	tt_hist_observe(&h, 20000);
	assert_float_equal(tt_hist_quantile(&h, 0.5), 7.5, 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_golden_page, teardown),
		cmocka_unit_test_teardown(test_every_series_from_start, teardown),
		cmocka_unit_test_teardown(test_histogram_buckets_cumulative, teardown),
		cmocka_unit_test_teardown(test_syn_retransmits, teardown),
		cmocka_unit_test_teardown(test_label_value_escaping, teardown),
		cmocka_unit_test_teardown(test_help_and_type, teardown),
		cmocka_unit_test_teardown(test_values, teardown),
		cmocka_unit_test_teardown(test_label_values, teardown),
		cmocka_unit_test_teardown(test_label_cap, teardown),
		cmocka_unit_test_teardown(test_combination_cap, teardown),
		cmocka_unit_test_teardown(test_cap_bounds_the_page, teardown),
		cmocka_unit_test(test_parse_labels),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test_teardown(test_losses_and_gauges, teardown),
		cmocka_unit_test(test_buf_ceiling),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test_teardown(test_promtool, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
