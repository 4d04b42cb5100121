/* SPDX-License-Identifier: GPL-2.0 */
/* The set of established connections: the "Active connections" footer. */
#ifndef TT_CONNTAB_H
#define TT_CONNTAB_H

#include "tt.h"

struct tt_conntab {
	struct tt_key *keys;
	uint8_t *state;		/* 0 empty, 1 used, 2 deleted */
	size_t cap;		/* power of two */
	size_t count;		/* used */
	size_t filled;		/* used + deleted */
};

int tt_conntab_add(struct tt_conntab *t, const struct tt_key *k);
bool tt_conntab_del(struct tt_conntab *t, const struct tt_key *k);
bool tt_conntab_has(const struct tt_conntab *t, const struct tt_key *k);
void tt_conntab_free(struct tt_conntab *t);

#endif
