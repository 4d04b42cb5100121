/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The optional metric labels' values, each label capped: a label keeps the
 * first values it sees, up to its cap, and folds every later new value into
 * "other".  All memory is taken up front, so traffic cannot grow it.
 */
#ifndef TT_MLABELS_H
#define TT_MLABELS_H

#include <stdbool.h>
#include <stdint.h>
#include "netaddr.h"

#define TT_MLABEL_OTHER		"other"
#define TT_MLABEL_OTHER_IDX	0	/* "other" is every label's first value */
#define TT_MLABEL_VALUE_MAX	TT_CIDR_STR_MAX	/* bytes with the NUL: a remote_net fits */
#define TT_MLABEL_CAP_MAX	1000	/* the most values a label may keep */

struct tt_mlabel {
	unsigned int cap;	/* values kept besides "other" */
	unsigned int n;		/* values held, "other" included */
	char (*vals)[TT_MLABEL_VALUE_MAX];
	uint32_t *slots;	/* hash of a value -> its index + 1; 0: empty */
	uint32_t mask;		/* slots - 1 (a power of two, at least twice cap + 1) */
	uint64_t overflow;	/* observations whose new value became "other" */
};

/* 0, -EINVAL (cap 0 or above TT_MLABEL_CAP_MAX) or -ENOMEM. */
int tt_mlabel_init(struct tt_mlabel *l, unsigned int cap);
void tt_mlabel_free(struct tt_mlabel *l);
/*
 * The index of @v (cut to TT_MLABEL_VALUE_MAX - 1 bytes), added if new and
 * there is room; TT_MLABEL_OTHER_IDX past the cap, counted in ->overflow.
 */
unsigned int tt_mlabel_index(struct tt_mlabel *l, const char *v);
static inline const char *tt_mlabel_value(const struct tt_mlabel *l, unsigned int i)
{
	return l->vals[i];
}

#endif
