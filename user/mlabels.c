// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlabels.h"

int tt_mlabel_init(struct tt_mlabel *l, unsigned int cap)
{
	uint32_t slots = 2;

	memset(l, 0, sizeof(*l));
	if (!cap || cap > TT_MLABEL_CAP_MAX)
		return -EINVAL;
	/* at most half full: probes stay short */
	while (slots < 2 * (cap + 1))
		slots *= 2;
	l->vals = calloc(cap + 1, sizeof(*l->vals));
	l->slots = calloc(slots, sizeof(*l->slots));
	if (!l->vals || !l->slots) {
		tt_mlabel_free(l);
		return -ENOMEM;
	}
	l->cap = cap;
	l->mask = slots - 1;
	strcpy(l->vals[TT_MLABEL_OTHER_IDX], TT_MLABEL_OTHER);
	l->n = 1;
	return 0;
}

void tt_mlabel_free(struct tt_mlabel *l)
{
	free(l->vals);
	free(l->slots);
	memset(l, 0, sizeof(*l));
}

/* FNV-1a over the bytes kept */
static uint32_t str_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

unsigned int tt_mlabel_index(struct tt_mlabel *l, const char *v)
{
	size_t n = strnlen(v, TT_MLABEL_VALUE_MAX - 1);
	uint32_t i = str_hash(v, n) & l->mask;

	if (n == strlen(TT_MLABEL_OTHER) && !memcmp(v, TT_MLABEL_OTHER, n))
		return TT_MLABEL_OTHER_IDX;
	for (;; i = (i + 1) & l->mask) {
		uint32_t s = l->slots[i];

		if (!s)
			break;
		if (!strncmp(l->vals[s - 1], v, n) && !l->vals[s - 1][n])
			return s - 1;
	}
	if (l->n > l->cap) {
		l->overflow++;
		return TT_MLABEL_OTHER_IDX;
	}
	memcpy(l->vals[l->n], v, n);
	l->vals[l->n][n] = '\0';
	l->slots[i] = l->n + 1;
	return l->n++;
}
