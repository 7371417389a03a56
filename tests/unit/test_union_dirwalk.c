/* SPDX-License-Identifier: MIT */
/*
 * Directories by node id (fusefs/union/dirwalk.c) and their cache
 * (fusefs/union/dircache.c): a cached directory reopens from its host file
 * handles, a change drops it, and a chain far deeper than PATH_MAX is
 * entered and copied up one name at a time.
 */
#include "tests/unit/union_fixture.h"

#include "fusefs/union/dircache.h"

#define LEVELS	30
#define NAMELEN 200

static ino_t ino_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

/* What is cached reopens: the same overlay and shared-layer directories,
 * the image's inode, the generated layer's entry; a change of the tree or
 * another pin misses. */
static void test_cache_reopens(void **state)
{
	struct ufx *f = *state;
	uint64_t id = uf_img_id(f, "dir"), epoch;
	struct dirlayers dl, again;

	fx_mkdirs(f->upper, "dir");
	uf_open_dir(f, "dir", &dl);
	assert_true(dl.upper_fd >= 0 && dl.shared_fd[0] >= 0 && dl.img_dir);
	epoch = atomic_load(&f->fs.epoch);
	assert_false(dircache_open(&f->fs, f->p, id, epoch, &again));
	dircache_put(&f->fs, f->p, id, epoch, &dl);
	assert_true(dircache_open(&f->fs, f->p, id, epoch, &again));
	assert_int_equal(again.id, id);
	assert_int_equal(ino_of(again.upper_fd), ino_of(dl.upper_fd));
	assert_int_equal(ino_of(again.shared_fd[0]), ino_of(dl.shared_fd[0]));
	assert_true(again.img_dir);
	assert_int_equal(again.img, dl.img);
	layers_close(&again);
	union_changed(&f->fs);
	assert_false(dircache_open(&f->fs, f->p, id, atomic_load(&f->fs.epoch), &again));
	f->p->seq++;
	assert_false(dircache_open(&f->fs, f->p, id, epoch, &again));
	f->p->seq--;
	/* A directory removed on the host behind the cache: a miss. */
	assert_int_equal(unlinkat(f->fs.upper_fd, "dir", AT_REMOVEDIR), 0);
	assert_false(dircache_open(&f->fs, f->p, id, epoch, &again));
	layers_close(&dl);
}

/* The facts are a field of the directory's node object: an id the id
 * table does not hold is not cached, removing the id drops them, and at
 * most UNODE_DIRS_PER_STRIPE objects of a stripe hold facts (the most
 * recent ones): 4096 per node, as the direct-mapped cache was. */
static void test_facts_in_objects(void **state)
{
	struct ufx *f = *state;
	unsigned per[UNODE_STRIPES] = {0}, with[UNODE_STRIPES] = {0}, i;
	uint64_t epoch = atomic_load(&f->fs.epoch), id;
	struct dirlayers dl = {.upper_fd = -1, .img_dir = true, .img = 77}, again;
	struct unode_stripe *s;
	struct unode *u;

	for (i = 0; i < MAX_SHARED_LAYERS; i++)
		dl.shared_fd[i] = -1;
	dircache_put(&f->fs, f->p, 0x5000, epoch, &dl);
	assert_false(dircache_open(&f->fs, f->p, 0x5000, epoch, &again));
	for (id = 0x10000; id < 0x10000 + 5000; id++) {
		assert_int_equal(itable_set(&f->fs.itab, id, 1, "d"), 0);
		dl.img = id;
		dircache_put(&f->fs, f->p, id, epoch, &dl);
		per[unode_stripe(&f->fs.itab.nodes, id) - f->fs.itab.nodes.s]++;
	}
	for (id = 0x10000; id < 0x10000 + 5000; id++) {
		s = unode_stripe(&f->fs.itab.nodes, id);
		u = unode_find(s, id);
		assert_non_null(u);
		with[s - f->fs.itab.nodes.s] += u->dir != NULL;
	}
	for (i = 0; i < UNODE_STRIPES; i++)
		assert_int_equal(with[i],
				 per[i] < UNODE_DIRS_PER_STRIPE ? per[i] : UNODE_DIRS_PER_STRIPE);
	id = 0x10000 + 4999; /* the last one put */
	assert_true(dircache_open(&f->fs, f->p, id, epoch, &again));
	assert_true(again.img_dir);
	assert_int_equal(again.img, id);
	assert_int_equal(again.upper_fd, -1);
	layers_close(&again);
	itable_remove(&f->fs.itab, id);
	assert_false(dircache_open(&f->fs, f->p, id, epoch, &again));
}

static void level_name(char *buf, unsigned i)
{
	int n = snprintf(buf, NAME_MAX + 1, "L%03u", i);

	memset(buf + n, 'a' + (int)(i % 26), NAMELEN - (unsigned)n);
	buf[NAMELEN] = '\0';
}

/* A chain of 30 directories of 200-byte names (6 KB) in the overlay,
 * known to the id table: entered by id, and a copy-up under an image
 * directory made below it all. */
static void test_deep_chain(void **state)
{
	struct ufx *f = *state;
	char name[NAME_MAX + 1], want[NAME_MAX + 1];
	uint64_t parent = 1, ids[LEVELS + 1];
	struct dirlayers dl, top;
	struct uobj o;
	unsigned i;
	int fd = dup(f->fs.upper_fd), next;

	assert_int_equal(layers_open_dir_id(&f->fs, f->p, 1, &top), 0);
	for (i = 1; i <= LEVELS; i++) {
		level_name(name, i);
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		next = openat(fd, name, O_PATH | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
		assert_int_equal(layers_lookup(&f->fs, f->p, &top, name, &o), 0);
		assert_int_equal(layers_step(&f->fs, f->p, &top, name, &dl), 0);
		layers_close(&top);
		top = dl;
		ids[i] = o.id;
		assert_int_equal(itable_set(&f->fs.itab, o.id, parent, name), 0);
		parent = o.id;
	}
	close(fd);
	layers_close(&top);
	union_changed(&f->fs); /* nothing cached: the walk goes from the root */
	assert_int_equal(layers_open_dir_id(&f->fs, f->p, ids[LEVELS], &dl), 0);
	assert_int_equal(dl.id, ids[LEVELS]);
	assert_true(dl.upper_fd >= 0);
	assert_null(dl.path);
	layers_close(&dl);
	/* Every level was cached on the way: the parent is a hit now. */
	assert_true(dircache_open(&f->fs, f->p, ids[LEVELS - 1], atomic_load(&f->fs.epoch), &dl));
	layers_close(&dl);
	/* Resolving the deepest id by its parent and name. */
	assert_int_equal(layers_resolve_id(&f->fs, f->p, ids[LEVELS], &dl, want, &o), 0);
	assert_string_equal(want, name);
	assert_int_equal(o.id, ids[LEVELS]);
	assert_int_equal(dl.id, ids[LEVELS - 1]);
	layers_close(&dl);
}

/* copyup_dir_chain below an image directory: each missing level is made
 * from the nearest ancestor the overlay has, with the image's mode. */
static void test_chain_copyup(void **state)
{
	struct ufx *f = *state;
	struct dirlayers dl;
	struct stat st;

	uf_open_dir(f, "dir/sub", &dl);
	assert_true(dl.upper_fd < 0);
	assert_int_equal(copyup_dir_chain(&f->fs, f->p, &dl), 0);
	assert_true(dl.upper_fd >= 0);
	assert_int_equal(fstatat(f->fs.upper_fd, "dir/sub", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(ino_of(dl.upper_fd), st.st_ino);
	layers_close(&dl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cache_reopens, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_facts_in_objects, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_deep_chain, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_chain_copyup, uf_setup, uf_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
