// SPDX-License-Identifier: GPL-2.0
/*
 * The wire programs on crafted packets, without a network:
 * bpf_prog_test_run_opts() runs them on buffers we build, then the flow map,
 * the counters and the ring buffer tell what they made of them.  Needs root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "tcptrack.h"
#include "wire.skel.h"

#define TC_ACT_UNSPEC	(-1)
#define XDP_PASS	2

struct spec {
	int vlans;		/* 802.1Q tags (the outer one 802.1ad when 2) */
	bool v6;
	const uint8_t *ext;	/* IPv6 extension headers, already encoded */
	size_t extlen;
	uint8_t first_ext;	/* next-header value for the first extension */
	uint8_t proto;		/* 0: TCP */
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t sport, dport;
	bool reverse;		/* from the server (10.0.0.2) to the client */
	size_t payload;
	size_t truncate;	/* cut the packet to this many bytes (0: no) */
};

static struct wire_bpf *skel;
static int nevents;
static struct tt_wire_event last, seen[8];	/* the latest, and the first 8 */

static int on_event(void *ctx, void *data, size_t size)
{
	if (size == sizeof(struct tt_wire_event)) {
		memcpy(&last, data, sizeof(last));
		if (nevents < 8)
			seen[nevents] = last;
		nevents++;
	}
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static size_t build(const struct spec *s, uint8_t *b)
{
	static const uint8_t c4[4] = { 10, 0, 0, 1 }, s4[4] = { 10, 0, 0, 2 };
	static const uint8_t c6[16] = { 0xfd, [15] = 1 }, s6[16] = { 0xfd, [15] = 2 };
	size_t n = 12, l3, l4len = 20 + s->payload;
	uint8_t proto = s->proto ? s->proto : 6;

	memset(b, 0, 1500);
	memset(b, 0xaa, 12);	/* MAC addresses */
	for (int i = 0; i < s->vlans; i++) {
		put16(b + n, s->vlans == 2 && i == 0 ? 0x88a8 : 0x8100);
		put16(b + n + 2, 100 + i);
		n += 4;
	}
	put16(b + n, s->v6 ? 0x86dd : 0x0800);
	n += 2;
	l3 = n;
	if (!s->v6) {
		b[n] = 0x45;
		put16(b + n + 2, 20 + l4len);
		b[n + 8] = 64;
		b[n + 9] = proto;
		memcpy(b + n + 12, s->reverse ? s4 : c4, 4);
		memcpy(b + n + 16, s->reverse ? c4 : s4, 4);
		n += 20;
	} else {
		b[n] = 0x60;
		put16(b + n + 4, s->extlen + l4len);
		b[n + 6] = s->extlen ? s->first_ext : proto;
		b[n + 7] = 64;
		memcpy(b + n + 8, s->reverse ? s6 : c6, 16);
		memcpy(b + n + 24, s->reverse ? c6 : s6, 16);
		n += 40;
		memcpy(b + n, s->ext, s->extlen);
		n += s->extlen;
	}
	(void)l3;
	put16(b + n, s->reverse ? s->dport : s->sport);
	put16(b + n + 2, s->reverse ? s->sport : s->dport);
	put32(b + n + 4, s->seq);
	put32(b + n + 8, s->ack);
	b[n + 12] = 5 << 4;
	b[n + 13] = s->flags;
	n += 20 + s->payload;
	return s->truncate ? s->truncate : n;
}

static int run_prog(struct bpf_program *prog, const struct spec *s)
{
	uint8_t buf[1500];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = build(s, buf),
		    .repeat = 1);
	struct ring_buffer *rb;

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	assert_non_null(rb);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return opts.retval;
}

static int run(const struct spec *s)
{
	int ret = run_prog(skel->progs.tt_tc_ingress, s);

	/* an observer: every packet continues to the next program */
	assert_int_equal(ret, TC_ACT_UNSPEC);
	return ret;
}

static int nflows(void)
{
	struct tt_flow_key k, next;
	int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(bpf_map__fd(skel->maps.flows), prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static unsigned long long counter(int idx)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long vals[ncpu], sum = 0;
	__u32 key = idx;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &key, vals))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static int setup(void **state)
{
	skel = wire_bpf__open();
	assert_non_null(skel);
	assert_int_equal(wire_bpf__load(skel), 0);
	nevents = 0;
	memset(&last, 0, sizeof(last));
	memset(seen, 0, sizeof(seen));
	return 0;
}

static int teardown(void **state)
{
	wire_bpf__destroy(skel);
	skel = NULL;
	return 0;
}

/* a SYN from the client, fields overridable: later designators win on purpose */
#pragma GCC diagnostic ignored "-Woverride-init"
#define SYN(...) ((struct spec){ .flags = 0x02, .seq = 1000, .sport = 40000, .dport = 80, __VA_ARGS__ })

static void test_handshake_ipv4(void **state)
{
	run(&SYN());
	assert_int_equal(nflows(), 1);
	run(&(struct spec){ .flags = 0x12, .seq = 5000, .ack = 1001, .sport = 40000, .dport = 80,
			    .reverse = true });
	assert_int_equal(nevents, 0);	/* a milestone is the handshake's end, not a packet */
	run(&(struct spec){ .flags = 0x10, .seq = 1001, .ack = 5001, .sport = 40000, .dport = 80 });
	assert_int_equal(nevents, 1);
	assert_int_equal(last.fact, TT_WFACT_HANDSHAKE);
	assert_int_equal(last.iport, 40000);
	assert_int_equal(last.rport, 80);
	assert_int_equal(last.syns, 1);
	assert_true(last.synack_ns >= last.syn_ns && last.ack_ns >= last.synack_ns);
	assert_memory_equal(last.iaddr, ((uint8_t[]){ 10, 0, 0, 1 }), 4);
}

static void test_syn_retry_and_refused(void **state)
{
	run(&SYN());
	run(&SYN());
	assert_int_equal(nevents, 1);
	assert_int_equal(last.fact, TT_WFACT_SYN_RETRY);
	assert_int_equal(last.syns, 2);
	/* an RST that does not acknowledge the SYN is not an answer to it */
	run(&(struct spec){ .flags = 0x14, .ack = 7, .sport = 40000, .dport = 80, .reverse = true });
	assert_int_equal(nevents, 1);
	run(&(struct spec){ .flags = 0x14, .ack = 1001, .sport = 40000, .dport = 80, .reverse = true });
	assert_int_equal(nevents, 2);
	assert_int_equal(last.fact, TT_WFACT_REFUSED);
	assert_int_equal(last.by, TT_BY_RESPONDER);
	assert_int_equal(nflows(), 0);
}

static void test_vlan_tags(void **state)
{
	run(&SYN(.vlans = 1));
	assert_int_equal(nflows(), 1);
	run(&SYN(.vlans = 2, .sport = 40001));
	assert_int_equal(nflows(), 2);
	/* more tags than the parser walks: left alone */
	run(&SYN(.vlans = 3, .sport = 40002));
	assert_int_equal(nflows(), 2);
}

static void test_ipv6_extension_headers(void **state)
{
	/* hop-by-hop (8 bytes) -> destination options (8 bytes) -> TCP */
	static const uint8_t ext[] = { 60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0 };
	/* fragment header, offset 8: a later fragment without a TCP header */
	static const uint8_t frag_later[] = { 6, 0, 0, 8, 0, 0, 0, 1 };
	static const uint8_t frag_first[] = { 6, 0, 0, 1, 0, 0, 0, 2 };

	run(&SYN(.v6 = true));
	assert_int_equal(nflows(), 1);
	run(&SYN(.v6 = true, .ext = ext, .extlen = sizeof(ext), .first_ext = 0, .sport = 40001));
	assert_int_equal(nflows(), 2);
	run(&SYN(.v6 = true, .ext = frag_later, .extlen = 8, .first_ext = 44, .sport = 40002));
	assert_int_equal(nflows(), 2);
	run(&SYN(.v6 = true, .ext = frag_first, .extlen = 8, .first_ext = 44, .sport = 40003));
	assert_int_equal(nflows(), 3);
}

static void test_truncated_headers_are_counted(void **state)
{
	run(&SYN(.truncate = 14 + 20 + 10));	/* half a TCP header */
	run(&SYN(.v6 = true, .truncate = 14 + 40 + 6));	/* IPv6, then 6 bytes of TCP */
	assert_int_equal(nflows(), 0);
	assert_int_equal(counter(TT_CNT_WIRE_TRUNCATED), 2);
}

static void test_non_tcp_and_data_pass_untouched(void **state)
{
	run(&SYN(.proto = 17));				/* UDP */
	run(&SYN(.flags = 0x18, .payload = 1000));	/* data */
	run(&SYN(.flags = 0x10));			/* a pure ACK, no handshake near */
	assert_int_equal(nflows(), 0);
	assert_int_equal(nevents, 0);
	assert_int_equal(counter(TT_CNT_WIRE_TRUNCATED), 0);
}

static void test_fins_close_and_rst_resets(void **state)
{
	struct spec fin_c = { .flags = 0x11, .seq = 1001, .sport = 40000, .dport = 80 };
	struct spec fin_s = { .flags = 0x11, .seq = 5001, .sport = 40000, .dport = 80,
			      .reverse = true };

	run(&SYN());
	run(&(struct spec){ .flags = 0x12, .seq = 5000, .ack = 1001, .sport = 40000, .dport = 80,
			    .reverse = true });
	run(&fin_c);
	run(&fin_c);	/* retransmitted */
	run(&fin_s);
	assert_int_equal(last.fact, TT_WFACT_CLOSE);
	assert_int_equal(last.by, TT_BY_INITIATOR);
	assert_int_equal(nflows(), 0);

	run(&SYN(.sport = 40001));
	run(&(struct spec){ .flags = 0x12, .seq = 5000, .ack = 1001, .sport = 40001, .dport = 80,
			    .reverse = true });
	run(&(struct spec){ .flags = 0x04, .seq = 1001, .sport = 40001, .dport = 80 });
	assert_int_equal(last.fact, TT_WFACT_RESET);
	assert_int_equal(last.by, TT_BY_INITIATOR);
}

#define SYNACK(port) ((struct spec){ .flags = 0x12, .seq = 5000, .ack = 1001, .sport = (port), \
				      .dport = 80, .reverse = true })
#define FINAL_ACK(port) ((struct spec){ .flags = 0x10, .seq = 1001, .ack = 5001, .sport = (port), \
					 .dport = 80 })

/* the slot a pure ACK from @port to port 80, acknowledging @ack, looks at */
static uint32_t slot_of(uint32_t ack, uint16_t port)
{
	return tt_pending_slot(ack, port, 80);
}

#define COUNT(ack, port)	(skel->bss->pending_count[slot_of(ack, port)])
#define SLOT_NS(ack, port)	(skel->bss->pending_ns[slot_of(ack, port)])

static long long pending_total(void)
{
	long long n = 0;

	for (int i = 0; i < TT_PENDING_SLOTS; i++)
		n += skel->bss->pending_count[i];
	return n;
}

/* every way out of "SYN-ACK seen" gives back its count, so bulk ACKs skip the lookup */
static void test_pending_handshakes_are_counted(void **state)
{
	run(&SYN());
	assert_int_equal(pending_total(), 0);
	run(&SYNACK(40000));
	run(&SYNACK(40000));	/* retransmitted: still one */
	assert_int_equal(COUNT(5001, 40000), 1);
	assert_int_equal(pending_total(), 1);
	run(&FINAL_ACK(40000));
	assert_int_equal(pending_total(), 0);

	run(&SYN(.sport = 40001));
	run(&SYNACK(40001));
	run(&(struct spec){ .flags = 0x11, .seq = 1001, .ack = 5001, .sport = 40001, .dport = 80 });
	assert_int_equal(pending_total(), 0);	/* the FIN carried the final ACK */

	run(&SYN(.sport = 40002));
	run(&SYNACK(40002));
	run(&(struct spec){ .flags = 0x04, .seq = 1001, .sport = 40002, .dport = 80 });
	assert_int_equal(pending_total(), 0);

	run(&SYN(.sport = 40003));
	run(&SYNACK(40003));
	run(&SYN(.sport = 40003, .seq = 9000));		/* the tuple reused */
	assert_int_equal(pending_total(), 0);
}

/* with nothing pending in its slot a pure ACK is not looked at: the slot gates it */
static void test_pure_ack_needs_a_pending_handshake(void **state)
{
	run(&SYN());
	run(&SYNACK(40000));
	nevents = 0;
	COUNT(5001, 40000) = 0;
	run(&FINAL_ACK(40000));
	assert_int_equal(nevents, 0);
	COUNT(5001, 40000) = 1;
	run(&FINAL_ACK(40000));
	assert_int_equal(nevents, 1);
	assert_int_equal(last.fact, TT_WFACT_HANDSHAKE);
}

/*
 * Another handshake pending elsewhere does not open the gate: under a
 * connection storm one always is, and every ACK went to the flow table.
 */
static void test_pending_is_counted_per_slot(void **state)
{
	uint16_t other = 40001;

	run(&SYN());
	run(&SYNACK(40000));
	/* a second flow whose final ACK falls in another slot */
	while (tt_pending_slot(5001, other, 80) == tt_pending_slot(5001, 40000, 80))
		other++;
	run(&SYN(.sport = other));
	run(&SYNACK(other));
	assert_int_equal(COUNT(5001, other), 1);
	nevents = 0;
	COUNT(5001, 40000) = 0;	/* as if miscounted */
	run(&FINAL_ACK(40000));
	assert_int_equal(nevents, 0);
	run(&FINAL_ACK(other));
	assert_int_equal(nevents, 1);
	assert_int_equal(last.fact, TT_WFACT_HANDSHAKE);
}

/* a count left over (an evicted flow) is dropped once no SYN-ACK came for a window */
static void test_stale_pending_count_is_reset(void **state)
{
	/* where a pure ACK (ack 0) of port 41000 looks */
	run(&SYN());
	run(&SYNACK(40000));
	COUNT(0, 41000) = 7;
	SLOT_NS(0, 41000) = SLOT_NS(5001, 40000);	/* a SYN-ACK counted there just now */
	run(&SYN(.flags = 0x10, .sport = 41000));	/* a pure ACK, in the window */
	assert_int_equal(COUNT(0, 41000), 7);
	SLOT_NS(0, 41000) -= TT_HANDSHAKE_WINDOW_NS + 1;
	run(&SYN(.flags = 0x10, .sport = 41000));
	assert_int_equal(COUNT(0, 41000), 0);
}

/* a client that writes at once may carry its final ACK on data: it ends the handshake */
static void test_final_ack_on_data(void **state)
{
	run(&SYN());
	run(&SYNACK(40000));
	run(&(struct spec){ .flags = 0x18, .seq = 1001, .ack = 5001, .sport = 40000, .dport = 80,
			    .payload = 100 });
	assert_int_equal(nevents, 1);
	assert_int_equal(last.fact, TT_WFACT_HANDSHAKE);
	assert_true(last.ack_ns >= last.synack_ns && last.synack_ns);
	assert_int_equal(pending_total(), 0);
}

/*
 * A handshake whose final ACK went unseen still happened: the first FIN
 * reports it, with the ACK's time only when that FIN carries the ACK.
 */
static void test_fin_reports_a_handshake_missing_its_ack(void **state)
{
	run(&SYN());
	run(&SYNACK(40000));
	COUNT(5001, 40000) = 0;		/* as if miscounted: the ACK is skipped */
	run(&FINAL_ACK(40000));
	assert_int_equal(nevents, 0);
	run(&(struct spec){ .flags = 0x11, .seq = 1101, .ack = 5001, .sport = 40000,
			    .dport = 80 });
	assert_int_equal(nevents, 1);
	assert_int_equal(seen[0].fact, TT_WFACT_HANDSHAKE);
	assert_int_equal(seen[0].ack_ns, 0);	/* after data: the ACK's time is unknown */
	assert_true(seen[0].synack_ns >= seen[0].syn_ns && seen[0].synack_ns);
	run(&(struct spec){ .flags = 0x11, .seq = 5001, .ack = 1102, .sport = 40000, .dport = 80,
			    .reverse = true });
	assert_int_equal(nevents, 2);
	assert_int_equal(seen[1].fact, TT_WFACT_CLOSE);

	/* the client's first segment after its SYN is a FIN: it carries the ACK */
	run(&SYN(.sport = 40001));
	run(&SYNACK(40001));
	run(&(struct spec){ .flags = 0x11, .seq = 1001, .ack = 5001, .sport = 40001,
			    .dport = 80 });
	assert_int_equal(nevents, 3);
	assert_int_equal(seen[2].fact, TT_WFACT_HANDSHAKE);
	assert_true(seen[2].ack_ns >= seen[2].synack_ns && seen[2].synack_ns);
}

static void test_xdp_passes(void **state)
{
	uint8_t buf[1500];
	struct spec s = SYN();
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = build(&s, buf),
		    .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.tt_xdp_ingress),
						&opts), 0);
	assert_int_equal(opts.retval, XDP_PASS);
	assert_int_equal(nflows(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_retry_and_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_extension_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_headers_are_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_tcp_and_data_pass_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fins_close_and_rst_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_handshakes_are_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pure_ack_needs_a_pending_handshake, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pending_is_counted_per_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_pending_count_is_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_final_ack_on_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_reports_a_handshake_missing_its_ack, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_xdp_passes, setup, teardown),
	};

	if (geteuid()) {
		fprintf(stderr, "test_wire: needs root (BPF)\n");
		return 1;
	}
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
