/* SPDX-License-Identifier: MIT */
/* The root mount's cache of built listings (fusefs/root/listcache.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fusefs/root/listcache.h"

static struct dirlist make(unsigned n)
{
	struct dirlist l = {0};
	char name[32];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "e%u", i);
		assert_int_equal(dirlist_add(&l, name, i + 10, S_IFREG), 0);
	}
	dirlist_finish(&l);
	return l;
}

static struct listing *add(struct listcache *lc, uint64_t dir, unsigned n)
{
	struct dirlist l = make(n);
	struct listing *li = listcache_add(lc, dir, 7, 1, &l);

	assert_non_null(li);
	assert_null(l.v); /* taken over */
	assert_int_equal(li->l.n, n);
	return li;
}

/* A listing serves later chunks until it is forgotten, stale or ended. */
static void test_get_forget_stale(void **state)
{
	struct listcache lc;
	struct listing *li, *g;

	(void)state;
	listcache_init(&lc);
	li = add(&lc, 5, 3);
	listcache_put(&lc, li, false);
	g = listcache_get(&lc, 5, 7, 1);
	assert_ptr_equal(g, li);
	listcache_put(&lc, g, false);
	assert_null(listcache_get(&lc, 6, 7, 1));
	assert_null(listcache_get(&lc, 5, 8, 1)); /* another pin: dropped */
	assert_null(listcache_get(&lc, 5, 7, 1));
	listcache_put(&lc, add(&lc, 5, 3), false);
	assert_null(listcache_get(&lc, 5, 7, 2)); /* the tree moved */
	listcache_put(&lc, add(&lc, 5, 3), false);
	listcache_forget(&lc, 5);
	assert_null(listcache_get(&lc, 5, 7, 1));
	/* The reader at the end drops it; a reader still holding it keeps it
	 * alive (ASan checks the free). */
	li = add(&lc, 5, 3);
	g = listcache_get(&lc, 5, 7, 1);
	listcache_put(&lc, li, true);
	assert_null(listcache_get(&lc, 5, 7, 1));
	assert_int_equal(g->l.n, 3);
	listcache_put(&lc, g, true);
	assert_int_equal(lc.n, 0);
	assert_int_equal(lc.recs, 0);
	listcache_destroy(&lc);
}

/* The oldest go beyond the bounds; the newest stays whatever its size. */
static void test_bounds(void **state)
{
	struct listcache lc;
	struct listing *g;
	uint64_t d;

	(void)state;
	listcache_init(&lc);
	for (d = 1; d <= LISTCACHE_MAX + 4; d++)
		listcache_put(&lc, add(&lc, d, 2), false);
	assert_int_equal(lc.n, LISTCACHE_MAX);
	assert_null(listcache_get(&lc, 1, 7, 1));
	g = listcache_get(&lc, LISTCACHE_MAX + 4, 7, 1);
	assert_non_null(g);
	listcache_put(&lc, g, false);
	listcache_put(&lc, add(&lc, 100, LISTCACHE_MAX_RECS + 5), false);
	assert_int_equal(lc.n, 1);
	assert_int_equal(lc.recs, LISTCACHE_MAX_RECS + 5);
	g = listcache_get(&lc, 100, 7, 1);
	assert_non_null(g);
	listcache_put(&lc, g, false);
	listcache_put(&lc, add(&lc, 101, 2), false);
	assert_int_equal(lc.n, 1); /* the huge one went */
	listcache_destroy(&lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_forget_stale),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
