/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus text exposition format, version 0.0.4: metric families
 * (# HELP, # TYPE), samples with escaped label values, and classic
 * histograms with cumulative buckets.  Writes into a struct tt_buf.
 */
#ifndef TT_EXPO_H
#define TT_EXPO_H

#include <stdint.h>
#include "buf.h"

enum tt_expo_type { TT_EXPO_COUNTER, TT_EXPO_GAUGE, TT_EXPO_HISTOGRAM };

#define TT_EXPO_MAX_LABELS 8

/* One sample's labels, in the order they are written. */
struct tt_expo_labels {
	int n;
	const char *name[TT_EXPO_MAX_LABELS];
	const char *value[TT_EXPO_MAX_LABELS];
};

void tt_expo_label(struct tt_expo_labels *l, const char *name, const char *value);
/* "# HELP name help" and "# TYPE name type": once, before the family's samples. */
void tt_expo_family(struct tt_buf *b, const char *name, const char *help, enum tt_expo_type t);
/*
 * "name{labels} value": @name is the metric's, @le (or NULL) a last label
 * written after @l, as a histogram bucket's.
 */
void tt_expo_u64(struct tt_buf *b, const char *name, const struct tt_expo_labels *l, uint64_t v);
void tt_expo_double(struct tt_buf *b, const char *name, const struct tt_expo_labels *l, double v);
/*
 * A classic histogram's samples: name_bucket{...,le="B"} for each of the
 * @nb upper bounds and +Inf, cumulative, then name_sum and name_count.
 * @counts holds nb + 1 per-bucket (not cumulative) counts, the last one
 * above every bound.
 */
void tt_expo_histogram(struct tt_buf *b, const char *name, const struct tt_expo_labels *l,
		       const double *bounds, int nb, const uint64_t *counts, double sum);
/*
 * A label value as the format quotes it: backslash, double quote and
 * newline escaped; bytes that are not UTF-8 become U+FFFD, as a scraper
 * rejects the whole page otherwise.
 */
void tt_expo_escape(struct tt_buf *b, const char *s);
/* A sample value: integers exactly, others in the fewest digits that read back the same. */
void tt_expo_value(struct tt_buf *b, double v);

#endif
