/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hash table keyed by struct tt_key with an optional fixed-size value: the
 * set behind "Active connections" (no value) and the joiner's flow table.
 */
#ifndef TT_CONNTAB_H
#define TT_CONNTAB_H

#include <string.h>
#include "tt.h"

_Static_assert(sizeof(struct tt_key) == 44, "tt_key_eq() compares five words and one half");

/* Word by word, inline: keys are compared on every probe and on the joiner's last-flow check. */
static inline bool tt_key_eq(const struct tt_key *a, const struct tt_key *b)
{
	uint64_t x[5], y[5], d = 0;
	uint32_t xt, yt;

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	memcpy(&xt, (const uint8_t *)a + sizeof(x), sizeof(xt));
	memcpy(&yt, (const uint8_t *)b + sizeof(y), sizeof(yt));
	for (int i = 0; i < 5; i++)
		d |= x[i] ^ y[i];
	return !(d | (xt ^ yt));
}

struct tt_conntab {
	struct tt_key *keys;
	uint32_t *state;	/* 0 empty, else the key's hash | 1 (conntab.c) */
	uint8_t *vals;		/* cap * vsize bytes, or NULL */
	size_t vsize;		/* set before first use; 0 = a plain set */
	size_t cap;		/* power of two */
	size_t count;		/* used */
};

/* 1 added, 0 already there, -ENOMEM. */
int tt_conntab_add(struct tt_conntab *t, const struct tt_key *k);
bool tt_conntab_del(struct tt_conntab *t, const struct tt_key *k);
bool tt_conntab_has(const struct tt_conntab *t, const struct tt_key *k);
/* The value of @k, or NULL. */
void *tt_conntab_get(const struct tt_conntab *t, const struct tt_key *k);
/* The value of @k, added zero-filled if new; NULL if out of memory. */
void *tt_conntab_put(struct tt_conntab *t, const struct tt_key *k);
/*
 * Iteration: slots 0..cap-1, NULL for free ones.  Deleting during the walk is
 * allowed, but moves later entries back: one may be skipped, or seen twice.
 */
void *tt_conntab_slot(const struct tt_conntab *t, size_t i, const struct tt_key **k);
void tt_conntab_free(struct tt_conntab *t);

#endif
