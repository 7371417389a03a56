/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fusefs/union/union.h"

static void build(struct dirlist *l, int from, int to, int skip_mod)
{
	char name[32];
	int i;

	for (i = from; i < to; i++) {
		if (skip_mod && i % skip_mod == 0)
			continue;
		snprintf(name, sizeof(name), "file-%05d", i);
		assert_int_equal(dirlist_add(l, name, (uint64_t)i + 10, S_IFREG), 0);
	}
	dirlist_finish(l);
}

/* One getdents-sized chunk (97 entries) after *@off, as a reader resuming
 * after a reopen sees it: each entry goes to @visit. Frees @l; returns the
 * number of entries left after the chunk. */
static size_t read_chunk(struct dirlist *l, uint64_t *off,
			 void (*visit)(const struct dirent_rec *e, void *ctx), void *ctx)
{
	size_t k = dirlist_seek(l, *off), n;

	for (n = 0; k < l->n && n < 97; k++, n++) {
		assert_true(l->v[k].cookie > *off);
		visit(&l->v[k], ctx);
		*off = l->v[k].cookie;
	}
	n = l->n - k;
	dirlist_free(l);
	return n;
}

static void count_by_ino(const struct dirent_rec *e, void *ctx)
{
	unsigned char *seen = ctx;

	seen[e->ino - 10]++;
}

/* Read a listing in chunks, reopening (rebuilding) between chunks while
 * entries come and go: every entry present throughout is seen exactly once. */
static void test_offsets_stable_across_reopen(void **state)
{
	unsigned char seen[6000] = {0};
	uint64_t off = 0;
	int round = 0, i;

	(void)state;
	for (;;) {
		struct dirlist l = {0};

		/* Entries 0..4999 always; every round removes a different
		 * third and adds 5000+round. */
		build(&l, 0, 5000 + round, round % 2 ? 3 : 0);
		round++;
		if (read_chunk(&l, &off, count_by_ino, seen) == 0)
			break;
	}
	for (i = 0; i < 5000; i++) {
		if (i % 3 == 0)
			assert_in_range(seen[i], 0, 1); /* may be removed when passed */
		else
			assert_int_equal(seen[i], 1);
	}
}

struct order_check {
	unsigned char seen[4000];
	int last_img; /* image position of the last image name returned */
	int round;    /* names at positions round, round + 7, ... are copied up */
};

/* Image names ("img-NNNNN", stored in reverse name order) come first, in
 * image order, with their position as cookie; upper names after them. */
static void check_image_order(const struct dirent_rec *e, void *ctx)
{
	struct order_check *o = ctx;

	if (strncmp(e->name, "img-", 4) == 0) {
		int pos = 2999 - atoi(e->name + 4);

		assert_int_equal(pos, o->last_img + 1);
		assert_int_equal(e->cookie, DIRLIST_COOKIE_DOTDOT + 1 + pos);
		if (pos >= o->round && (pos - o->round) % 7 == 0)
			assert_int_equal(e->ino, 100000 + pos); /* the upper copy wins */
		else
			assert_int_equal(e->ino, 10 + pos);
		o->last_img = pos;
		o->seen[pos]++;
	} else {
		assert_int_equal(o->last_img, 2999);
		o->seen[e->ino - 10]++;
	}
}

/* An image directory of 3000 names (in its own order, not the hash's)
 * under a changing upper layer that copies some of them up, adds names of
 * its own and removes them again: read in chunks with a rebuild between
 * chunks, every image name comes exactly once and in image order, then
 * every upper name present throughout. */
static void test_image_order_stable_across_reopen(void **state)
{
	struct order_check o = {.last_img = -1};
	uint64_t off = 0;
	int round = 0, i;
	char name[32];

	(void)state;
	for (;;) {
		struct dirlist l = {0};

		o.round = round;
		for (i = 3000; i < 3500 + round; i++) {
			if (round % 2 && i % 3 == 0)
				continue; /* upper names that come and go */
			snprintf(name, sizeof(name), "up-%05d", i);
			assert_int_equal(dirlist_add(&l, name, (uint64_t)i + 10, S_IFREG), 0);
		}
		for (i = round; i < 3000; i += 7) { /* copied up */
			snprintf(name, sizeof(name), "img-%05d", 2999 - i);
			assert_int_equal(dirlist_add(&l, name, 100000 + (uint64_t)i, S_IFREG), 0);
		}
		for (i = 0; i < 3000; i++) {
			/* Image order is reverse name order here. */
			snprintf(name, sizeof(name), "img-%05d", 2999 - i);
			assert_int_equal(
				dirlist_add_at(&l, name, (uint64_t)i + 10, S_IFREG, (uint32_t)i),
				0);
		}
		dirlist_finish(&l);
		round++;
		if (read_chunk(&l, &off, check_image_order, &o) == 0)
			break;
	}
	for (i = 0; i < 3500; i++) {
		if (i >= 3000 && i % 3 == 0)
			assert_in_range(o.seen[i], 0, 1);
		else
			assert_int_equal(o.seen[i], 1);
	}
}

static void test_first_of_a_name_wins(void **state)
{
	struct dirlist l = {0};

	(void)state;
	assert_int_equal(dirlist_add(&l, "cmdline.txt", 1000, S_IFREG), 0);
	assert_int_equal(dirlist_add(&l, "a", 1, S_IFREG), 0);
	assert_int_equal(dirlist_add(&l, "cmdline.txt", 2000, S_IFREG), 0);
	dirlist_finish(&l);
	assert_int_equal(l.n, 2);
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.v[i].name, "cmdline.txt") == 0)
			assert_int_equal(l.v[i].ino, 1000);
	dirlist_free(&l);
}

static void test_cookies_clear_of_dots(void **state)
{
	(void)state;
	assert_true(dirlist_cookie("") > DIRLIST_COOKIE_DOTDOT);
	assert_true(dirlist_cookie("x") > DIRLIST_COOKIE_DOTDOT);
	assert_true((int64_t)dirlist_cookie("anything") > 0);
	assert_true(dirlist_cookie("") >= DIRLIST_COOKIE_HASHED);
	assert_true(dirlist_cookie("x") >= DIRLIST_COOKIE_HASHED);
}

static void test_nodeid_roundtrip(void **state)
{
	struct nid in = {.kind = NID_IMG,
			 .via_mac = true,
			 .slot = 65535,
			 .gen = 4095,
			 .payload = 0xfffffffe},
		   out;
	uint64_t id;

	(void)state;
	id = nid_encode(&in);
	assert_true(nid_decode(id, &out));
	assert_int_equal(out.kind, NID_IMG);
	assert_true(out.via_mac);
	assert_int_equal(out.slot, 65535);
	assert_int_equal(out.gen, 4095);
	assert_int_equal(out.payload, 0xfffffffe);

	in = (struct nid){.kind = NID_ROOT};
	assert_int_equal(nid_encode(&in), 1);
	assert_true(nid_decode(1, &out));
	assert_int_equal(out.kind, NID_ROOT);
	/* Ids no encoder produces are refused. */
	assert_false(nid_decode(2, &out));
	in = (struct nid){.kind = NID_CLIENT, .slot = 7};
	assert_true(nid_decode(nid_encode(&in), &out));
	assert_false(nid_decode(nid_encode(&in) | 5, &out));
	in = (struct nid){.kind = NID_IMG, .slot = 7, .gen = 0, .payload = 3};
	assert_false(nid_decode(nid_encode(&in), &out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets_stable_across_reopen),
		cmocka_unit_test(test_image_order_stable_across_reopen),
		cmocka_unit_test(test_first_of_a_name_wins),
		cmocka_unit_test(test_cookies_clear_of_dots),
		cmocka_unit_test(test_nodeid_roundtrip),
	};

	return cmocka_run_group_tests_name("dirlist", tests, NULL, NULL);
}
