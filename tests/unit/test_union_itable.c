/* SPDX-License-Identifier: MIT */
/*
 * The id table (fusefs/union/itable.c, ijournal.c): what a clean stop
 * saves, what a crash leaves in the journal and what a restart reads back,
 * byte for byte, names with a newline or a backslash included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <cmocka.h>

#include "fusefs/union/union.h"
#include "tests/unit/image_fixture.h"

#define HEADER "netbootfs-itable 2\n"

struct fx {
	char *dir, *path, *jpath;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = fx_tmpdir();
	f->path = fx_path(f->dir, "n1.ids");
	f->jpath = fx_path(f->dir, "n1.ids.journal");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_rm_rf(f->dir);
	free(f->dir);
	free(f->path);
	free(f->jpath);
	free(f);
	return 0;
}

/* The file's text up to its first NUL (the journal's padding). */
static char *text_of(const char *path)
{
	size_t len = 0;
	unsigned char *buf = fx_slurp(path, &len);
	char *s = calloc(1, len + 1);

	assert_non_null(buf);
	memcpy(s, buf, len);
	free(buf);
	return s;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A snapshot's text with its lines (after the header) sorted: the table
 * writes them in hash order. */
static char *sorted_snapshot(const char *path)
{
	char *s = text_of(path), *lines[16], *out, *save = NULL, *l;
	size_t n = 0, i;

	assert_true(strncmp(s, HEADER, strlen(HEADER)) == 0);
	for (l = strtok_r(s + strlen(HEADER), "\n", &save); l && n < 16;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	qsort(lines, n, sizeof(*lines), cmp_line);
	out = calloc(1, strlen(HEADER) + strlen(path) + 4096);
	strcpy(out, HEADER);
	for (i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	free(s);
	return out;
}

static void expect_path(struct itable *t, uint64_t id, const char *want)
{
	char *path = NULL;

	assert_int_equal(itable_path(t, id, &path), 0);
	assert_string_equal(path, want);
	free(path);
}

/* A clean stop writes the snapshot, names escaped, and drops the journal;
 * a start reads it back. */
static void test_save_and_load(void **state)
{
	struct fx *f = *state;
	struct itable t;
	uint64_t parent;
	char name[64], *s;

	assert_int_equal(itable_init(&t), 0);
	assert_int_equal(itable_open(&t, f->path), 0);
	assert_int_equal(itable_set(&t, 0x10, 1, "new\nline"), 0);
	assert_int_equal(itable_set(&t, 0x20, 0x10, "back\\slash"), 0);
	assert_int_equal(itable_set(&t, 0x30, 0x20, "plain"), 0);
	assert_int_equal(itable_close(&t), 0);
	itable_destroy(&t);

	s = sorted_snapshot(f->path);
	assert_string_equal(s, HEADER "10 1 new\\nline\n"
				      "20 10 back\\\\slash\n"
				      "30 20 plain\n");
	free(s);
	assert_int_equal(access(f->jpath, F_OK), -1);

	assert_int_equal(itable_init(&t), 0);
	assert_int_equal(itable_open(&t, f->path), 0);
	expect_path(&t, 0x30, "new\nline/back\\slash/plain");
	assert_int_equal(itable_get(&t, 0x10, &parent, name, sizeof(name)), 0);
	assert_int_equal(parent, 1);
	assert_string_equal(name, "new\nline");
	assert_int_equal(itable_close(&t), 0);
	itable_destroy(&t);
}

/* A crash (no itable_close) leaves every change in the journal, in order;
 * the next start replays it, rewrites the snapshot and starts the journal
 * afresh. */
static void test_journal_replay(void **state)
{
	struct fx *f = *state;
	struct itable t;
	char *s;

	assert_int_equal(itable_init(&t), 0);
	assert_int_equal(itable_open(&t, f->path), 0);
	assert_int_equal(itable_set(&t, 0x10, 1, "d"), 0);
	assert_int_equal(itable_close(&t), 0); /* the snapshot before the crash */
	itable_destroy(&t);

	assert_int_equal(itable_init(&t), 0);
	assert_int_equal(itable_open(&t, f->path), 0);
	assert_int_equal(itable_set(&t, 0xa, 0x10, "two\nlines"), 0);
	assert_int_equal(itable_set(&t, 0xb, 0x10, "gone"), 0);
	assert_int_equal(itable_set(&t, 0xa, 1, "moved\n"), 0); /* a rename */
	itable_remove(&t, 0xb);
	itable_destroy(&t); /* kill -9: no snapshot written */

	s = text_of(f->jpath);
	assert_string_equal(s, HEADER "a 10 two\\nlines\n"
				      "b 10 gone\n"
				      "a 1 moved\\n\n"
				      "-b\n");
	free(s);
	s = sorted_snapshot(f->path);
	assert_string_equal(s, HEADER "10 1 d\n");
	free(s);

	assert_int_equal(itable_init(&t), 0);
	assert_int_equal(itable_open(&t, f->path), 0);
	expect_path(&t, 0xa, "moved\n");
	expect_path(&t, 0x10, "d");
	assert_false(itable_has(&t, 0xb));
	s = sorted_snapshot(f->path);
	assert_string_equal(s, HEADER "10 1 d\n"
				      "a 1 moved\\n\n");
	free(s);
	s = text_of(f->jpath);
	assert_string_equal(s, HEADER);
	free(s);
	itable_destroy(&t);
}

/* A damaged line costs its one id, not the table. */
static void test_damaged_line(void **state)
{
	struct fx *f = *state;
	struct itable t;

	fx_spit(f->path, HEADER "10 1 ok\nzz\n20 1 bad\\q\n30 1 fine\n",
		strlen(HEADER "10 1 ok\nzz\n20 1 bad\\q\n30 1 fine\n"));
	assert_int_equal(itable_init(&t), 0);
	assert_int_equal(itable_open(&t, f->path), 0);
	expect_path(&t, 0x10, "ok");
	expect_path(&t, 0x30, "fine");
	assert_false(itable_has(&t, 0x20));
	itable_destroy(&t);
}

/* Lines across the reader's 64 KiB chunks: a damaged line longer than one,
 * the lines after it, a last line without its newline in the snapshot, and
 * a journal's last record followed by its NUL padding. */
static void test_long_lines_and_padding(void **state)
{
	struct fx *f = *state;
	size_t big = 150000, n = 0;
	char *text = malloc(big + 256), *pad = calloc(1, 1 << 20);
	struct itable t;

	n += (size_t)sprintf(text, HEADER "10 1 before\n");
	memset(text + n, 'x', big);
	n += big;
	n += (size_t)sprintf(text + n, "\n20 1 after\n30 1 last");
	fx_spit(f->path, text, n);
	memcpy(pad, HEADER "40 1 journalled\n-10\n", strlen(HEADER "40 1 journalled\n-10\n"));
	fx_spit(f->jpath, pad, 1 << 20);
	assert_int_equal(itable_init(&t), 0);
	assert_int_equal(itable_open(&t, f->path), 0);
	assert_false(itable_has(&t, 0x10));
	expect_path(&t, 0x20, "after");
	expect_path(&t, 0x30, "last");
	expect_path(&t, 0x40, "journalled");
	itable_destroy(&t);
	free(text);
	free(pad);
}

/* Paths of unknown ids, chains that do not end at the root, and a chain
 * far longer than PATH_MAX: no limit. */
static void test_paths(void **state)
{
	char name[201], *path = NULL;
	struct itable t;
	uint64_t id;

	(void)state;
	assert_int_equal(itable_init(&t), 0);
	assert_int_equal(itable_path(&t, 0x99, &path), -ENOENT);
	assert_int_equal(itable_set(&t, 0x40, 0x50, "x"), 0);
	assert_int_equal(itable_set(&t, 0x50, 0x40, "y"), 0);
	assert_int_equal(itable_path(&t, 0x40, &path), -ELOOP);
	memset(name, 'n', 200);
	name[200] = '\0';
	for (id = 0x100; id < 0x100 + 100; id++)
		assert_int_equal(itable_set(&t, id, id == 0x100 ? 1 : id - 1, name), 0);
	assert_int_equal(itable_path(&t, id - 1, &path), 0);
	assert_int_equal(strlen(path), 100 * 201 - 1);
	assert_int_equal(path[200], '/');
	assert_int_equal(path[100 * 201 - 2], 'n');
	free(path);
	assert_int_equal(itable_path(&t, 1, &path), 0);
	assert_string_equal(path, "");
	free(path);
	itable_destroy(&t);
}

/* The node objects: one per id, found in its stripe, gone once removed;
 * ids spread over every stripe. */
static void test_objects(void **state)
{
	unsigned used[UNODE_STRIPES] = {0}, i;
	struct unode_table t;
	struct unode_stripe *s;
	struct unode *u;
	uint64_t id;

	(void)state;
	assert_int_equal(unode_table_init(&t), 0);
	for (id = 2; id < 2002; id++) {
		s = unode_stripe(&t, id);
		assert_null(unode_find(s, id));
		u = unode_insert(s, id);
		assert_non_null(u);
		assert_int_equal(u->id, id);
		assert_null(u->name);
		u->parent = id - 1;
		u->name = strdup("n");
		used[s - t.s]++;
	}
	assert_int_equal(unode_count(&t), 2000);
	for (i = 0; i < UNODE_STRIPES; i++)
		assert_true(used[i] > 2000 / UNODE_STRIPES / 2);
	for (id = 2; id < 2002; id++) {
		u = unode_find(unode_stripe(&t, id), id);
		assert_non_null(u);
		assert_int_equal(u->parent, id - 1);
	}
	for (id = 2; id < 2002; id += 2)
		assert_true(unode_remove(unode_stripe(&t, id), id));
	assert_false(unode_remove(unode_stripe(&t, 2), 2));
	assert_int_equal(unode_count(&t), 1000);
	for (id = 2; id < 2002; id++)
		assert_true((unode_find(unode_stripe(&t, id), id) != NULL) == (id & 1));
	unode_table_destroy(&t);
}

#define T_THREADS 6
#define T_IDS	  3000 /* per thread */
#define T_ROUNDS  4

struct worker {
	struct itable *t;
	unsigned no;
};

static uint64_t t_id(unsigned no, unsigned k)
{
	return 0x1000 + (uint64_t)no * T_IDS + k;
}

/* Each writer owns its ids: makes them, renames them every round, removes
 * every third one at the end; meanwhile it reads ids of the others. */
static void *writer(void *arg)
{
	struct worker *w = arg;
	char name[32], got[NAME_MAX + 1], *path;
	unsigned r, k;
	uint64_t parent;

	for (r = 0; r < T_ROUNDS; r++) {
		for (k = 0; k < T_IDS; k++) {
			uint64_t other = t_id((w->no + 1) % T_THREADS, k);

			snprintf(name, sizeof(name), "f%u.%u.%u", w->no, k, r);
			if (itable_set(w->t, t_id(w->no, k), k ? t_id(w->no, k - 1) : 1, name))
				return "set";
			if (itable_get(w->t, other, &parent, got, sizeof(got)) == 0 &&
			    (parent != (k ? other - 1 : 1) || strncmp(got, "f", 1) != 0))
				return "get";
			if (k % 64 == 0 && itable_path(w->t, other, &path) == 0)
				free(path);
		}
	}
	for (k = 0; k < T_IDS; k += 3)
		itable_remove(w->t, t_id(w->no, k));
	return NULL;
}

static void expect_threads_result(struct itable *t)
{
	char name[NAME_MAX + 1], want[32];
	unsigned no, k;
	uint64_t parent;

	for (no = 0; no < T_THREADS; no++) {
		for (k = 0; k < T_IDS; k++) {
			int err = itable_get(t, t_id(no, k), &parent, name, sizeof(name));

			if (k % 3 == 0) {
				assert_int_equal(err, -ENOENT);
				continue;
			}
			assert_int_equal(err, 0);
			assert_int_equal(parent, t_id(no, k - 1));
			snprintf(want, sizeof(want), "f%u.%u.%u", no, k, T_ROUNDS - 1);
			assert_string_equal(name, want);
		}
	}
	assert_int_equal(unode_count(&t->nodes), T_THREADS * (T_IDS - (T_IDS + 2) / 3));
}

/*
 * Writers on every stripe at once, with a journal small enough to fill
 * several times (each fill folds it into the snapshot under every stripe
 * lock while the others keep writing); then a crash. The table in memory
 * and the one read back from the snapshot and journal are exactly what the
 * last change of each id made.
 */
static void test_threads_and_crash(void **state)
{
	struct fx *f = *state;
	struct worker w[T_THREADS];
	pthread_t th[T_THREADS];
	struct itable t;
	size_t len = 0;
	unsigned i;
	void *ret;

	assert_int_equal(itable_init(&t), 0);
	t.journal.max = 1u << 20; /* no growth: full after 1 MiB */
	assert_int_equal(itable_open(&t, f->path), 0);
	for (i = 0; i < T_THREADS; i++) {
		w[i] = (struct worker){.t = &t, .no = i};
		assert_int_equal(pthread_create(&th[i], NULL, writer, &w[i]), 0);
	}
	for (i = 0; i < T_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	expect_threads_result(&t);
	/* ~6 MiB of records went through a 1 MiB journal: it was folded
	 * into the snapshot (empty at the start) at least once. */
	free(fx_slurp(f->path, &len));
	assert_true(len > 1000 * strlen("1001 1000 f0.0.0\n"));
	itable_destroy(&t); /* kill -9 */

	assert_int_equal(itable_init(&t), 0);
	assert_int_equal(itable_open(&t, f->path), 0);
	expect_threads_result(&t);
	itable_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save_and_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines_and_padding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_line, setup, teardown),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_objects),
		cmocka_unit_test_setup_teardown(test_threads_and_crash, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
