// SPDX-License-Identifier: GPL-2.0
/*
 * Wire view: TC (ingress/egress) and XDP (ingress) observers of SYN, SYN-ACK,
 * RST and FIN packets.  They keep a little state per flow and report
 * milestones, never single packets.  They never drop, change or redirect a
 * packet, and always let the programs after them run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tcptrack.h"
#include "common.bpf.h"
#include "compat.bpf.h"
#include "net.h"
#include "parse.h"
#include "state.h"

#define TC_ACT_UNSPEC	(-1)	/* also TCX_NEXT: continue with the next program */

/*
 * A pure ACK is looked up only when a handshake may be waiting for it.  Flows
 * in TT_WS_SYNACK are counted in pending_count[], in the slot of the final
 * ACK they expect (tt_pending_slot(): its ACK number and ports), so an ACK
 * whose slot is zero leaves without a lookup.  A single count would not do:
 * under a connection storm some handshake is always pending, and every ACK
 * of every connection would go to the flow table.
 *
 * A slot's count is a hint, not a ledger: an LRU eviction or two CPUs
 * finishing the same flow can leave it off by one, so a non-zero count is
 * trusted only within TT_HANDSHAKE_WINDOW_NS of the slot's last SYN-ACK and
 * is reset once that window has passed.  Off by one either way costs lookups
 * for up to a window, never a handshake that completes inside one.
 *
 * The counts are an array apart from the times: every pure ACK reads its
 * slot's count, and the counts alone are a table small enough to stay cached.
 */
__s64 pending_count[TT_PENDING_SLOTS] = {};
__u64 pending_ns[TT_PENDING_SLOTS] = {};	/* the last SYN-ACK counted in the slot */

static __always_inline __u32 pending_slot(__u32 ack, __u16 port_a, __u16 port_b)
{
	return tt_pending_slot(ack, port_a, port_b) & (TT_PENDING_SLOTS - 1);
}

/* @f, of key @k, leaves TT_WS_SYNACK */
static __always_inline void handshake_done(const struct tt_flow_key *k, const struct tt_flow *f)
{
	__sync_fetch_and_add(&pending_count[pending_slot(f->synack_seq + 1, k->port_lo,
							  k->port_hi)], -1);
}

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TT_MAX_FLOWS);
	__type(key, struct tt_flow_key);
	__type(value, struct tt_flow);
} flows SEC(".maps");

static __always_inline bool wanted(const struct pkt *p)
{
	if (targ_family && p->family != targ_family)
		return false;
	return port_wanted(p->sport, p->dport);
}

/* Is (a, pa) ordered before (b, pb)?  Defines the canonical key. */
static __always_inline bool endpoint_lt(const __u8 *a, __u16 pa, const __u8 *b, __u16 pb)
{
	int i;

#pragma unroll
	for (i = 0; i < 16; i++) {
		if (a[i] != b[i])
			return a[i] < b[i];
	}
	return pa < pb;
}

/*
 * Two endpoints, (@xa, @xp) and (@ya, @yp), into the slots (@a1, @p1) and
 * (@a2, @p2): in that order when @in_order, else crosswise.  A flow key's canonical
 * order from a packet's, an event's initiator order from a key's.  The
 * addresses are copied by words: each of these fields is 4-aligned.
 */
static __always_inline void put_endpoints(__u8 *a1, __u16 *p1, __u8 *a2, __u16 *p2,
					  const __u8 *xa, __u16 xp, const __u8 *ya, __u16 yp,
					  bool in_order)
{
	if (in_order) {
		*p1 = xp;
		*p2 = yp;
		__builtin_memcpy((__u32 *)a1, (const __u32 *)xa, 16);
		__builtin_memcpy((__u32 *)a2, (const __u32 *)ya, 16);
	} else {
		*p1 = yp;
		*p2 = xp;
		__builtin_memcpy((__u32 *)a1, (const __u32 *)ya, 16);
		__builtin_memcpy((__u32 *)a2, (const __u32 *)xa, 16);
	}
}

/* Fills @k; returns whether the packet's sender is the key's _lo endpoint. */
static __always_inline bool make_key(const struct pkt *p, __u32 ifindex, struct tt_flow_key *k)
{
	bool sender_lo = endpoint_lt(p->saddr, p->sport, p->daddr, p->dport);

	k->ifindex = ifindex;
	k->family = p->family;
	k->pad = 0;
	put_endpoints(k->addr_lo, &k->port_lo, k->addr_hi, &k->port_hi, p->saddr, p->sport,
		      p->daddr, p->dport, sender_lo);
	return sender_lo;
}

static __always_inline void emit(const struct tt_flow_key *k, const struct tt_flow *f,
				 __u8 fact, __u8 by, __u8 dir, __u64 now)
{
	struct tt_wire_event *e = reserve(sizeof(*e));

	if (!e)
		return;
	e->ts_ns = now;
	e->syn_ns = f->syn_ns;
	e->synack_ns = f->synack_ns;
	e->ack_ns = f->ack_ns;
	e->ifindex = k->ifindex;
	e->family = k->family;
	e->fact = fact;
	e->syns = f->syns;
	e->synacks = f->synacks;
	e->syn_dir = f->syn_dir;
	e->by = by;
	e->pkt_dir = dir;
	put_endpoints(e->iaddr, &e->iport, e->raddr, &e->rport, k->addr_lo, k->port_lo, k->addr_hi,
		      k->port_hi, f->init_is_lo);
	submit(e, sizeof(*e));
}

static __always_inline void on_syn(const struct pkt *p, const struct tt_flow_key *k,
				   bool sender_lo, __u8 dir, __u64 now)
{
	struct tt_flow nf = {};
	struct tt_flow *f;

	nf.syn_ns = now;
	nf.syn_seq = p->seq;
	nf.init_is_lo = sender_lo;
	nf.syns = 1;
	nf.syn_dir = dir;
	nf.state = TT_WS_SYN;
	/*
	 * Most SYNs start a flow: insert first, and look up only when the tuple
	 * is already there.  LRU: a flood evicts the oldest; user space counts
	 * them (started - ended - live).
	 */
	if (!bpf_map_update_elem(&flows, k, &nf, BPF_NOEXIST)) {
		count(TT_CNT_FLOW_NEW);
		return;
	}
	f = bpf_map_lookup_elem(&flows, k);
	if (f && f->state == TT_WS_SYN && f->init_is_lo == sender_lo && f->syn_seq == p->seq) {
		/* a retransmission; capped so the u8 cannot wrap */
		if (f->syns < 255)
			f->syns++;
		emit(k, f, TT_WFACT_SYN_RETRY, TT_BY_INITIATOR, dir, now);
		return;
	}
	if (f && f->state == TT_WS_SYNACK)
		handshake_done(k, f);	/* replaced before its final ACK */
	/* a new connection reusing the tuple of an old one (or the old one just went) */
	bpf_map_update_elem(&flows, k, &nf, BPF_ANY);
	count(TT_CNT_FLOW_NEW);
}

static __always_inline void on_synack(const struct pkt *p, const struct tt_flow_key *k,
				      bool sender_lo, __u64 now)
{
	struct tt_flow *f = bpf_map_lookup_elem(&flows, k);
	__u32 slot;

	if (!f || f->init_is_lo == sender_lo || p->ack != f->syn_seq + 1)
		return;
	/* the time before the count, so the reset in handle() cannot undo this one */
	slot = pending_slot(p->seq + 1, p->sport, p->dport);
	pending_ns[slot] = now;
	if (f->state == TT_WS_SYN) {
		f->state = TT_WS_SYNACK;
		f->synack_ns = now;
		f->synack_seq = p->seq;
		__sync_fetch_and_add(&pending_count[slot], 1);
	}
	if (f->synacks < 255)
		f->synacks++;
}

/* @f, waiting for its final ACK, is established: @ack_ns is 0 when unknown */
static __always_inline void end_handshake(const struct tt_flow_key *k, struct tt_flow *f,
					  __u64 ack_ns, __u8 dir, __u64 now)
{
	f->state = TT_WS_EST;
	f->ack_ns = ack_ns;
	handshake_done(k, f);
	emit(k, f, TT_WFACT_HANDSHAKE, TT_BY_INITIATOR, dir, now);
}

static __always_inline void on_ack(const struct pkt *p, const struct tt_flow_key *k,
				   bool sender_lo, __u8 dir, __u64 now)
{
	struct tt_flow *f = bpf_map_lookup_elem(&flows, k);

	if (!f || f->state != TT_WS_SYNACK || f->init_is_lo != sender_lo ||
	    p->ack != f->synack_seq + 1)
		return;
	end_handshake(k, f, now, dir, now);
}

/*
 * Ends a flow with a milestone.  Two CPUs may hold the same flow (an RST and
 * the RST answering a FIN, both inbound): only the one whose delete succeeds
 * reports, from a copy taken before the entry can be reused.
 */
static __always_inline void finish(const struct tt_flow_key *k, const struct tt_flow *f,
				   __u8 fact, __u8 by, __u8 dir, __u64 now)
{
	struct tt_flow copy = *f;

	if (bpf_map_delete_elem(&flows, k))
		return;
	if (copy.state == TT_WS_SYNACK)
		handshake_done(k, &copy);
	count(TT_CNT_FLOW_END);
	emit(k, &copy, fact, by, dir, now);
}

static __always_inline void on_rst(const struct pkt *p, const struct tt_flow_key *k,
				   bool sender_lo, __u8 dir, __u64 now)
{
	struct tt_flow *f = bpf_map_lookup_elem(&flows, k);
	__u8 by;

	if (!f)
		return;
	by = f->init_is_lo == sender_lo ? TT_BY_INITIATOR : TT_BY_RESPONDER;
	if (f->state == TT_WS_SYN) {
		if (by == TT_BY_INITIATOR) {
			/* the initiator abandoned its own attempt */
			if (!bpf_map_delete_elem(&flows, k))
				count(TT_CNT_FLOW_END);
			return;
		}
		/* an RST answering a SYN acknowledges it: seq + 1 */
		if (!(p->flags & TH_ACK) || p->ack != f->syn_seq + 1)
			return;
		finish(k, f, TT_WFACT_REFUSED, by, dir, now);
	} else {
		finish(k, f, TT_WFACT_RESET, by, dir, now);
	}
}

/* no clock argument: only the FINs that end a handshake or the flow read it */
static __always_inline void on_fin(const struct pkt *p, const struct tt_flow_key *k,
				   bool sender_lo, __u8 dir)
{
	struct tt_flow *f = bpf_map_lookup_elem(&flows, k);
	__u8 by;

	if (!f || f->state < TT_WS_SYNACK)
		return;
	if (f->state == TT_WS_SYNACK) {
		/*
		 * The final ACK was missed (lost, or a miscounted slot let the
		 * fast path skip it), or this FIN carries it.  The handshake
		 * still happened: report it, or the sockets' CONNECT and ACCEPT
		 * go out without the wire.  The ACK's time is this FIN's only
		 * when the FIN is the initiator's first segment after its SYN.
		 */
		__u64 now = bpf_ktime_get_ns();
		bool carries_ack = f->init_is_lo == sender_lo && p->seq == f->syn_seq + 1 &&
				   p->ack == f->synack_seq + 1;

		end_handshake(k, f, carries_ack ? now : 0, dir, now);
	}
	by = f->init_is_lo == sender_lo ? TT_BY_INITIATOR : TT_BY_RESPONDER;
	if (f->fins & by)
		return;		/* a retransmitted FIN */
	if (!f->fins)
		f->first_fin = by;
	f->fins |= by;
	if (f->fins != (TT_BY_INITIATOR | TT_BY_RESPONDER))
		return;
	finish(k, f, TT_WFACT_CLOSE, f->first_fin, dir, bpf_ktime_get_ns());
}

static __always_inline void handle(void *data, void *data_end, __u32 ifindex, __u8 dir)
{
	struct tt_flow_key k;
	struct pkt p;
	bool sender_lo;
	__s64 pending;
	__u32 slot;
	__u64 now;
	int ret;

	ret = parse_packet(data, data_end, &p);
	if (ret != PARSE_TCP) {
		if (ret == PARSE_TRUNCATED)
			count(TT_CNT_WIRE_TRUNCATED);
		return;
	}
	if (!(p.flags & (TH_SYN | TH_RST | TH_FIN))) {
		/*
		 * The fast path: every ACK unless a handshake may be completing.
		 * Data too, since a client that writes at once may carry its
		 * final ACK on the first data segment.
		 */
		if (!(p.flags & TH_ACK))
			return;
		slot = pending_slot(p.ack, p.sport, p.dport);
		pending = READ_ONCE(pending_count[slot]);
		if (!pending)
			return;
		now = bpf_ktime_get_ns();
		if (now - READ_ONCE(pending_ns[slot]) > TT_HANDSHAKE_WINDOW_NS) {
			/*
			 * What is still counted is stale: evicted, or miscounted by
			 * a race.  Only if no SYN-ACK counted itself meanwhile.
			 */
			reset_if_unchanged(&pending_count[slot], pending);
			return;
		}
		if (!wanted(&p))
			return;
		load_addrs(&p);
		sender_lo = make_key(&p, ifindex, &k);
		on_ack(&p, &k, sender_lo, dir, now);
		return;
	}
	if (!wanted(&p))
		return;
	load_addrs(&p);
	sender_lo = make_key(&p, ifindex, &k);
	if (p.flags & TH_RST)
		on_rst(&p, &k, sender_lo, dir, bpf_ktime_get_ns());
	else if ((p.flags & (TH_SYN | TH_ACK)) == TH_SYN)
		on_syn(&p, &k, sender_lo, dir, bpf_ktime_get_ns());
	else if (p.flags & TH_SYN)
		on_synack(&p, &k, sender_lo, bpf_ktime_get_ns());
	else
		on_fin(&p, &k, sender_lo, dir);
}

SEC("tc")
int tt_tc_ingress(struct __sk_buff *skb)
{
	handle((void *)(long)skb->data, (void *)(long)skb->data_end, skb->ifindex,
	       TT_DIR_INGRESS);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tt_tc_egress(struct __sk_buff *skb)
{
	handle((void *)(long)skb->data, (void *)(long)skb->data_end, skb->ifindex,
	       TT_DIR_EGRESS);
	return TC_ACT_UNSPEC;
}

SEC("xdp")
int tt_xdp_ingress(struct xdp_md *ctx)
{
	handle((void *)(long)ctx->data, (void *)(long)ctx->data_end, ctx->ingress_ifindex,
	       TT_DIR_INGRESS);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
