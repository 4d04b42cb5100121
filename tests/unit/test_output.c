// SPDX-License-Identifier: GPL-2.0
/* Output: the seed's table format, the wide table, JSON lines, escaping. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "output.h"
#include "format.h"
#include "escape.h"

static char *buf;
static size_t buflen;

static struct tt_out open_out(enum tt_format fmt, FILE **f)
{
	struct tt_out o;

	*f = open_memstream(&buf, &buflen);
	tt_out_init(&o, *f, fmt);
	/* 14:23:01 UTC at monotonic 0 */
	o.mono_to_real_ns = 1700058181ll * 1000000000ll;
	o.utc = true;
	return o;
}

static const char *close_out(struct tt_out *o, FILE *f)
{
	/* rows are the stream's only after a flush, as at the end of each poll */
	assert_int_equal(tt_out_flush(o), 0);
	fclose(f);
	return buf;
}

static int teardown(void **state)
{
	free(buf);
	buf = NULL;
	return 0;
}

static struct tt_row connect_row(void)
{
	struct tt_row r = {
		.type = TT_CONNECT, .ts_ns = 0, .pid = 1234,
		.key = { .family = AF_INET, .sport = 45678, .dport = 443, .netns = 4026531840u,
			 .saddr = { 192, 168, 1, 10 }, .daddr = { 93, 184, 216, 34 } },
		.lat_ms = 23.46, .wait_ms = -1, .dur_ms = -1, .bytes_sent = -1, .bytes_recv = -1,
		.syns = 1, .reason = "established",
	};

	strcpy(r.comm, "curl");
	return r;
}

static void test_table_header_and_row(void **state)
{
	FILE *f;
	struct tt_out o = open_out(TT_FMT_TABLE, &f);
	struct tt_row r = connect_row();

	tt_out_header(&o);
	tt_out_row(&o, &r);
	r.type = TT_REFUSED;
	r.lat_ms = -1;
	tt_out_row(&o, &r);
	assert_string_equal(close_out(&o, f),
		"TIME     TYPE     PID     COMM             SADDR:SPORT            DADDR:DPORT            LAT(ms)\n"
		"14:23:01 CONNECT  1234    curl             192.168.1.10:45678     93.184.216.34:443      23.5\n"
		"14:23:01 REFUSED  1234    curl             192.168.1.10:45678     93.184.216.34:443      -\n");
}

static void test_unknown_process_and_ipv6(void **state)
{
	FILE *f;
	struct tt_out o = open_out(TT_FMT_TABLE, &f);
	struct tt_row r = connect_row();
	static const uint8_t one[16] = { [15] = 1 };

	r.pid = -1;
	r.key.family = AF_INET6;
	memcpy(r.key.saddr, one, 16);
	memcpy(r.key.daddr, one, 16);
	r.lat_ms = 0.0421;
	tt_out_row(&o, &r);
	assert_string_equal(close_out(&o, f),
		"14:23:01 CONNECT  -       -                [::1]:45678            [::1]:443              0.042\n");
}

static void test_wide_columns(void **state)
{
	FILE *f;
	struct tt_out o = open_out(TT_FMT_WIDE, &f);
	struct tt_row r = connect_row();
	const char *s;

	r.type = TT_CLOSE;
	r.lat_ms = -1;
	r.dur_ms = 1500;
	r.bytes_sent = 1000;
	r.bytes_recv = 50;
	r.reason = "fin";
	tt_out_header(&o);
	tt_out_row(&o, &r);
	s = close_out(&o, f);
	assert_non_null(strstr(s, "LAT(ms)  SYNS DUR(ms)    TX         RX         WAIT(ms) NETNS      VIEW IFACE      REASON\n"));
	assert_non_null(strstr(s, "-        1    1500.0     1000       50         -        4026531840 sock -          fin\n"));
}

static void test_json_row(void **state)
{
	FILE *f;
	struct tt_out o = open_out(TT_FMT_JSON, &f);
	struct tt_row r = connect_row();

	r.ts_ns = 123456789;
	r.sock_lat_ms = r.lat_ms;
	r.wire_lat_ms = -1;
	tt_out_row(&o, &r);
	tt_out_add_ifname(&o, 7, "veth0");
	r.views = TT_VIEW_SOCK | TT_VIEW_WIRE;
	r.ifindex = 7;
	r.wire_syns = 2;
	r.pid = -1;
	r.lat_ms = r.sock_lat_ms = -1;
	r.type = TT_RESET;
	r.reason = "rst-sent";
	tt_out_row(&o, &r);
	/* what is unknown or does not apply is left out, not written as null */
	assert_string_equal(close_out(&o, f),
		"{\"time\":\"2023-11-15T14:23:01.123456Z\",\"type\":\"CONNECT\",\"pid\":1234,\"comm\":\"curl\","
		"\"family\":\"ipv4\",\"saddr\":\"192.168.1.10\",\"sport\":45678,\"daddr\":\"93.184.216.34\","
		"\"dport\":443,\"lat_ms\":23.460,\"syns\":1,\"netns\":4026531840,\"view\":\"sock\","
		"\"reason\":\"established\",\"sock_lat_ms\":23.460}\n"
		"{\"time\":\"2023-11-15T14:23:01.123456Z\",\"type\":\"RESET\","
		"\"family\":\"ipv4\",\"saddr\":\"192.168.1.10\",\"sport\":45678,\"daddr\":\"93.184.216.34\","
		"\"dport\":443,\"syns\":1,\"netns\":4026531840,\"view\":\"both\","
		"\"iface\":\"veth0\",\"reason\":\"rst-sent\",\"rst\":\"sent\",\"wire_syns\":2}\n");
}

/* Integers as printf would write them, at every number of digits. */
static void test_integers_at_every_length(void **state)
{
	static const long long v[] = { 0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65535,
				       99999, 100000, 1234567, 4026531840ll,
				       999999999999999999ll, 1000000000000000000ll,
				       9223372036854775807ll };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		FILE *f;
		struct tt_out o = open_out(TT_FMT_JSON, &f);
		struct tt_row r = connect_row();
		char want[64];

		r.type = TT_CLOSE;
		r.bytes_sent = v[i];
		r.pid = v[i] > 2147483647 ? 7 : (int)v[i];
		/* an errno without a name goes out as its number, negative too */
		r.err = v[i] > 2147483647 ? -2147483647 - 1 : -(int)v[i];
		tt_out_row(&o, &r);
		close_out(&o, f);
		if (r.err) {
			snprintf(want, sizeof(want), "\"err\":\"%d\"", r.err);
			assert_non_null(strstr(buf, want));
		}
		snprintf(want, sizeof(want), "\"bytes_sent\":%lld,", v[i]);
		assert_non_null(strstr(buf, want));
		snprintf(want, sizeof(want), "\"pid\":%d,", r.pid);
		assert_non_null(strstr(buf, want));
		free(buf);
		buf = NULL;
	}
}

static void test_summary(void **state)
{
	FILE *f;
	struct tt_out o = open_out(TT_FMT_TABLE, &f);
	struct tt_summary s = { .active = 156, .conn_rate = 23.44, .failure_pct = 0.5 };

	tt_out_summary(&o, &s);
	s.lost = 3;
	tt_out_summary(&o, &s);
	assert_string_equal(close_out(&o, f),
		"[Active connections: 156]\n[Connection rate: 23.4/s]\n[Failure rate: 0.5%]\n"
		"[Active connections: 156]\n[Connection rate: 23.4/s]\n[Failure rate: 0.5%]\n"
		"[Lost events: 3]\n");
}

static void test_json_summary(void **state)
{
	FILE *f;
	struct tt_out o = open_out(TT_FMT_JSON, &f);
	struct tt_summary s = { .active = 2, .opened = 3, .failed = 1, .conn_rate = 1.5,
				  .failure_pct = 25, .lost = 7, .evicted = -1 };

	tt_out_summary(&o, &s);
	assert_string_equal(close_out(&o, f),
		"{\"type\":\"SUMMARY\",\"time\":\"2023-11-15T14:23:01.000000Z\",\"active\":2,"
		"\"opened\":3,\"failed\":1,\"conn_rate\":1.500,\"failure_pct\":25.000,\"lost\":7,\"untracked\":0,"
		"\"truncated\":0}\n");
}

static void test_escape_table(void **state)
{
	char out[128];

	tt_escape_table("\x1b[31mred", 16, out, sizeof(out));
	assert_string_equal(out, "\\x1b[31mred");
	tt_escape_table("a\\b\"c'", 16, out, sizeof(out));
	assert_string_equal(out, "a\\\\b\"c'");
	tt_escape_table("caf\xc3\xa9", 16, out, sizeof(out));	/* UTF-8 passes */
	assert_string_equal(out, "caf\xc3\xa9");
	tt_escape_table("\xff\xc2\x9b\x7f\n", 16, out, sizeof(out));	/* invalid, C1 CSI, DEL, LF */
	assert_string_equal(out, "\\xff\\xc2\\x9b\\x7f\\x0a");
	/* never more than the buffer, always terminated */
	tt_escape_table("\x01\x01\x01\x01\x01", 16, out, 9);
	assert_string_equal(out, "\\x01\\x01");
	tt_escape_table("abcdefgh", 16, out, 5);
	assert_string_equal(out, "abcd");
}

static void test_escape_json(void **state)
{
	char out[128];

	tt_escape_json("a\"b\\c", 16, out, sizeof(out));
	assert_string_equal(out, "a\\\"b\\\\c");
	tt_escape_json("\x1b]0;x\x07", 16, out, sizeof(out));
	assert_string_equal(out, "\\u001b]0;x\\u0007");
	tt_escape_json("\xff\xfe" "ok", 16, out, sizeof(out));
	assert_string_equal(out, "\\ufffd\\ufffdok");
	tt_escape_json("\xe2\x82\xac", 16, out, sizeof(out));	/* EUR sign passes */
	assert_string_equal(out, "\xe2\x82\xac");
	tt_escape_json("\xed\xa0\x80", 16, out, sizeof(out));	/* a surrogate is not UTF-8 */
	assert_string_equal(out, "\\ufffd\\ufffd\\ufffd");
	/* a name of all 16 bytes has no NUL; a cut one is still terminated */
	tt_escape_json("0123456789abcdefXYZ", 16, out, sizeof(out));
	assert_string_equal(out, "0123456789abcdef");
	tt_escape_json("ab\"cdefgh", 16, out, 7);
	assert_string_equal(out, "ab\\\"cd");
}

static void test_endpoint_without_local_address(void **state)
{
	struct tt_key k = { .family = AF_INET, .dport = 80, .daddr = { 10, 9, 9, 9 } };
	char out[64];

	tt_fmt_endpoint(&k, true, out, sizeof(out));
	assert_string_equal(out, "-");
	tt_fmt_endpoint(&k, false, out, sizeof(out));
	assert_string_equal(out, "10.9.9.9:80");
}

static void test_write_error_is_reported(void **state)
{
	struct tt_out o;
	struct tt_row r = connect_row();
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	tt_out_init(&o, f, TT_FMT_TABLE);
	tt_out_row(&o, &r);
	assert_true(tt_out_flush(&o) < 0);
	fclose(f);

	/* JSON rows wait in their own buffer: the error comes with the flush */
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	tt_out_init(&o, f, TT_FMT_JSON);
	assert_int_equal(tt_out_row(&o, &r), 0);
	assert_true(tt_out_flush(&o) < 0);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_table_header_and_row, teardown),
		cmocka_unit_test_teardown(test_unknown_process_and_ipv6, teardown),
		cmocka_unit_test_teardown(test_wide_columns, teardown),
		cmocka_unit_test_teardown(test_json_row, teardown),
		cmocka_unit_test_teardown(test_integers_at_every_length, teardown),
		cmocka_unit_test_teardown(test_summary, teardown),
		cmocka_unit_test_teardown(test_json_summary, teardown),
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_escape_json),
		cmocka_unit_test(test_endpoint_without_local_address),
		cmocka_unit_test(test_write_error_is_reported),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
