/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -s --by: the rows since start aggregated per key (the service port, the
 * process name, the remote address or the network namespace), for a reader
 * at a terminal.  The keys are capped as the metric labels are (mlabels.h):
 * past the cap new keys fold into "other", so memory stays bounded.
 */
#ifndef TT_BY_H
#define TT_BY_H

#include <stdio.h>
#include "metrics.h"
#include "mlabels.h"
#include "tt.h"

#define TT_BY_TOP	10	/* keys shown, most attempts first */
#define TT_BY_MAX_KEYS	TT_METRICS_DEFAULT_MAX_VALUES	/* keys kept besides "other" */

struct tt_by_stats {
	uint64_t n[TT_NTYPES];		/* rows per type */
	struct tt_hist hs;		/* handshake latency of CONNECT and ACCEPT rows */
};

struct tt_by {
	enum tt_by_kind kind;
	struct tt_mlabel keys;
	struct tt_by_stats *st;		/* per key index, "other" first */
};

/* 0, -EINVAL (no kind, a bad cap) or -ENOMEM. */
int tt_by_init(struct tt_by *b, enum tt_by_kind kind, unsigned int cap);
void tt_by_free(struct tt_by *b);
/* One row, as the footer counts it. */
void tt_by_observe(struct tt_by *b, const struct tt_row *r);
/* Handshakes that ended: CONNECT, ACCEPT and the failures before establishment. */
uint64_t tt_by_attempts(const struct tt_by_stats *s);
/* The indices of the @max keys with the most attempts, "other" left out; how many. */
unsigned int tt_by_top(const struct tt_by *b, unsigned int *idx, unsigned int max);
/* The aligned table of the top keys and "other", after the table's footer. */
void tt_by_table(const struct tt_by *b, FILE *f);
/* The SUMMARY object's members: ,"by":[...],"by_folded":N. */
void tt_by_json(const struct tt_by *b, FILE *f);

#endif
