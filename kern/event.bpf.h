/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A socket view fact, from the socket to the ring buffer: reading a socket
 * (one reader, two ways), the kernel-side filters, and the record.
 */
#ifndef TT_EVENT_BPF_H
#define TT_EVENT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcptrack.h"
#include "common.bpf.h"
#include "config.bpf.h"
#include "net.h"
#include "sock.bpf.h"
#include "state.h"

/* ::ffff:a.b.c.d, an IPv4 peer of an AF_INET6 socket */
static __always_inline bool is_v4mapped(const __u8 *a)
{
	return !(a[0] | a[1] | a[2] | a[3] | a[4] | a[5] | a[6] | a[7] | a[8] | a[9]) &&
	       a[10] == 0xff && a[11] == 0xff;
}

/*
 * How a program can read a socket.  SK_LOAD: it holds a typed pointer (a
 * tp_btf argument, bpf_skc_to_tcp_sock()'s result), and a field is one load.
 * SK_PROBE: it holds only an address (a kretprobe's or fexit's return value,
 * a pointer walked to from a file descriptor), and a field is a
 * bpf_probe_read_kernel() call, far dearer; those programs run once per
 * connection at most, set_state ten times.
 */
enum sk_read { SK_LOAD, SK_PROBE };

#define SK_READ(how, p, field)	((how) == SK_LOAD ? (p)->field : BPF_CORE_READ(p, field))

/*
 * The one reader of a socket's tuple.  IPv4 addresses fill the first word of
 * @saddr and @daddr; loads of an IPv6 address go word by word, as the
 * verifier checks each against the u32 array.  @netns may be NULL.
 */
static __always_inline void sk_tuple(const struct tcp_sock *tp, enum sk_read how, __u16 *family,
				     __u16 *sport, __u16 *dport, __u32 *netns, __u32 *saddr,
				     __u32 *daddr)
{
	__u16 fam = SK_READ(how, tp, SKC(skc_family));

	*family = fam;
	/*
	 * Not skc_num: tcp_set_state() releases the port (inet_put_port zeroes
	 * inet_num) before the CLOSE tracepoint fires; inet_sport survives.
	 */
	*sport = bpf_ntohs(SK_READ(how, tp, inet_conn.icsk_inet.inet_sport));
	*dport = bpf_ntohs(SK_READ(how, tp, SKC(skc_dport)));
	if (netns)
		*netns = how == SK_LOAD ? tp->SKC(skc_net).net->ns.inum
					: BPF_CORE_READ(tp, SKC(skc_net).net, ns.inum);
	if (how == SK_PROBE) {
		if (fam == AF_INET) {
			bpf_core_read(saddr, 4, &tp->SKC(skc_rcv_saddr));
			bpf_core_read(daddr, 4, &tp->SKC(skc_daddr));
		} else {
			bpf_core_read(saddr, 16, &tp->SKC(skc_v6_rcv_saddr));
			bpf_core_read(daddr, 16, &tp->SKC(skc_v6_daddr));
		}
	} else if (fam == AF_INET) {
		saddr[0] = tp->SKC(skc_rcv_saddr);
		daddr[0] = tp->SKC(skc_daddr);
	} else {
		for (int i = 0; i < 4; i++) {
			saddr[i] = tp->SKC(skc_v6_rcv_saddr).in6_u.u6_addr32[i];
			daddr[i] = tp->SKC(skc_v6_daddr).in6_u.u6_addr32[i];
		}
	}
}

/* sk_tuple() into a tt_event or a tt_sock (the same field names) */
#define SK_TUPLE(d, tp, how)								\
	sk_tuple((tp), (how), &(d)->family, &(d)->sport, &(d)->dport, &(d)->netns,	\
		 (__u32 *)(d)->saddr, (__u32 *)(d)->daddr)

static __always_inline void sk_stats(struct tt_event *e, const struct tcp_sock *tp,
				     enum sk_read how)
{
	e->err = SK_READ(how, tp, inet_conn.icsk_inet.sk.sk_err);
	e->srtt_us = SK_READ(how, tp, srtt_us) >> 3;
	e->total_retrans = SK_READ(how, tp, total_retrans);
	e->bytes_acked = SK_READ(how, tp, bytes_acked);
	e->bytes_received = SK_READ(how, tp, bytes_received);
}

/* The kernel-side filters: namespace, ports and address family. */
static __always_inline bool wanted(const struct tt_event *e)
{
	if (targ_netns && e->netns != targ_netns)
		return false;
	if (!port_wanted(e->sport, e->dport))
		return false;
	if (e->family == AF_INET)
		return targ_family != AF_INET6;
	if (e->family != AF_INET6)
		return false;
	/* An AF_INET6 socket talking to a v4-mapped peer is IPv4 on the wire. */
	if (targ_family == AF_INET)
		return is_v4mapped(e->daddr);
	if (targ_family == AF_INET6)
		return !is_v4mapped(e->daddr);
	return true;
}

/* wanted() for a fact that is counted, not sent: only when a filter is set */
static __always_inline bool tcp_wanted(const struct tcp_sock *tp)
{
	struct tt_event t;

	if (!targ_netns && !targ_nports && !targ_family)
		return true;
	SK_TUPLE(&t, tp, SK_LOAD);
	return wanted(&t);
}

/*
 * The fact, and what the socket map knows of its owner; then submit.  @now:
 * the caller's clock reading, shared with the times it stores, so that one
 * read serves both.
 */
static __always_inline void ev_finish(struct tt_event *e, __u8 fact, __u8 oldstate,
				      const struct tt_sock *ts, __u8 hook, __u8 close_how,
				      __u64 now)
{
	e->ts_ns = now;
	e->fact = fact;
	e->oldstate = oldstate;
	e->hook = hook;
	e->close_how = close_how;
	if (ts) {
		e->start_ns = ts->start_ns;
		e->est_ns = ts->est_ns;
		e->pid = ts->pid;
		e->flags = ts->flags;
		__builtin_memcpy(e->comm, ts->comm, sizeof(e->comm));
		/* The handshake RTT sample, not whatever srtt became later. */
		if (ts->hs_srtt_us)
			e->srtt_us = ts->hs_srtt_us;
	} else {
		e->start_ns = 0;
		e->est_ns = 0;
		e->pid = 0;
		e->flags = 0;
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	}
	submit(e, sizeof(*e));
}

/* The kernel-side filters on a reserved record: one they reject is given back. */
static __always_inline bool ev_keep(struct tt_event *e)
{
	if (wanted(e))
		return true;
	bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
	return false;
}

/* The addresses the handshake left in a passive socket's entry (TT_F_TUPLE). */
static __always_inline void tuple_from_sock(struct tt_event *e, const struct tt_sock *ts)
{
	e->family = ts->family;
	e->sport = ts->sport;
	e->dport = ts->dport;
	e->netns = ts->netns;
	__builtin_memcpy(e->saddr, ts->saddr, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, ts->daddr, sizeof(e->daddr));
}

/*
 * A record for a fact, with its tuple and past the kernel-side filters, or
 * NULL.  The tuple comes from @entry if it holds one (TT_F_TUPLE: the caller
 * checked), else from the socket, read as @how says.
 */
static __always_inline struct tt_event *ev_start(const struct tcp_sock *tp, enum sk_read how,
						 const struct tt_sock *entry)
{
	struct tt_event *e = reserve(sizeof(*e));

	if (!e)
		return NULL;
	if (entry)
		tuple_from_sock(e, entry);
	else
		SK_TUPLE(e, tp, how);
	return ev_keep(e) ? e : NULL;
}

/*
 * A fact about @tp's socket, read as @how says.  True if it went out.  @now:
 * the caller's clock reading; an SK_PROBE caller passes 0, and the clock is
 * read once the record is filled.
 */
static __always_inline bool emit_sock(const struct tcp_sock *tp, enum sk_read how, __u8 fact,
				      __u8 oldstate, const struct tt_sock *ts, __u8 hook,
				      __u8 close_how, __u64 now)
{
	struct tt_event *e = ev_start(tp, how, NULL);

	if (!e)
		return false;
	sk_stats(e, tp, how);
	ev_finish(e, fact, oldstate, ts, hook, close_how,
		  how == SK_PROBE ? bpf_ktime_get_ns() : now);
	return true;
}

#endif /* TT_EVENT_BPF_H */
