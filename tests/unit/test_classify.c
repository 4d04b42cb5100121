// SPDX-License-Identifier: GPL-2.0
/* The classifier from synthetic fact streams: types, joins, order, counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "classify.h"
#include "metrics.h"

enum { TCP_ESTABLISHED = 1, TCP_SYN_SENT, TCP_SYN_RECV, TCP_FIN_WAIT1, TCP_FIN_WAIT2,
       TCP_TIME_WAIT, TCP_CLOSE, TCP_CLOSE_WAIT, TCP_LAST_ACK };

#define MS 1000000ull

struct sink {
	struct tt_row rows[32];
	int n;
};

static int collect(const struct tt_row *r, void *ctx)
{
	struct sink *s = ctx;

	if (s->n < 32)
		s->rows[s->n++] = *r;
	return 0;
}

static struct tt_event ev(uint8_t fact, uint16_t sport, uint64_t ts_ms)
{
	struct tt_event e = {
		.fact = fact, .family = AF_INET, .sport = sport, .dport = 80,
		.netns = 4026531840u, .ts_ns = ts_ms * MS, .pid = 42,
		.flags = TT_F_OWNER_KNOWN | TT_F_STARTED | TT_F_ESTABLISHED,
		.saddr = { 10, 0, 0, 1 }, .daddr = { 10, 0, 0, 2 },
	};

	strcpy(e.comm, "curl");
	return e;
}

static struct tt_event closed(uint16_t sport, uint64_t ts_ms, uint8_t oldstate, uint32_t err)
{
	struct tt_event e = ev(TT_FACT_CLOSED, sport, ts_ms);

	e.oldstate = oldstate;
	e.err = err;
	return e;
}

struct fixture {
	struct tt_config cfg;
	struct tt_classifier cls;
	struct sink sink;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(tt_cls_init(&f.cls, &f.cfg, collect, &f.sink), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tt_cls_free(&f->cls);
	return 0;
}

static void test_connect_latency_and_owner(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = ev(TT_FACT_ACTIVE_EST, 5555, 10);

	e.start_ns = 10 * MS;
	e.est_ns = 10 * MS + 2500000;	/* 2.5 ms */
	e.total_retrans = 1;
	tt_cls_feed(&f->cls, &e);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_CONNECT);
	assert_int_equal(f->sink.rows[0].pid, 42);
	assert_string_equal(f->sink.rows[0].comm, "curl");
	assert_true(f->sink.rows[0].lat_ms > 2.49 && f->sink.rows[0].lat_ms < 2.51);
	assert_int_equal(f->sink.rows[0].syns, 2);
	assert_int_equal(f->cls.active.count, 1);
}

static void test_accept_uses_handshake_rtt_and_queue_wait(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = ev(TT_FACT_ACCEPTED, 80, 20);

	e.flags |= TT_F_PASSIVE | TT_F_ACCEPTED;
	e.srtt_us = 150;
	e.est_ns = 19 * MS;
	e.hook = TT_ACCEPT_SYSCALL;
	tt_cls_feed(&f->cls, &e);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_ACCEPT);
	assert_true(f->sink.rows[0].lat_ms > 0.149 && f->sink.rows[0].lat_ms < 0.151);
	assert_true(f->sink.rows[0].wait_ms > 0.99 && f->sink.rows[0].wait_ms < 1.01);
	assert_string_equal(f->sink.rows[0].hook, "syscall");
}

static void test_failed_connects(void **state)
{
	static const struct {
		uint32_t err, retrans;
		enum tt_type type;
		const char *reason;
	} cases[] = {
		{ ECONNREFUSED, 0, TT_REFUSED, "refused" },
		{ ETIMEDOUT, 6, TT_TIMEOUT, "syn-timeout" },
		{ 0, 1, TT_TIMEOUT, "app-timeout" },
		{ 0, 0, TT_CLOSE, "aborted" },
		{ EHOSTUNREACH, 0, TT_UNREACH, "host-unreachable" },
		{ ENETUNREACH, 2, TT_UNREACH, "net-unreachable" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tt_event e = closed(6000 + i, 100 + i, TCP_SYN_SENT, cases[i].err);

		e.flags = TT_F_OWNER_KNOWN | TT_F_STARTED;
		e.start_ns = e.ts_ns - 3 * MS;
		e.total_retrans = cases[i].retrans;
		tt_cls_feed(&f->cls, &e);
		assert_int_equal(f->sink.n, i + 1);
		assert_int_equal(f->sink.rows[i].type, cases[i].type);
		assert_string_equal(f->sink.rows[i].reason, cases[i].reason);
		assert_int_equal(f->sink.rows[i].syns, cases[i].retrans + 1);
		assert_true(f->sink.rows[i].lat_ms < 0);
		assert_true(f->sink.rows[i].dur_ms > 2.99 && f->sink.rows[i].dur_ms < 3.01);
	}
}

static void test_connect_error_is_unreach(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = ev(TT_FACT_CONNECT_ERR, 0, 5);

	e.err = ENETUNREACH;
	tt_cls_feed(&f->cls, &e);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_UNREACH);
	assert_string_equal(f->sink.rows[0].reason, "no-route");
	assert_int_equal(f->sink.rows[0].syns, 0);
}

static void test_reset_received(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = closed(7000, 50, TCP_ESTABLISHED, ECONNRESET);

	tt_cls_feed(&f->cls, &e);
	e = closed(7001, 51, TCP_CLOSE_WAIT, EPIPE);
	tt_cls_feed(&f->cls, &e);
	assert_int_equal(f->sink.n, 2);
	assert_int_equal(f->sink.rows[0].type, TT_RESET);
	assert_string_equal(f->sink.rows[0].reason, "rst-received");
	assert_int_equal(f->sink.rows[1].type, TT_RESET);
}

static void test_close_is_held_then_released(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = closed(7100, 50, TCP_FIN_WAIT2, 0);

	tt_cls_feed(&f->cls, &e);
	assert_int_equal(f->sink.n, 0);
	tt_cls_flush(&f->cls, 50 * MS + TT_HOLD_NS - 1, false);
	assert_int_equal(f->sink.n, 0);
	tt_cls_flush(&f->cls, 50 * MS + TT_HOLD_NS, false);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_CLOSE);
	assert_string_equal(f->sink.rows[0].reason, "fin");
}

/* Closed in FIN_WAIT2 after the peer's FIN: TIME_WAIT took over, no RST follows. */
static void test_close_into_time_wait_is_not_held(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = closed(7150, 50, TCP_FIN_WAIT2, 0);

	e.close_how = TT_CLOSE_TIME_WAIT;
	tt_cls_feed(&f->cls, &e);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_CLOSE);
	assert_string_equal(f->sink.rows[0].reason, "fin");
}

/*
 * An orphan's CLOSE is held only briefly: the rows behind it are not kept
 * waiting 100 ms.  Its RST, when there is one, still makes it a RESET.
 */
static void test_orphan_close_is_held_briefly(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = closed(7160, 50, TCP_FIN_WAIT2, 0);
	struct tt_event rst = ev(TT_FACT_RST_SENT, 7161, 50);

	e.close_how = TT_CLOSE_ORPHAN;
	tt_cls_feed(&f->cls, &e);
	assert_int_equal(f->sink.n, 0);
	tt_cls_flush(&f->cls, 50 * MS + TT_HOLD_ORPHAN_NS, false);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_CLOSE);

	e = closed(7161, 60, TCP_FIN_WAIT2, 0);
	e.close_how = TT_CLOSE_ORPHAN;
	tt_cls_feed(&f->cls, &e);
	rst.ts_ns = 60 * MS + 20000;
	tt_cls_feed(&f->cls, &rst);
	assert_int_equal(f->sink.n, 2);
	assert_int_equal(f->sink.rows[1].type, TT_RESET);
	assert_string_equal(f->sink.rows[1].reason, "rst-sent");
}

static void test_abort_then_rst_is_reset_sent(void **state)
{
	struct fixture *f = *state;
	struct tt_event c = closed(7200, 60, TCP_ESTABLISHED, 0);
	struct tt_event r = ev(TT_FACT_RST_SENT, 7200, 60);

	tt_cls_feed(&f->cls, &c);
	tt_cls_feed(&f->cls, &r);
	assert_int_equal(f->sink.n, 1);	/* released at once: nothing left to wait for */
	assert_int_equal(f->sink.rows[0].type, TT_RESET);
	assert_string_equal(f->sink.rows[0].reason, "rst-sent");
}

static void test_rst_before_close_is_reset_sent(void **state)
{
	struct fixture *f = *state;
	struct tt_event r = ev(TT_FACT_RST_SENT, 7300, 70);
	struct tt_event c = closed(7300, 70, TCP_FIN_WAIT2, 0);

	tt_cls_feed(&f->cls, &r);
	tt_cls_feed(&f->cls, &c);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_RESET);
}

static void test_rst_for_other_tuple_leaves_close(void **state)
{
	struct fixture *f = *state;
	struct tt_event c = closed(7400, 80, TCP_ESTABLISHED, 0);
	struct tt_event r = ev(TT_FACT_RST_SENT, 7401, 80);

	tt_cls_feed(&f->cls, &c);
	tt_cls_feed(&f->cls, &r);
	tt_cls_flush(&f->cls, 0, true);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_CLOSE);
}

static void test_order_is_kept_behind_a_held_close(void **state)
{
	struct fixture *f = *state;
	struct tt_event c = closed(7500, 90, TCP_FIN_WAIT2, 0);
	struct tt_event n = ev(TT_FACT_ACTIVE_EST, 7501, 91);

	tt_cls_feed(&f->cls, &c);
	tt_cls_feed(&f->cls, &n);
	assert_int_equal(f->sink.n, 0);
	/* a later fact past the hold releases both, in order */
	n = ev(TT_FACT_ACTIVE_EST, 7502, 90 + TT_HOLD_NS / MS + 1);
	tt_cls_feed(&f->cls, &n);
	assert_int_equal(f->sink.n, 3);
	assert_int_equal(f->sink.rows[0].type, TT_CLOSE);
	assert_int_equal(f->sink.rows[1].key.sport, 7501);
	assert_int_equal(f->sink.rows[2].key.sport, 7502);
}

static void test_v4mapped_prints_as_ipv4(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = ev(TT_FACT_ACCEPTED, 80, 5);
	static const uint8_t s6[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 2 };
	static const uint8_t d6[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };

	e.family = AF_INET6;
	memcpy(e.saddr, s6, 16);
	memcpy(e.daddr, d6, 16);
	tt_cls_feed(&f->cls, &e);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].key.family, AF_INET);
	assert_memory_equal(f->sink.rows[0].key.saddr, ((uint8_t[16]){ 10, 0, 0, 2 }), 16);
	assert_memory_equal(f->sink.rows[0].key.daddr, ((uint8_t[16]){ 10, 0, 0, 1 }), 16);
}

static void test_active_connections(void **state)
{
	struct fixture *f = *state;
	struct tt_event a = ev(TT_FACT_ACTIVE_EST, 8000, 1);
	struct tt_event b = ev(TT_FACT_ACCEPTED, 8001, 2);
	struct tt_event x;
	struct tt_key seeded = { .netns = 4026531840u, .family = AF_INET, .sport = 22,
				 .dport = 50000, .saddr = { 10, 0, 0, 1 },
				 .daddr = { 10, 0, 0, 9 } };

	assert_int_equal(tt_cls_seed(&f->cls, &f->cls.active, &seeded), 1);
	assert_int_equal(tt_cls_seed(&f->cls, &f->cls.active, &seeded), 0);	/* counted once */
	tt_cls_feed(&f->cls, &a);
	tt_cls_feed(&f->cls, &a);				/* counted once */
	tt_cls_feed(&f->cls, &b);
	assert_int_equal(f->cls.active.count, 3);
	x = closed(8000, 3, TCP_FIN_WAIT2, 0);
	tt_cls_feed(&f->cls, &x);
	x = closed(9999, 3, TCP_FIN_WAIT2, 0);			/* never counted */
	tt_cls_feed(&f->cls, &x);
	assert_int_equal(f->cls.active.count, 2);
	x = closed(22, 4, TCP_ESTABLISHED, ECONNRESET);		/* the seeded one */
	x.dport = 50000;
	x.daddr[3] = 9;
	tt_cls_feed(&f->cls, &x);
	assert_int_equal(f->cls.active.count, 1);
}

/*
 * A CLOSE lost with the ring buffer full would keep its connection active
 * for good: a fresh dump of the sockets prunes it, and only it.
 */
static void test_dump_prunes_connections_whose_close_was_lost(void **state)
{
	struct fixture *f = *state;
	struct tt_event a = ev(TT_FACT_ACTIVE_EST, 8000, 1);
	struct tt_event b = ev(TT_FACT_ACTIVE_EST, 8001, 2);
	struct tt_conntab live = { 0 };
	struct tt_event x;
	struct tt_key k;

	tt_cls_feed(&f->cls, &a);
	tt_cls_feed(&f->cls, &b);
	assert_int_equal(f->cls.active.count, 2);
	/* the dump holds 8001 (open) and a connection whose CONNECT is still unread */
	assert_int_equal(tt_key_from_event(&b, &k), 0);
	assert_int_equal(tt_cls_seed(&f->cls, &live, &k), 1);
	k.sport = 8002;
	assert_int_equal(tt_cls_seed(&f->cls, &live, &k), 1);
	assert_int_equal(tt_cls_prune_active(&f->cls, &live), 1);
	assert_int_equal(f->cls.active.count, 1);
	assert_true(tt_conntab_has(&f->cls.active, &k) == false);
	k.sport = 8001;
	assert_true(tt_conntab_has(&f->cls.active, &k));
	/* 8000's CLOSE, had it only been late, changes nothing now */
	x = closed(8000, 3, TCP_FIN_WAIT2, 0);
	tt_cls_feed(&f->cls, &x);
	assert_int_equal(f->cls.active.count, 1);
	tt_conntab_free(&live);
}

static void test_filters_and_counts(void **state)
{
	struct fixture *f = *state;
	struct tt_event a = ev(TT_FACT_ACTIVE_EST, 8100, 1);
	struct tt_event b = closed(8101, 2, TCP_SYN_SENT, ECONNREFUSED);
	struct tt_event other = ev(TT_FACT_ACTIVE_EST, 8102, 3);

	other.pid = 7;
	f->cfg.pids[0] = 42;
	f->cfg.npids = 1;
	f->cfg.types = 1u << TT_REFUSED;
	tt_cls_feed(&f->cls, &a);
	tt_cls_feed(&f->cls, &b);
	tt_cls_feed(&f->cls, &other);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_REFUSED);
	/* statistics follow the process filter, not the type filter */
	assert_int_equal(f->cls.total.n[TT_CONNECT], 1);
	assert_int_equal(f->cls.total.n[TT_REFUSED], 1);
	/* active connections count whoever owns them */
	assert_int_equal(f->cls.active.count, 2);
}

static void test_comm_filter_and_summary_only(void **state)
{
	struct fixture *f = *state;
	struct tt_event a = ev(TT_FACT_ACTIVE_EST, 8200, 1);
	struct tt_event b = ev(TT_FACT_ACTIVE_EST, 8201, 1);

	strcpy(b.comm, "wget");
	strcpy(f->cfg.comm, "wget");
	tt_cls_feed(&f->cls, &a);
	tt_cls_feed(&f->cls, &b);
	assert_int_equal(f->sink.n, 1);
	assert_string_equal(f->sink.rows[0].comm, "wget");
	f->cfg.summary_only = true;
	b.sport = 8202;
	tt_cls_feed(&f->cls, &b);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->cls.total.n[TT_CONNECT], 2);
}

static void test_port_and_netns_filters_apply_to_seed(void **state)
{
	struct fixture *f = *state;
	struct tt_key k = { .netns = 1, .family = AF_INET, .sport = 22, .dport = 40000 };

	f->cfg.ports[0] = 443;
	f->cfg.nports = 1;
	assert_int_equal(tt_cls_seed(&f->cls, &f->cls.active, &k), 0);
	assert_int_equal(f->cls.active.count, 0);
	k.sport = 443;
	tt_cls_seed(&f->cls, &f->cls.active, &k);
	assert_int_equal(f->cls.active.count, 1);
	f->cfg.netns = 2;
	k.dport = 40001;
	tt_cls_seed(&f->cls, &f->cls.active, &k);
	assert_int_equal(f->cls.active.count, 1);
}

static void test_payload_bytes(void **state)
{
	struct fixture *f = *state;
	/* active closer: SYN and FIN acked, peer's FIN received */
	struct tt_event e = closed(8300, 1, TCP_FIN_WAIT2, 0);

	e.bytes_acked = 1002;
	e.bytes_received = 51;
	tt_cls_feed(&f->cls, &e);
	/* passive side, closed after the peer's FIN: nothing of ours is a SYN */
	e = closed(8301, 1, TCP_LAST_ACK, 0);
	e.flags |= TT_F_PASSIVE;
	e.bytes_acked = 51;
	e.bytes_received = 1001;
	tt_cls_feed(&f->cls, &e);
	tt_cls_flush(&f->cls, 0, true);
	assert_int_equal(f->sink.n, 2);
	assert_int_equal(f->sink.rows[0].bytes_sent, 1000);
	assert_int_equal(f->sink.rows[0].bytes_recv, 50);
	assert_int_equal(f->sink.rows[1].bytes_sent, 50);
	assert_int_equal(f->sink.rows[1].bytes_recv, 1000);
}

/* A corrupt count (fuzz_events found it) is no count, and no overflow. */
static void test_corrupt_byte_count_is_zero(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = closed(8302, 1, TCP_LAST_ACK, 0);

	e.flags |= TT_F_PASSIVE;
	e.bytes_received = 0x8000000000000000ull;
	e.bytes_acked = 0x8000000000000000ull;	/* LAST_ACK: one byte off for our FIN */
	tt_cls_feed(&f->cls, &e);
	tt_cls_flush(&f->cls, 0, true);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].bytes_recv, 0);
	assert_int_equal(f->sink.rows[0].bytes_sent, 0);
}

static struct tt_wire_event wev(uint8_t fact, uint8_t syns, uint64_t ts_ms)
{
	struct tt_wire_event w = {
		.fact = fact, .family = AF_INET, .iport = 40000, .rport = 80, .ifindex = 3,
		.syns = syns, .syn_ns = 1000 * MS, .ts_ns = ts_ms * MS,
		.iaddr = { 10, 0, 0, 1 }, .raddr = { 10, 0, 0, 2 },
	};

	return w;
}

static void test_wire_timeout_reported_once(void **state)
{
	struct fixture *f = *state;
	struct tt_wire_event w = wev(TT_WFACT_SYN_RETRY, 2, 2000);

	tt_cls_enable_wire(&f->cls, 3, NULL, 0);
	tt_cls_feed_wire(&f->cls, &w);
	tt_cls_flush(&f->cls, 3999 * MS, false);
	assert_int_equal(f->sink.n, 0);			/* not before --syn-timeout */
	tt_cls_flush(&f->cls, 4000 * MS + TT_JOIN_NS, false);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_TIMEOUT);
	assert_int_equal(f->sink.rows[0].syns, 2);
	assert_int_equal(f->sink.rows[0].pid, -1);
	/* the joiner forgets the flow; the attempt goes on retrying */
	tt_cls_flush(&f->cls, 20000 * MS, false);
	w = wev(TT_WFACT_SYN_RETRY, 3, 21000);
	tt_cls_feed_wire(&f->cls, &w);
	tt_cls_flush(&f->cls, 40000 * MS, false);
	tt_cls_flush(&f->cls, 40000 * MS, true);
	assert_int_equal(f->sink.n, 1);
}

/* the server's end of the connection ev() builds from the client's */
static struct tt_event server_ev(uint8_t fact, uint64_t ts_ms)
{
	struct tt_event e = ev(fact, 80, ts_ms);

	e.dport = 40000;
	memcpy(e.saddr, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	memcpy(e.daddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	e.flags |= TT_F_PASSIVE;
	return e;
}

/* The wire's handshake of ev()'s connection: SYN at 1000 ms, SYN-ACK 0.5 ms later, ACK at 1001. */
static void feed_handshake(struct fixture *f)
{
	struct tt_wire_event w = wev(TT_WFACT_HANDSHAKE, 1, 1001);

	w.synack_ns = 1000 * MS + 500000;
	w.ack_ns = 1001 * MS;
	tt_cls_feed_wire(&f->cls, &w);
}

/*
 * Both ends on this host, and the wire: the joiner forgets the flow once the
 * last socket has closed, and a new connection on the same tuple gets
 * nothing of the old one's wire facts.
 */
static void test_finished_flow_is_forgotten(void **state)
{
	struct fixture *f = *state;
	struct tt_event e;
	struct tt_wire_event w;

	tt_cls_enable_wire(&f->cls, 3, NULL, 0);
	e = ev(TT_FACT_ACTIVE_EST, 40000, 1000);
	e.start_ns = 1000 * MS;
	e.est_ns = 1001 * MS;
	tt_cls_feed(&f->cls, &e);
	e = server_ev(TT_FACT_PASSIVE_EST, 1001);
	tt_cls_feed(&f->cls, &e);
	feed_handshake(f);
	e = server_ev(TT_FACT_ACCEPTED, 1002);
	e.flags |= TT_F_ACCEPTED;
	e.est_ns = 1001 * MS;
	tt_cls_feed(&f->cls, &e);
	e = closed(40000, 1100, TCP_FIN_WAIT2, 0);
	e.close_how = TT_CLOSE_TIME_WAIT;
	tt_cls_feed(&f->cls, &e);
	w = wev(TT_WFACT_CLOSE, 1, 1101);
	tt_cls_feed_wire(&f->cls, &w);
	assert_int_equal(f->cls.join.flows.count, 1);	/* the server's socket is still open */
	e = server_ev(TT_FACT_CLOSED, 1102);
	e.oldstate = TCP_LAST_ACK;
	tt_cls_feed(&f->cls, &e);
	assert_int_equal(f->cls.join.flows.count, 0);
	tt_cls_flush(&f->cls, 1102 * MS, true);
	assert_int_equal(f->sink.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(f->sink.rows[i].views, TT_VIEW_SOCK | TT_VIEW_WIRE);
	assert_true(f->sink.rows[0].wire_lat_ms > 0.49 && f->sink.rows[0].wire_lat_ms < 0.51);

	/* the tuple reused: this CONNECT waits for its own handshake, then goes out alone */
	e = ev(TT_FACT_ACTIVE_EST, 40000, 1200);
	e.start_ns = 1199 * MS;
	e.est_ns = 1200 * MS;
	tt_cls_feed(&f->cls, &e);
	tt_cls_flush(&f->cls, 1200 * MS, false);
	assert_int_equal(f->sink.n, 4);
	tt_cls_flush(&f->cls, 1200 * MS + TT_JOIN_NS, false);
	assert_int_equal(f->sink.n, 5);
	assert_int_equal(f->sink.rows[4].type, TT_CONNECT);
	assert_int_equal(f->sink.rows[4].views, TT_VIEW_SOCK);
}

/*
 * A server whose final ACK is lost stays in LAST_ACK and retransmits its FIN:
 * its CLOSE comes seconds after the wire saw both FINs, and its client is not
 * on this host.  That end is one line, the socket's, with the wire's facts; not
 * a wire-only CLOSE as well.
 */
static void test_late_close_takes_the_wire_end(void **state)
{
	struct fixture *f = *state;
	struct tt_event e;
	struct tt_wire_event w;

	tt_cls_enable_wire(&f->cls, 3, NULL, 0);
	feed_handshake(f);
	e = server_ev(TT_FACT_ACCEPTED, 1002);
	e.flags |= TT_F_ACCEPTED;
	e.start_ns = 1000 * MS;
	e.est_ns = 1001 * MS;
	tt_cls_feed(&f->cls, &e);
	/* the client closed first; the server's FIN made both */
	w = wev(TT_WFACT_CLOSE, 1, 1100);
	w.by = TT_BY_INITIATOR;
	tt_cls_feed_wire(&f->cls, &w);
	/* the server's CLOSE, 4 s after the FINs: past the 2 s sweep of other flows */
	tt_cls_flush(&f->cls, 2000 * MS, false);
	tt_cls_flush(&f->cls, 4000 * MS, false);
	e = server_ev(TT_FACT_CLOSED, 5100);
	e.oldstate = TCP_LAST_ACK;
	tt_cls_feed(&f->cls, &e);
	tt_cls_flush(&f->cls, 5100 * MS, true);
	assert_int_equal(f->sink.n, 2);
	assert_int_equal(f->sink.rows[0].type, TT_ACCEPT);
	assert_int_equal(f->sink.rows[1].type, TT_CLOSE);
	assert_int_equal(f->sink.rows[1].pid, 42);
	assert_int_equal(f->sink.rows[1].views, TT_VIEW_SOCK | TT_VIEW_WIRE);
	assert_int_equal(f->cls.join.flows.count, 0);
}

/* Waiting for the wire does not stretch the wait for an RST: 100 ms, not 200. */
static void test_joined_close_waits_only_the_rst_hold(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = closed(40000, 1000, TCP_FIN_WAIT1, 0);
	struct tt_wire_event w = wev(TT_WFACT_CLOSE, 1, 1001);

	tt_cls_enable_wire(&f->cls, 3, NULL, 0);
	tt_cls_feed(&f->cls, &e);
	tt_cls_feed_wire(&f->cls, &w);
	tt_cls_flush(&f->cls, 1000 * MS + TT_HOLD_NS - 1, false);
	assert_int_equal(f->sink.n, 0);
	tt_cls_flush(&f->cls, 1000 * MS + TT_HOLD_NS, false);
	assert_int_equal(f->sink.n, 1);
	assert_int_equal(f->sink.rows[0].type, TT_CLOSE);
	assert_int_equal(f->sink.rows[0].views, TT_VIEW_SOCK | TT_VIEW_WIRE);
}

static void test_summary_math(void **state)
{
	struct tt_counts n = { 0 };
	struct tt_summary s = { 0 };

	n.n[TT_CONNECT] = 30;
	n.n[TT_ACCEPT] = 10;
	n.n[TT_REFUSED] = 5;
	n.n[TT_TIMEOUT] = 4;
	n.n[TT_UNREACH] = 1;
	n.n[TT_RESET] = 7;	/* not an attempt */
	tt_cls_summary(&n, 4.0, &s);
	assert_true(s.conn_rate > 9.99 && s.conn_rate < 10.01);
	assert_true(s.failure_pct > 19.99 && s.failure_pct < 20.01);
	memset(&n, 0, sizeof(n));
	tt_cls_summary(&n, 0, &s);
	assert_true(s.conn_rate == 0 && s.failure_pct == 0);
}

static void test_stop_on_output_error(void **state)
{
	struct fixture *f = *state;
	struct tt_event e = ev(TT_FACT_ACTIVE_EST, 8400, 1);

	f->cls.cb = (tt_row_cb)(void *)0;
	f->cls.cb_err = -EPIPE;	/* a previous write failed */
	assert_int_equal(tt_cls_feed(&f->cls, &e), -EPIPE);
}

/* The observer sees every counted row, with its direction, whatever -s and -t let out. */
static void count_into_metrics(const struct tt_row *r, void *ctx)
{
	tt_metrics_observe_row(ctx, r, r->dir);
}

static bool page_has(struct tt_metrics *m, const char *line)
{
	struct tt_buf b;
	bool ret;

	tt_buf_init(&b, 1 << 20);
	assert_int_equal(tt_metrics_render(m, &b), 0);
	ret = strstr(b.p, line) != NULL;
	tt_buf_free(&b);
	return ret;
}

static void test_socket_rows_directions_and_metrics(void **state)
{
	struct fixture *f = *state;
	struct tt_metrics_config mc = { 0 };
	struct tt_event con = ev(TT_FACT_ACTIVE_EST, 9000, 1);
	struct tt_event acc = server_ev(TT_FACT_ACCEPTED, 2);
	struct tt_event ref = closed(9001, 3, TCP_SYN_SENT, ECONNREFUSED);
	struct tt_event srv_close = server_ev(TT_FACT_CLOSED, 4);
	struct tt_metrics *m;

	srv_close.oldstate = TCP_CLOSE_WAIT;
	srv_close.close_how = TT_CLOSE_TIME_WAIT;
	assert_int_equal(tt_metrics_new(&m, &mc), 0);
	f->cls.observe = count_into_metrics;
	f->cls.ctx = m;
	f->cfg.summary_only = true;
	tt_cls_feed(&f->cls, &con);
	tt_cls_feed(&f->cls, &acc);
	tt_cls_feed(&f->cls, &ref);
	tt_cls_feed(&f->cls, &srv_close);
	tt_cls_flush(&f->cls, 1000 * MS, true);
	assert_int_equal(f->sink.n, 0);		/* -s: no row out, every row counted */
	assert_int_equal(f->cls.total.n[TT_CLOSE], 1);
	assert_true(page_has(m, "{type=\"connect\",direction=\"out\",family=\"ipv4\"} 1\n"));
	assert_true(page_has(m, "{type=\"accept\",direction=\"in\",family=\"ipv4\"} 1\n"));
	assert_true(page_has(m, "{type=\"refused\",direction=\"out\",family=\"ipv4\"} 1\n"));
	assert_true(page_has(m, "{type=\"close\",direction=\"in\",family=\"ipv4\"} 1\n"));
	assert_true(page_has(m, "{type=\"close\",direction=\"out\",family=\"ipv4\"} 0\n"));
	tt_metrics_free(m);
}

/* Wire-only rows: out or in when an end is an attached address, fwd when neither is. */
static void test_wire_rows_directions(void **state)
{
	struct fixture *f = *state;
	struct tt_prefix local = { .family = AF_INET, .len = 24, .addr = { 10, 0, 0, 1 } };
	struct tt_wire_event out = wev(TT_WFACT_REFUSED, 1, 1001);
	struct tt_wire_event in = wev(TT_WFACT_REFUSED, 1, 1002);
	struct tt_wire_event fwd = wev(TT_WFACT_REFUSED, 1, 1003);

	memcpy(in.iaddr, (uint8_t[]){ 10, 0, 0, 9 }, 4);
	memcpy(in.raddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(fwd.iaddr, (uint8_t[]){ 10, 0, 1, 7 }, 4);
	memcpy(fwd.raddr, (uint8_t[]){ 10, 0, 2, 8 }, 4);
	in.iport = 40001;
	fwd.iport = 40002;
	tt_cls_enable_wire(&f->cls, 3, &local, 1);
	tt_cls_feed_wire(&f->cls, &out);
	tt_cls_feed_wire(&f->cls, &in);
	tt_cls_feed_wire(&f->cls, &fwd);
	tt_cls_flush(&f->cls, 5000 * MS, true);
	assert_int_equal(f->sink.n, 3);
	assert_int_equal(f->sink.rows[0].dir, TT_MDIR_OUT);
	assert_int_equal(f->sink.rows[1].dir, TT_MDIR_IN);
	assert_int_equal(f->sink.rows[2].dir, TT_MDIR_FWD);
	assert_string_equal(f->sink.rows[0].reason, "refused");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_latency_and_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_uses_handshake_rtt_and_queue_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_connects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_error_is_unreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_received, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_is_held_then_released, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_into_time_wait_is_not_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphan_close_is_held_briefly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_then_rst_is_reset_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_before_close_is_reset_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_for_other_tuple_leaves_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_is_kept_behind_a_held_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4mapped_prints_as_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_prunes_connections_whose_close_was_lost,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comm_filter_and_summary_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_and_netns_filters_apply_to_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payload_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_byte_count_is_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wire_timeout_reported_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finished_flow_is_forgotten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_joined_close_waits_only_the_rst_hold, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_late_close_takes_the_wire_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_rows_directions_and_metrics, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wire_rows_directions, setup, teardown),
		cmocka_unit_test(test_summary_math),
		cmocka_unit_test_setup_teardown(test_stop_on_output_error, setup, teardown),
	};

	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
