/* SPDX-License-Identifier: MIT */
/* The in-memory table of unknown clients (mapper/sightings.c) and the
 * removal from the string map it is indexed by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/sightings.h"
#include "mapper/strmap.h"

static void serial(char *buf, unsigned i)
{
	snprintf(buf, 9, "%08x", i);
}

/* Random inserts and removals against a plain array: every key present is
 * found with its value, every key removed is gone, across wrap-around runs
 * of a small table. */
static void test_strmap_remove(void **state)
{
	enum { KEYS = 300, OPS = 20000 };
	static char keys[KEYS][9];
	int present[KEYS] = {0};
	struct strmap m = {0};
	unsigned seed = 7, i, k;
	uint32_t val;

	(void)state;
	for (k = 0; k < KEYS; k++)
		serial(keys[k], k * 2654435761u);
	for (i = 0; i < OPS; i++) {
		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % KEYS;
		if (present[k]) {
			assert_true(strmap_remove(&m, keys[k]));
			assert_false(strmap_remove(&m, keys[k]));
			present[k] = 0;
		} else {
			assert_int_equal(strmap_insert(&m, keys[k], k, NULL), 0);
			present[k] = 1;
		}
		if (i % 997 == 0 || i == OPS - 1) {
			size_t n = 0;

			for (k = 0; k < KEYS; k++) {
				bool found = strmap_get(&m, keys[k], &val);

				assert_int_equal(found, present[k]);
				if (found)
					assert_int_equal(val, k);
				n += (size_t)present[k];
			}
			assert_int_equal(m.n, n);
		}
	}
	strmap_free(&m);
}

static void test_counts_and_take(void **state)
{
	struct sightings *s;
	struct discovered *v;
	size_t n;

	(void)state;
	assert_int_equal(sightings_create(8, &s), 0);
	assert_int_equal(sightings_take(s, "tftp", &v, &n), 0);
	assert_null(v);
	assert_int_equal(n, 0);

	assert_int_equal(sightings_add(s, "1a2b3c4d", 100, 1), 1);
	assert_int_equal(sightings_add(s, "dc-a6-32-00-00-09", 101, 1), 1);
	assert_int_equal(sightings_add(s, "1a2b3c4d", 105, 1), 0);
	assert_int_equal(sightings_add(s, "1a2b3c4d", 106, 2), 1);
	assert_int_equal(sightings_add(s, "1A2B3C4D", 106, 2), -EINVAL);
	assert_int_equal(sightings_add(s, "rpi-01", 106, 2), -EINVAL);
	assert_int_equal(sightings_pending(s), 2);

	/* Seen longest ago first: the MAC (101), then the serial (106). */
	assert_int_equal(sightings_take(s, "tftp", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, "dc-a6-32-00-00-09");
	assert_string_equal(v[0].via, "tftp");
	assert_int_equal(v[0].count, 1);
	assert_int_equal(v[0].first_seen, 101);
	assert_string_equal(v[1].id, "1a2b3c4d");
	assert_int_equal(v[1].count, 3);
	assert_int_equal(v[1].first_seen, 100);
	assert_int_equal(v[1].last_seen, 106);
	assert_string_equal(v[1].ip, "");

	/* Taken: nothing pending until the next request. */
	assert_int_equal(sightings_pending(s), 0);
	free(v);
	assert_int_equal(sightings_take(s, "tftp", &v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sightings_add(s, "1a2b3c4d", 110, 2), 0);
	assert_int_equal(sightings_take(s, "tftp", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].count, 1);
	assert_int_equal(v[0].last_seen, 110);

	/* A failed write gives them back, added to what came since. */
	assert_int_equal(sightings_add(s, "1a2b3c4d", 111, 2), 0);
	sightings_restore(s, v, n);
	free(v);
	assert_int_equal(sightings_pending(s), 1);
	assert_int_equal(sightings_take(s, "tftp", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].count, 2);
	free(v);
	sightings_free(s);
}

/* More clients than the cap: the table keeps the ones asked most recently,
 * a repeated request keeping a client young. */
static void test_cap_forgets_oldest(void **state)
{
	enum { CAP = 64, N = 1000 };
	struct sightings *s;
	struct discovered *v;
	char id[9];
	size_t n, i;

	(void)state;
	assert_int_equal(sightings_create(CAP, &s), 0);
	for (i = 0; i < N; i++) {
		serial(id, (unsigned)i);
		assert_int_equal(sightings_add(s, id, (time_t)i, 1), 1);
		/* client 0 keeps asking */
		assert_int_equal(sightings_add(s, "00000000", (time_t)i, 1), 0);
	}
	assert_int_equal(sightings_pending(s), CAP);
	assert_int_equal(sightings_take(s, "tftp", &v, &n), 0);
	assert_int_equal(n, CAP);
	for (i = 0; i < CAP - 1; i++) {
		serial(id, (unsigned)(N - CAP + 1 + i));
		assert_string_equal(v[i].id, id);
		assert_int_equal(v[i].count, 1);
	}
	assert_string_equal(v[CAP - 1].id, "00000000");
	assert_int_equal(v[CAP - 1].count, N + 1);
	free(v);
	sightings_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strmap_remove),
		cmocka_unit_test(test_counts_and_take),
		cmocka_unit_test(test_cap_forgets_oldest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
