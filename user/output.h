/* SPDX-License-Identifier: GPL-2.0 */
/* Rendering rows and summaries: table, wide table and JSON lines. */
#ifndef TT_OUTPUT_H
#define TT_OUTPUT_H

#include "tt.h"

struct tt_out {
	FILE *f;
	enum tt_format format;
	int64_t mono_to_real_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	bool utc;			/* table TIME in UTC instead of local time (tests) */
	struct {
		int ifindex;
		char name[TT_IFNAMSIZ];
	} ifnames[TT_MAX_IFACES];	/* the attached interfaces, for IFACE */
	int nifnames;
	bool dirty;			/* written since the last flush */
	/*
	 * JSON rows are built here, in place, and handed to @f 64 KiB at a
	 * time: one stdio call per buffer, not one per row.
	 */
	size_t jlen;
	char jbuf[1 << 16];
};

void tt_out_init(struct tt_out *o, FILE *f, enum tt_format format);
void tt_out_add_ifname(struct tt_out *o, int ifindex, const char *name);
int tt_out_header(struct tt_out *o);
int tt_out_row(struct tt_out *o, const struct tt_row *r);
int tt_out_summary(struct tt_out *o, const struct tt_summary *s);
int tt_out_flush(struct tt_out *o);

#endif
