// SPDX-License-Identifier: GPL-2.0
/*
 * Open-addressing hash set (or map) keyed by struct tt_key (zero padded,
 * compared bytewise), with linear probing.  Deletion shifts the entries after
 * the hole back instead of leaving tombstones: the joiner deletes as often as
 * it inserts, and tombstones would fill the table and force full rehashes (a
 * fresh allocation and its page faults).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "conntab.h"

/*
 * state[i]: 0 for a free slot, else the key's hash with the low bit set.  A
 * probe compares keys only when the hashes agree, and a delete finds where
 * an entry belongs without hashing its key again.
 */
#define SLOT_EMPTY 0
static uint32_t tag(uint64_t h)
{
	return (uint32_t)h | 1;
}

/* Where a tag's probe starts: above the low bit, which every tag has set. */
static size_t home(uint32_t tag, size_t mask)
{
	return (tag >> 1) & mask;
}

_Static_assert(sizeof(struct tt_key) % 4 == 0, "tt_key is hashed in 32/64-bit words");

/*
 * Word at a time, each word multiplied in and folded (the mixing step of
 * splitmix64): every lookup hashes its key, so not a byte at a time as FNV.
 */
static uint64_t key_hash(const struct tt_key *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull, w = 0;
	size_t i;

	for (i = 0; i + 8 <= sizeof(*k); i += 8) {
		memcpy(&w, (const uint8_t *)k + i, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	if (i < sizeof(*k)) {
		uint32_t t;

		memcpy(&t, (const uint8_t *)k + i, 4);
		h = (h ^ t) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 29);
}

/* Slot holding @k, or the free slot that ends its probe path; cap must be > 0. */
static size_t probe_h(const struct tt_conntab *t, const struct tt_key *k, uint32_t h,
		      bool *found)
{
	size_t mask = t->cap - 1, i = home(h, mask);

	for (;;) {
		if (t->state[i] == SLOT_EMPTY) {
			*found = false;
			return i;
		}
		if (t->state[i] == h && tt_key_eq(&t->keys[i], k)) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

/* Whether @k is in @t, and then its slot in *@i. */
static bool find(const struct tt_conntab *t, const struct tt_key *k, size_t *i)
{
	bool found = false;

	if (t->cap)
		*i = probe_h(t, k, tag(key_hash(k)), &found);
	return found;
}

static int rehash(struct tt_conntab *t, size_t cap)
{
	struct tt_conntab n = { .cap = cap, .vsize = t->vsize };

	n.keys = malloc(cap * sizeof(*n.keys));
	n.state = calloc(cap, sizeof(*n.state));
	if (n.vsize)
		n.vals = malloc(cap * n.vsize);
	if (!n.keys || !n.state || (n.vsize && !n.vals)) {
		free(n.keys);
		free(n.state);
		free(n.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->cap; i++) {
		bool found;
		size_t j;

		if (t->state[i] == SLOT_EMPTY)
			continue;
		j = probe_h(&n, &t->keys[i], t->state[i], &found);
		n.keys[j] = t->keys[i];
		if (n.vsize)
			memcpy(n.vals + j * n.vsize, t->vals + i * n.vsize, n.vsize);
		n.state[j] = t->state[i];
		n.count++;
	}
	tt_conntab_free(t);
	*t = n;
	return 0;
}

/* Slot index of @k, inserting it if new (*added); -1 if out of memory. */
static long insert(struct tt_conntab *t, const struct tt_key *k, bool *added)
{
	uint32_t h = tag(key_hash(k));
	bool found;
	size_t i;

	/* Keep the load under 1/2 so probes stay short. */
	if ((t->count + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;

		if (rehash(t, cap))
			return -1;
	}
	i = probe_h(t, k, h, &found);
	*added = !found;
	if (found)
		return i;
	t->keys[i] = *k;
	t->state[i] = h;
	if (t->vsize)
		memset(t->vals + i * t->vsize, 0, t->vsize);
	t->count++;
	return i;
}

int tt_conntab_add(struct tt_conntab *t, const struct tt_key *k)
{
	bool added;

	if (insert(t, k, &added) < 0)
		return -ENOMEM;
	return added;
}

void *tt_conntab_put(struct tt_conntab *t, const struct tt_key *k)
{
	bool added;
	long i = insert(t, k, &added);

	return i < 0 ? NULL : t->vals + i * t->vsize;
}

void *tt_conntab_get(const struct tt_conntab *t, const struct tt_key *k)
{
	size_t i;

	return find(t, k, &i) ? t->vals + i * t->vsize : NULL;
}

void *tt_conntab_slot(const struct tt_conntab *t, size_t i, const struct tt_key **k)
{
	if (i >= t->cap || t->state[i] == SLOT_EMPTY)
		return NULL;
	*k = &t->keys[i];
	return t->vsize ? t->vals + i * t->vsize : (void *)&t->keys[i];
}

bool tt_conntab_has(const struct tt_conntab *t, const struct tt_key *k)
{
	size_t i;

	return find(t, k, &i);
}

bool tt_conntab_del(struct tt_conntab *t, const struct tt_key *k)
{
	size_t i;

	if (!find(t, k, &i))
		return false;
	/* Move back every entry after the hole that may sit there. */
	for (size_t mask = t->cap - 1, j = (i + 1) & mask; t->state[j] != SLOT_EMPTY;
	     j = (j + 1) & mask) {
		size_t h = home(t->state[j], mask);

		/* it stays when its home lies cyclically in (i, j] */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		t->keys[i] = t->keys[j];
		t->state[i] = t->state[j];
		if (t->vsize)
			memcpy(t->vals + i * t->vsize, t->vals + j * t->vsize, t->vsize);
		i = j;
	}
	t->state[i] = SLOT_EMPTY;
	t->count--;
	return true;
}

void tt_conntab_free(struct tt_conntab *t)
{
	size_t vsize = t->vsize;

	free(t->keys);
	free(t->state);
	free(t->vals);
	memset(t, 0, sizeof(*t));
	t->vsize = vsize;
}
