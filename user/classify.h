/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel facts in, rows out.  The classifier names each connection event,
 * pairs facts that belong together (an abort and the RST it sends) and keeps
 * the statistics behind the footer.  Plain C: tested without root.
 */
#ifndef TT_CLASSIFY_H
#define TT_CLASSIFY_H

#include "tt.h"
#include "conntab.h"

/* How long a CLOSE waits for the RST that may follow it (see docs/classification.md). */
#define TT_HOLD_NS	(10 * 1000 * 1000ull)
#define TT_QUEUE_MAX	65536
#define TT_RST_PENDING	256

/* Returns < 0 to stop the stream (for example a closed stdout). */
typedef int (*tt_row_cb)(const struct tt_row *row, void *ctx);

struct tt_held {
	struct tt_row row;
	bool wait_rst;		/* may still become RESET (rst-sent) */
};

struct tt_counts {
	uint64_t n[TT_NTYPES];
};

struct tt_classifier {
	const struct tt_config *cfg;
	tt_row_cb cb;
	void *ctx;
	int cb_err;
	struct tt_conntab active;
	struct tt_held *q;		/* FIFO ring of rows not yet released */
	size_t qhead, qlen;
	struct {
		struct tt_key key;
		uint64_t ts_ns;
	} rst[TT_RST_PENDING];		/* RST facts that came before their CLOSE */
	size_t nrst;
	struct tt_counts total;		/* since start */
	struct tt_counts window;	/* since the last periodic summary */
};

int tt_key_from_event(const struct tt_event *e, struct tt_key *k);
int tt_classify(const struct tt_event *e, struct tt_row *row);

int tt_cls_init(struct tt_classifier *c, const struct tt_config *cfg, tt_row_cb cb, void *ctx);
void tt_cls_free(struct tt_classifier *c);
/* Feeds one fact; returns the callback's error, if any. */
int tt_cls_feed(struct tt_classifier *c, const struct tt_event *e);
/* Releases rows whose hold ended by @now_ns (CLOCK_MONOTONIC); all with @all. */
int tt_cls_flush(struct tt_classifier *c, uint64_t now_ns, bool all);
/* Adds a connection established before tracing started: 1 added, 0 not, -ENOMEM. */
int tt_cls_seed(struct tt_classifier *c, const struct tt_key *k);
bool tt_cls_key_wanted(const struct tt_config *cfg, const struct tt_key *k);
void tt_cls_summary(const struct tt_counts *n, double seconds, struct tt_summary *s);

#endif
