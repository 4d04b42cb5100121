// SPDX-License-Identifier: GPL-2.0
/*
 * Socket view: TCP state changes, accepts and connect() failures, reported as
 * facts on a ring buffer.  Classification happens in user/classify.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "tcptrack.h"
#include "common.bpf.h"
#include "compat.bpf.h"
#include "net.h"

/* a tcp_sock's member of its sock_common, by its whole path: one CO-RE access each */
#define SKC(member)	inet_conn.icsk_inet.sk.__sk_common.member

/* Written by user space before load; the kernel-side filters. */
const volatile __u32 targ_netns = 0;
/* The wire view is on: report the facts the joiner pairs with wire facts. */
const volatile bool wire_join = false;
/*
 * --accept-hook listener: no syscall tracepoints (they slow every syscall on
 * the host); an accept is reported when the handshake completes, attributed
 * to the process that called listen() on that port.
 */
const volatile bool accept_by_listener = false;
/*
 * Summary only, and nothing user space filters on: connections that open and
 * close in order are counted here (TT_CNT_CONNECTED, _ACCEPTED, _CLOSED)
 * instead of crossing the ring buffer.  Failures, resets and sockets the map
 * does not know still go out as facts, for the classifier.
 */
const volatile bool count_only = false;

/*
 * What a socket's later facts need from its earlier ones (owner, start and
 * handshake times, a passive socket's addresses), keyed by its address.
 * Preallocated (about 14 MiB): allocating per connection costs the workload
 * more.  (A lock-free set-associative array keyed by socket cookie was tried
 * in its place and measured slower: see docs/performance.md.)
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TT_MAX_SOCKS);
	__type(key, __u64);
	__type(value, struct tt_sock);
} socks SEC(".maps");

static __always_inline __u64 sock_key(const struct sock *sk)
{
	return (__u64)sk;
}

static __always_inline struct tt_sock *sock_get(__u64 key)
{
	return bpf_map_lookup_elem(&socks, &key);
}

/*
 * Stores @ts for @key unless an entry is there already (made on another CPU
 * since the caller looked); returns the entry, NULL (and counted) when full.
 */
static __always_inline struct tt_sock *sock_put(__u64 key, const struct tt_sock *ts)
{
	struct tt_sock *got;

	bpf_map_update_elem(&socks, &key, ts, BPF_NOEXIST);
	got = bpf_map_lookup_elem(&socks, &key);
	if (!got)
		count(TT_CNT_SOCK_FULL);
	return got;
}

/* sock_put() for callers that do not need the copy: one lookup fewer */
static __always_inline void sock_track(__u64 key, const struct tt_sock *ts)
{
	if (bpf_map_update_elem(&socks, &key, ts, BPF_ANY))
		count(TT_CNT_SOCK_FULL);
}

static __always_inline void sock_drop(__u64 key)
{
	bpf_map_delete_elem(&socks, &key);
}

struct listener_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct listener_key);
	__type(value, struct tt_sock);
} listeners SEC(".maps");

/* The listeners entry of @tp's port: a listener's own, or the one a child was cloned from. */
static __always_inline struct listener_key listener_key_of(const struct tcp_sock *tp)
{
	struct listener_key lk = {
		.netns = tp->SKC(skc_net).net->ns.inum,
		.port = tp->SKC(skc_num),
	};

	return lk;
}

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

/* Counts a connection that reached ESTABLISHED and that @ts tracks. */
static __always_inline void count_open(struct tt_sock *ts, __u32 counter)
{
	ts->flags |= TT_F_COUNTED;
	count(counter);
}

static __always_inline void set_owner(struct tt_sock *ts)
{
	ts->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ts->comm, sizeof(ts->comm));
	ts->flags |= TT_F_OWNER_KNOWN;
}

/*
 * The fact, and what the socket map knows of its owner; then submit.  @now:
 * the caller's clock reading, shared with the times it stores (a clock read
 * costs about 100 ns in a guest).
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

/*
 * The wire view's handshakes need a claim from the socket view before the
 * joiner's window ends, or they go out as wire-only CONNECT rows: the
 * CONNECT of a local initiator, or else the responder's PASSIVE_EST (its
 * accept() may come much later).  When both ends are on this host the
 * CONNECT has claimed the handshake already, and the PASSIVE_EST would be
 * one of the connection's seven records, for nothing.  So the CONNECT leaves
 * its tuple in a slot, and the responder, one round trip later, skips its
 * PASSIVE_EST if the slot still holds it.
 *
 * A slot is a hint: another connection may overwrite it, or two CPUs tear
 * it; a mismatch only costs the PASSIVE_EST it would have saved.  A match is
 * taken once, and only within TT_OPENED_NS, so a tuple that a remote
 * initiator reuses later is not taken for a local one.
 */
struct tt_opened opened_slots[TT_OPENED_SLOTS] = {};

/* the tuple from the initiator's side; @local_is_init: @tp is the initiator */
static __always_inline __u32 opened_key(struct tt_opened *o, const struct tcp_sock *tp,
					bool local_is_init)
{
	__u32 h;

	if (local_is_init)
		sk_tuple(tp, SK_LOAD, &o->family, &o->iport, &o->rport, NULL, o->iaddr, o->raddr);
	else
		sk_tuple(tp, SK_LOAD, &o->family, &o->rport, &o->iport, NULL, o->raddr, o->iaddr);
	h = ((__u32)o->iport << 16 | o->rport) ^ o->family;
	for (int i = 0; i < 4; i++)
		h ^= o->iaddr[i] ^ (o->raddr[i] * 0x85ebca6bu);
	return (h * 0x9e3779b1u) >> 20;	/* 12 bits */
}

static __always_inline bool opened_eq(const struct tt_opened *a, const struct tt_opened *b)
{
	__u32 d = (a->iport ^ b->iport) | (a->rport ^ b->rport) | (a->family ^ b->family);

	for (int i = 0; i < 4; i++)
		d |= (a->iaddr[i] ^ b->iaddr[i]) | (a->raddr[i] ^ b->raddr[i]);
	return !d;
}

/* A CONNECT went out: its responder may be local too. */
static __always_inline void opened_note(const struct tcp_sock *tp, __u64 now)
{
	struct tt_opened o = {};
	__u32 i = opened_key(&o, tp, true) & (TT_OPENED_SLOTS - 1);

	o.est_ns = now;
	opened_slots[i] = o;
}

/* The responder's handshake: did a local CONNECT claim it? */
static __always_inline bool opened_take(const struct tcp_sock *tp, __u64 now)
{
	struct tt_opened o = {};
	__u32 i = opened_key(&o, tp, false) & (TT_OPENED_SLOTS - 1);
	struct tt_opened *s = &opened_slots[i];
	__u64 est = READ_ONCE(s->est_ns);

	if (!est || now - est > TT_OPENED_NS || !opened_eq(s, &o))
		return false;
	s->est_ns = 0;
	return true;
}

/*
 * An orderly-looking CLOSE may be an abort whose RST leaves just after it, so
 * user space holds it for a moment.  Two cases say more:
 * - in FIN_WAIT1/2 with the peer's FIN in (tcp_fin() sets SOCK_DONE, then
 *   tcp_time_wait() ends the socket), a timewait sock has taken over, and an
 *   abort could only have come before the peer's FIN: nothing follows;
 * - an orphan (SOCK_DEAD: close() has returned) that ends with an RST sends
 *   it in the same call that closed it (data after close() in
 *   tcp_rcv_state_process(), TCP_LINGER2 < 0 in __tcp_close()); timer aborts
 *   send it before.  Its commonest CLOSE, FIN_WAIT2 handed to a timewait
 *   sock when the peer ACKs our FIN, sends nothing.  A short hold will do.
 */
static __always_inline __u8 close_how(const struct tcp_sock *tp, int oldstate)
{
	unsigned long done = 1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE);
	unsigned long dead = 1UL << bpf_core_enum_value(enum sock_flags, SOCK_DEAD);
	unsigned long flags = tp->inet_conn.icsk_inet.sk.__sk_common.skc_flags;

	if ((oldstate == TCP_FIN_WAIT1 || oldstate == TCP_FIN_WAIT2) && (flags & done))
		return TT_CLOSE_TIME_WAIT;
	if (flags & dead)
		return TT_CLOSE_ORPHAN;
	return TT_CLOSE_MAYBE_ABORT;
}

/*
 * A passive socket reached ESTABLISHED: the addresses, times and RTT the
 * accept hook takes from its entry.  With --accept-hook listener, its owner
 * is the listener's, and in summary only it is counted here.
 */
static __always_inline void passive_est(struct tt_sock *ts, const struct tcp_sock *tp, __u64 now)
{
	SK_TUPLE(ts, tp, SK_LOAD);
	ts->est_ns = now;
	ts->flags |= TT_F_ESTABLISHED | TT_F_TUPLE;
	ts->hs_srtt_us = tp->srtt_us >> 3;
	if (accept_by_listener) {
		struct listener_key lk = listener_key_of(tp);
		struct tt_sock *l = bpf_map_lookup_elem(&listeners, &lk);

		if (l) {
			ts->pid = l->pid;
			__builtin_memcpy(ts->comm, l->comm, sizeof(ts->comm));
			ts->flags |= TT_F_OWNER_KNOWN;
		}
		ts->flags |= TT_F_ACCEPTED;
		if (count_only && tcp_wanted(tp))
			count_open(ts, TT_CNT_ACCEPTED);
	}
}

/*
 * The insert of passive_est()'s entry failed: an accept() on another CPU
 * made the entry since the lookup (complete it; only the syscall, kretprobe
 * and fexit hooks make entries, so nothing counted in @nts counts twice), or
 * the map is full (the fact still goes out, from @nts).
 */
static __always_inline struct tt_sock *passive_est_raced(__u64 key, struct tt_sock *nts,
							 const struct tcp_sock *tp, __u64 now)
{
	struct tt_sock *ts = sock_get(key);

	if (!ts) {
		count(TT_CNT_SOCK_FULL);
		return nts;
	}
	passive_est(ts, tp, now);
	return ts;
}

/* CLOSE -> LISTEN, with --accept-hook listener: listen() runs in the owner's context. */
static __always_inline void on_listen(const struct tcp_sock *tp)
{
	struct listener_key lk = listener_key_of(tp);
	struct tt_sock nts = {};

	set_owner(&nts);
	bpf_map_update_elem(&listeners, &lk, &nts, BPF_ANY);
}

/* CLOSE -> SYN_SENT: connect() runs this in the caller's context, the owner's. */
static __always_inline void on_syn_sent(__u64 key)
{
	struct tt_sock nts = {};

	nts.start_ns = bpf_ktime_get_ns();
	nts.flags = TT_F_STARTED;
	set_owner(&nts);
	sock_track(key, &nts);
}

/* SYN_SENT -> ESTABLISHED: a CONNECT, or in summary only a count. */
static __always_inline void on_active_est(const struct tcp_sock *tp, __u64 key)
{
	struct tt_sock *ts = sock_get(key);
	__u64 now = bpf_ktime_get_ns();

	if (ts) {
		ts->est_ns = now;
		ts->flags |= TT_F_ESTABLISHED;
		if (count_only) {
			if (tcp_wanted(tp))
				count_open(ts, TT_CNT_CONNECTED);
			return;
		}
	}
	if (emit_sock(tp, SK_LOAD, TT_FACT_ACTIVE_EST, TCP_SYN_SENT, ts, TT_ACCEPT_NONE, 0, now) &&
	    wire_join)
		opened_note(tp, now);
}

/*
 * SYN_RECV -> ESTABLISHED.  A passive socket is tracked from here, not from
 * SYN_RECV: the child is cloned in the softirq of the final ACK, a moment
 * before this, and what the accept needs is known only now.  One insert, of
 * a complete entry.  An accept() can dequeue the child before this change (a
 * Fast Open child, or a softirq held up between queueing the child and
 * processing the ACK) and then makes the entry itself: it is completed in
 * place.
 */
static __always_inline void on_passive_est(const struct tcp_sock *tp, __u64 key)
{
	struct tt_sock *ts = sock_get(key), nts = {};
	__u64 now = bpf_ktime_get_ns();

	if (ts) {
		passive_est(ts, tp, now);
	} else {
		nts.flags = TT_F_PASSIVE;
		passive_est(&nts, tp, now);
		ts = &nts;
		if (bpf_map_update_elem(&socks, &key, &nts, BPF_NOEXIST))
			ts = passive_est_raced(key, &nts, tp, now);
	}
	if (accept_by_listener) {
		if (!count_only)
			emit_sock(tp, SK_LOAD, TT_FACT_ACCEPTED, TCP_SYN_RECV, ts,
				  TT_ACCEPT_LISTENER, 0, now);
	} else if (wire_join && !opened_take(tp, now)) {
		emit_sock(tp, SK_LOAD, TT_FACT_PASSIVE_EST, TCP_SYN_RECV, ts, TT_ACCEPT_NONE, 0,
			  now);
	}
}

/*
 * ESTABLISHED -> FIN_WAIT1 or CLOSE_WAIT -> LAST_ACK: close() or shutdown()
 * runs this in the owner's context, so sockets not seen open get an owner.
 */
static __always_inline void on_closing(__u64 key)
{
	struct tt_sock *ts = sock_get(key), nts = {};

	if (ts) {
		if (!(ts->flags & TT_F_OWNER_KNOWN))
			set_owner(ts);
	} else {
		set_owner(&nts);
		sock_track(key, &nts);
	}
}

/* Any state -> CLOSE: a CLOSED fact, or in summary only a count. */
static __always_inline void on_close(const struct tcp_sock *tp, __u64 key, int oldstate)
{
	struct tt_sock *ts;

	if (child_never_connected(oldstate)) {
		sock_drop(key);
		return;
	}
	if (oldstate == TCP_LISTEN || oldstate == TCP_CLOSE)
		return;
	ts = sock_get(key);
	/* the end of a counted connection; with an error it goes out too */
	if (ts && (ts->flags & TT_F_COUNTED)) {
		count(TT_CNT_CLOSED);
		if (!tp->inet_conn.icsk_inet.sk.sk_err) {
			sock_drop(key);
			return;
		}
	}
	emit_sock(tp, SK_LOAD, TT_FACT_CLOSED, oldstate, ts, TT_ACCEPT_NONE,
		  close_how(tp, oldstate), bpf_ktime_get_ns());
	if (ts)
		sock_drop(key);
}

/* sock:inet_sock_set_state, for both programs attached to it */
static __always_inline int set_state(const struct sock *sk, const int oldstate,
				     const int newstate)
{
	const struct tcp_sock *tp;
	__u64 key;

	/*
	 * Half of a connection's state changes carry nothing we report
	 * (FIN_WAIT2, CLOSE_WAIT, CLOSING, TIME_WAIT): leave before any work.
	 */
	switch (newstate) {
	case TCP_LISTEN:
		if (!accept_by_listener)
			return 0;
		break;
	case TCP_SYN_SENT:
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_LAST_ACK:
	case TCP_CLOSE:
		break;
	default:
		return 0;
	}
	/* NULL unless a full TCP socket (the tracepoint also fires for SCTP, MPTCP) */
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp)
		return 0;
	key = sock_key(sk);

	switch (newstate) {
	case TCP_LISTEN:
		on_listen(tp);
		break;
	case TCP_SYN_SENT:
		on_syn_sent(key);
		break;
	case TCP_ESTABLISHED:
		if (oldstate == TCP_SYN_SENT)
			on_active_est(tp, key);
		else if (oldstate == TCP_SYN_RECV)
			on_passive_est(tp, key);
		break;
	case TCP_FIN_WAIT1:
	case TCP_LAST_ACK:
		on_closing(key);
		break;
	case TCP_CLOSE:
		on_close(tp, key, oldstate);
		break;
	}
	return 0;
}

/*
 * A tracing program does not run inside itself: when an interrupt lands
 * while tt_set_state runs (in connect() or close()) and the softirq on its
 * way out changes another socket's state, the kernel skips that run and
 * only counts it (recursion_misses).  That lost about one CLOSE per 13,000
 * connections in a storm.  So a twin, attached after it to the same
 * tracepoint, runs for every change too: the first notes each change it
 * ran for, and the twin handles a change that was not noted.  Nesting
 * cannot skip both: the interrupt lands inside one of the two, and the
 * other runs for the nested change.
 *
 * The notes are per CPU (both programs run on the CPU of the change), in a
 * ring that only the first program writes, never nested in itself.  The
 * twin looks back from the newest note and takes the first one that
 * matches.  Its own change's note is the newest unless changes nested in
 * between (in a softirq between or inside the two programs) added theirs:
 * one softirq handles up to 300 packets, so the ring keeps 1,024 notes,
 * and the twin looks through all of them only when it has a skipped change
 * to handle.
 */
#define TT_NOTED 1024

struct tt_note {
	__u64 sk;	/* the socket's address, as the socks map keys it */
	__u32 state;	/* the new state */
	__u32 pad;
};

struct tt_noted {
	struct tt_note change[TT_NOTED];
	__u32 next;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_noted);
} noted SEC(".maps");

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tt_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0;
	struct tt_noted *n = bpf_map_lookup_elem(&noted, &zero);

	if (n) {
		__u32 i = n->next++ & (TT_NOTED - 1);

		n->change[i].sk = sock_key(sk);
		n->change[i].state = newstate;
	}
	return set_state(sk, oldstate, newstate);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tt_set_state_twin, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 key = sock_key(sk);
	__u32 zero = 0, last, i;
	struct tt_noted *n = bpf_map_lookup_elem(&noted, &zero);

	if (!n)
		return 0;
	last = n->next - 1;
	for (i = 0; i < TT_NOTED; i++) {
		struct tt_note *c = &n->change[(last - i) & (TT_NOTED - 1)];

		if (c->sk == key && c->state == newstate) {
			c->sk = 0;	/* taken: a later change cannot match it */
			return 0;
		}
	}
	/* user space subtracts these from tt_set_state's skipped runs */
	count(TT_CNT_STATE_RESCUED);
	return set_state(sk, oldstate, newstate);
}

/*
 * Resets this host sends.  An abort (close() with unread data, SO_LINGER 0)
 * moves the socket to CLOSE *before* the RST leaves, so user space pairs the
 * two facts by tuple.
 */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tt_send_reset, const struct sock *sk)
{
	/* Only full sockets of a connection: not listeners, request or timewait socks. */
	const struct tcp_sock *tp = tp_btf_tcp_sock(sk);
	int state;

	if (!tp)
		return 0;
	state = tp->SKC(skc_state);
	if (state == TCP_LISTEN || state == TCP_SYN_SENT)
		return 0;
	emit_sock(tp, SK_LOAD, TT_FACT_RST_SENT, state, NULL, TT_ACCEPT_NONE, 0,
		  bpf_ktime_get_ns());
	return 0;
}

/* A SYN sent again: lets the joiner name the process behind a wire TIMEOUT. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tt_retransmit, const struct sock *sk)
{
	const struct tcp_sock *tp;

	if (!wire_join)
		return 0;
	tp = tp_btf_tcp_sock(sk);
	if (!tp || tp->SKC(skc_state) != TCP_SYN_SENT)
		return 0;
	emit_sock(tp, SK_LOAD, TT_FACT_SYN_RETRY, TCP_SYN_SENT, sock_get(sock_key(sk)),
		  TT_ACCEPT_NONE, 0, bpf_ktime_get_ns());
	return 0;
}

static __always_inline void on_accepted(const struct sock *sk, __u8 hook)
{
	struct tt_sock *ts = NULL, nts = {};
	struct tt_event *e;
	__u64 key;

	if (!sk)
		return;
	key = sock_key(sk);
	ts = sock_get(key);
	if (ts && (ts->flags & TT_F_TUPLE)) {
		/* the handshake left the addresses in the table: no reads of the socket */
		set_owner(ts);
		ts->flags |= TT_F_ACCEPTED;
		if (count_only) {
			struct tt_event t;

			tuple_from_sock(&t, ts);
			if (wanted(&t))
				count_open(ts, TT_CNT_ACCEPTED);
			return;
		}
		e = ev_start(NULL, SK_PROBE, ts);
		if (!e)
			return;
		/* nothing is sent or acknowledged yet; the RTT is the handshake's */
		e->err = BPF_CORE_READ(sk, sk_err);
		e->srtt_us = 0;
		e->total_retrans = 0;
		e->bytes_acked = 0;
		e->bytes_received = 0;
		ev_finish(e, TT_FACT_ACCEPTED, 0, ts, hook, 0, bpf_ktime_get_ns());
		return;
	}
	/* Established before we started (or given up by the table): read the socket. */
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return;
	if (!ts) {
		nts.flags = TT_F_PASSIVE;
		ts = sock_put(key, &nts);
		if (!ts) {
			set_owner(&nts);
			nts.flags |= TT_F_ACCEPTED;
			emit_sock((const struct tcp_sock *)sk, SK_PROBE, TT_FACT_ACCEPTED, 0, &nts,
				  hook, 0, 0);
			return;
		}
	}
	set_owner(ts);
	ts->flags |= TT_F_ACCEPTED;
	emit_sock((const struct tcp_sock *)sk, SK_PROBE, TT_FACT_ACCEPTED, 0, ts, hook, 0, 0);
}

static __always_inline const struct sock *fd_to_sk(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds, *f;
	struct socket *sock;

	/* task, files and fdtable by direct loads; the rest are untyped */
	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (bpf_core_read(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tt_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret >= 0)
		on_accepted(fd_to_sk(ctx->ret), TT_ACCEPT_SYSCALL);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tt_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret >= 0)
		on_accepted(fd_to_sk(ctx->ret), TT_ACCEPT_SYSCALL);
	return 0;
}

/* Richer variants, chosen by user space when the running kernel allows them. */
SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(tt_accept_kretprobe, struct sock *sk)
{
	on_accepted(sk, TT_ACCEPT_KRETPROBE);
	return 0;
}

SEC("fexit/inet_csk_accept")
int tt_accept_fexit(__u64 *ctx)
{
	on_accepted(accept_fexit_ret(ctx), TT_ACCEPT_FEXIT);
	return 0;
}

/* Where a failed connect() was going: the socket has no peer address yet. */
struct connect_dst {
	__u64 start_ns;
	__u16 family;
	__u16 dport;		/* host order */
	__u8 daddr[16];
};

/* Reads the destination connect() asked for; @user: a user-space pointer. */
static __always_inline int read_sockaddr(struct connect_dst *c, const void *addr, bool user)
{
	struct sockaddr_in6 sa6;
	struct sockaddr_in sa4;
	long (*rd)(void *, __u32, const void *) = user ? bpf_probe_read_user
						       : bpf_probe_read_kernel;

	if (rd(&c->family, sizeof(c->family), addr))
		return -1;
	if (c->family == AF_INET) {
		if (rd(&sa4, sizeof(sa4), addr))
			return -1;
		c->dport = bpf_ntohs(sa4.sin_port);
		__builtin_memcpy(c->daddr, &sa4.sin_addr, 4);
	} else if (c->family == AF_INET6) {
		if (rd(&sa6, sizeof(sa6), addr))
			return -1;
		c->dport = bpf_ntohs(sa6.sin6_port);
		__builtin_memcpy(c->daddr, &sa6.sin6_addr, 16);
	} else {
		return -1;
	}
	return 0;
}

/*
 * A connect() that failed before a SYN left: no route to the destination.
 * @sk is a TCP socket: the syscall's exit checks, tcp_v{4,6}_connect() is one.
 */
static __always_inline void emit_connect_err(const struct sock *sk, const struct connect_dst *c,
					     long err)
{
	struct tt_event *e;

	if (!sk)
		return;
	e = reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	SK_TUPLE(e, (const struct tcp_sock *)sk, SK_PROBE);
	/* The socket has no peer yet: the destination is what connect() asked for. */
	e->family = c->family;
	e->dport = c->dport;
	__builtin_memcpy(e->daddr, c->daddr, 16);
	if (!ev_keep(e))
		return;
	e->ts_ns = bpf_ktime_get_ns();
	e->start_ns = c->start_ns;
	e->fact = TT_FACT_CONNECT_ERR;
	e->err = err;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->flags = TT_F_OWNER_KNOWN | TT_F_STARTED;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	submit(e, sizeof(*e));
}

/*
 * connect() returned a route failure.  Only the exit is hooked: its fd and
 * address are still in the syscall's saved registers, and a probe on every
 * connect() entry cost each connection half a microsecond for an error that
 * is rare.
 */
SEC("tracepoint/syscalls/sys_exit_connect")
int tt_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	struct connect_dst c = {};
	const struct sock *sk;
	struct pt_regs *regs;
	long ret = ctx->ret;
	__u64 uaddr;

	if (ret != -ENETUNREACH && ret != -EHOSTUNREACH)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	sk = fd_to_sk(PT_REGS_PARM1_CORE_SYSCALL(regs));
	if (!sk)
		return 0;
	/*
	 * A SYN left and an ICMP error ended the attempt: its SYN_SENT ->
	 * CLOSE already carried the error, as UNREACH.  connect() resets most
	 * of the socket on its way out (tcp_disconnect()), but moves its send
	 * sequence on, never to 0; a socket that no SYN left yet still has 0
	 * there.  This holds for a port the application bound too.  (A second
	 * connect() on a socket whose first one failed after its SYN, which
	 * few programs do, is not reported here if it finds no route.)
	 */
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP ||
	    BPF_CORE_READ((struct tcp_sock *)sk, write_seq))
		return 0;
	uaddr = PT_REGS_PARM2_CORE_SYSCALL(regs);
	if (read_sockaddr(&c, (const void *)uaddr, true))
		return 0;
	c.start_ns = bpf_ktime_get_ns();
	emit_connect_err(sk, &c, -ret);
	return 0;
}

/*
 * With fexit, the same failure is seen at tcp_v{4,6}_connect()'s return, so
 * no syscall tracepoint is needed: those slow every syscall on the host.  A
 * route failure returns before the socket enters SYN_SENT; a later ICMP
 * error reaches the socket as sk_err instead.
 */
static __always_inline void on_connect_ret(__u64 *ctx)
{
	struct connect_dst c = {};
	__u64 ret = 0, sk = 0, uaddr = 0;
	int err;

	bpf_get_func_ret(ctx, &ret);
	err = -(int)ret;
	if (err != ENETUNREACH && err != EHOSTUNREACH)
		return;
	bpf_get_func_arg(ctx, 0, &sk);
	bpf_get_func_arg(ctx, 1, &uaddr);
	/* the sockaddr was copied into the kernel by connect() */
	if (read_sockaddr(&c, (const void *)uaddr, false))
		return;
	c.start_ns = bpf_ktime_get_ns();
	emit_connect_err((const struct sock *)sk, &c, err);
}

SEC("fexit/tcp_v4_connect")
int tt_connect4_fexit(__u64 *ctx)
{
	on_connect_ret(ctx);
	return 0;
}

SEC("fexit/tcp_v6_connect")
int tt_connect6_fexit(__u64 *ctx)
{
	on_connect_ret(ctx);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
