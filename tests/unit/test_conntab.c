// SPDX-License-Identifier: GPL-2.0
/*
 * The connection table the classifier and the joiner keep: every key added
 * and not deleted is found with its value, every deleted one is gone, also
 * after deletes have shifted entries back across the end of the array.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "conntab.h"

#define NKEYS 3000

static struct tt_key key_of(unsigned int n)
{
	struct tt_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.sport = n & 0xffff;
	k.dport = 80;
	memcpy(k.saddr, &n, sizeof(n));
	return k;
}

/* Random adds and deletes against a plain array of what should be there. */
static void test_matches_a_reference(void **state)
{
	static bool present[NKEYS];
	struct tt_conntab t = { .vsize = sizeof(unsigned int) };
	unsigned int seed = 12345, live = 0;

	for (int op = 0; op < 200000; op++) {
		unsigned int n = rand_r(&seed) % NKEYS;
		struct tt_key k = key_of(n);

		if (rand_r(&seed) % 3) {
			unsigned int *v = tt_conntab_put(&t, &k);

			assert_non_null(v);
			if (!present[n])
				live++;
			present[n] = true;
			*v = n * 7;
		} else {
			assert_int_equal(tt_conntab_del(&t, &k), present[n]);
			if (present[n])
				live--;
			present[n] = false;
		}
		if (op % 20000)
			continue;
		for (unsigned int i = 0; i < NKEYS; i++) {
			struct tt_key q = key_of(i);
			unsigned int *v = tt_conntab_get(&t, &q);

			assert_int_equal(v != NULL, present[i]);
			if (v)
				assert_int_equal(*v, i * 7);
		}
		assert_int_equal(t.count, live);
	}
	tt_conntab_free(&t);
}

/* A storm that inserts and deletes at the same pace keeps its capacity. */
static void test_churn_does_not_grow(void **state)
{
	struct tt_conntab t = { 0 };
	size_t cap;

	for (unsigned int n = 0; n < 100; n++) {
		struct tt_key k = key_of(n);

		assert_int_equal(tt_conntab_add(&t, &k), 1);
	}
	cap = t.cap;
	for (unsigned int n = 100; n < 1000000; n++) {
		struct tt_key k = key_of(n), old = key_of(n - 100);

		assert_int_equal(tt_conntab_add(&t, &k), 1);
		assert_true(tt_conntab_del(&t, &old));
	}
	assert_int_equal(t.count, 100);
	assert_int_equal(t.cap, cap);
	for (unsigned int n = 1000000 - 100; n < 1000000; n++) {
		struct tt_key k = key_of(n);

		assert_true(tt_conntab_has(&t, &k));
	}
	tt_conntab_free(&t);
}

/*
 * Keys start their probe in any slot, odd or even: when the tag's low bit
 * (always set) chose the slot, only odd slots were homes, keys piled up in
 * pairs and probes ran longer.  At a quarter full about half the keys sit
 * in even slots; with odd homes only the displaced ones did.
 */
static void test_keys_use_every_slot(void **state)
{
	struct tt_conntab t = { 0 };
	unsigned int even = 0, n;

	for (n = 0; n < 64; n++) {
		struct tt_key k = key_of(n * 2654435761u);

		assert_int_equal(tt_conntab_add(&t, &k), 1);
	}
	assert_int_equal(t.cap, 256);
	for (size_t i = 0; i < t.cap; i++) {
		const struct tt_key *k;

		if (tt_conntab_slot(&t, i, &k) && !(i & 1))
			even++;
	}
	assert_true(even >= 64 / 4);
	tt_conntab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_a_reference),
		cmocka_unit_test(test_churn_does_not_grow),
		cmocka_unit_test(test_keys_use_every_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
