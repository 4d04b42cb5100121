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
#include "tt.h"

#define TT_MLABEL_OTHER		"other"
#define TT_MLABEL_OTHER_IDX	0	/* "other" is every label's first value */
#define TT_MLABEL_VALUE_MAX	48	/* bytes with the NUL; a CIDR takes at most 44 */
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

/*
 * "10.0.0.0/8" or "2001:db8::/32" (host bits are cleared): 0 or -EINVAL.
 * A bare address is a /32 or /128.
 */
int tt_cidr_parse(const char *s, struct tt_prefix *p);
/* The prefix as written back ("10.0.0.0/8"), into @out of TT_MLABEL_VALUE_MAX bytes. */
void tt_cidr_str(const struct tt_prefix *p, char *out, size_t outlen);
bool tt_cidr_match(const struct tt_prefix *p, uint16_t family, const uint8_t *addr);

#endif
