/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel facts in, rows out.  The classifier names each connection event
 * (classify.c), holds the rows a later fact may still change, such as an
 * abort and the RST it sends (holdq.c), joins the socket and wire views of a
 * connection (join.c, flowtab.c) and keeps the statistics behind the footer.
 * Plain C: tested without root.
 */
#ifndef TT_CLASSIFY_H
#define TT_CLASSIFY_H

#include "tt.h"
#include "conntab.h"

/*
 * How long a CLOSE waits for the RST that may follow it (docs/classification.md),
 * and how long a row from one view waits for the other view's fact
 * (docs/wire.md).  The two facts are microseconds apart, but a CPU can be
 * taken away between them: under a loaded hypervisor, or qemu's emulation,
 * for tens of milliseconds.
 */
#define TT_HOLD_NS	(100 * 1000 * 1000ull)
#define TT_HOLD_ORPHAN_NS (10 * 1000 * 1000ull)	/* TT_CLOSE_ORPHAN: the RST comes at once */
#define TT_JOIN_NS	(200 * 1000 * 1000ull)

#define TT_MAX_PREFIXES	64	/* interface prefixes the join tells local from forwarded by */
#define TT_RST_PENDING	256	/* RSTs waiting for their CLOSE: the oldest goes beyond */
#define TT_TIMEOUTS_MAX	4096	/* wire TIMEOUTs pending at once: more are untracked */
#define TT_SPARE_FLOWS	256	/* freed join flows kept for reuse */

/* Returns < 0 to stop the stream (for example a closed stdout). */
typedef int (*tt_row_cb)(const struct tt_row *row, void *ctx);
/* Sees every row the footer counts, whatever the output filters; the same ctx. */
typedef void (*tt_observe_cb)(const struct tt_row *row, void *ctx);

struct tt_counts {
	uint64_t n[TT_NTYPES];
};

struct tt_held;			/* classify_priv.h */
struct tt_join_flow;		/* classify_priv.h */

/* Rows not yet released, in stream order (holdq.c). */
struct tt_holdq {
	struct tt_held *ring;		/* FIFO ring of rows not yet released */
	size_t cap;			/* a power of two, grown by doubling (holdq.c) */
	size_t head, len;
	uint64_t head_seq;		/* stream position of the row at head */
	size_t n_early_rst;
	struct {
		struct tt_key key;
		uint64_t ts_ns;
	} early_rst[TT_RST_PENDING];	/* RST facts that came before their CLOSE */
};

/* The join of the socket and wire views (join.c, flowtab.c): only with the wire view. */
struct tt_join {
	uint64_t syn_timeout_ns;
	struct tt_conntab flows;	/* join key -> struct tt_join_flow * */
	size_t ntimeouts;
	uint64_t next_timeout_ns;	/* the earliest of their deadlines: no scan before it */
	uint64_t last_sweep_ns;
	int nprefixes;
	size_t nspare;
	struct tt_key last_flow_key;	/* the flow the last fact was about */
	struct tt_join_flow *last_flow;	/* NULL once freed */
	struct tt_key timeouts[TT_TIMEOUTS_MAX];	/* flows with a wire TIMEOUT pending */
	struct tt_prefix prefixes[TT_MAX_PREFIXES];	/* of the attached interfaces */
	struct tt_join_flow *spare[TT_SPARE_FLOWS];	/* freed flows, for reuse */
};

/*
 * Complete here because main.c, the tests and the fuzzer hold it by value;
 * outside the classifier's files only cfg, active, total, window, wire and
 * untracked_flows are read, and observe is set.
 */
struct tt_classifier {
	const struct tt_config *cfg;
	tt_row_cb cb;
	tt_observe_cb observe;		/* NULL: none */
	void *ctx;
	int cb_err;			/* the callback's first error: later rows only counted */
	bool wire;			/* the wire view is on: rows join (tt_cls_enable_wire) */
	struct tt_conntab active;	/* connections open now, for the footer */
	struct tt_counts total;		/* since start */
	struct tt_counts window;	/* since the last periodic summary */
	uint64_t untracked_flows;	/* joiner tables full: joined less, never lost */
	struct tt_holdq hold;
	struct tt_join join;
};

int tt_key_from_event(const struct tt_event *e, struct tt_key *k);

int tt_cls_init(struct tt_classifier *c, const struct tt_config *cfg, tt_row_cb cb, void *ctx);
void tt_cls_free(struct tt_classifier *c);
/* Feeds one fact; returns the callback's error, if any. */
int tt_cls_feed(struct tt_classifier *c, const struct tt_event *e);
/* Feeds one wire fact (the wire view is on). */
int tt_cls_feed_wire(struct tt_classifier *c, const struct tt_wire_event *w);
/* Turns the join on: rows wait TT_JOIN_NS for the other view. */
void tt_cls_enable_wire(struct tt_classifier *c, unsigned int syn_timeout_s,
			const struct tt_prefix *prefixes, int n);
/* Releases rows whose hold ended by @now_ns (CLOCK_MONOTONIC); all with @all. */
int tt_cls_flush(struct tt_classifier *c, uint64_t now_ns, bool all);
/*
 * Adds an established connection (from an inet_diag dump) to @into: the
 * active set when seeding, or a fresh set to prune it by.  1 added, 0 not
 * (filtered out, or already there), -ENOMEM.
 */
int tt_cls_seed(const struct tt_classifier *c, struct tt_conntab *into, const struct tt_key *k);
/*
 * Forgets the active connections that @live (a complete dump taken after
 * every fact read so far) does not hold: their CLOSE was lost.  Returns how
 * many.
 */
long tt_cls_prune_active(struct tt_classifier *c, const struct tt_conntab *live);
/* The active connections (the footer's, but for the kernel's own counts) per family. */
void tt_cls_active_by_family(const struct tt_classifier *c, uint64_t *ipv4, uint64_t *ipv6);
void tt_cls_summary(const struct tt_counts *n, double seconds, struct tt_summary *s);

#endif
