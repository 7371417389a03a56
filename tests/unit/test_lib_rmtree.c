/* SPDX-License-Identifier: MIT */
/* lib/rmtree: rm -r that never follows a link and has no depth limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <sys/resource.h>

#include "lib/rmtree.h"
#include "tests/unit/lib_fixture.h"

struct fx {
	char *dir; /* scratch: tree/ and outside/ */
	char tree[300];
	char outside[300];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || !(f->dir = lf_tmpdir("rmtree")))
		return -1;
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->dir);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->dir);
	if (mkdir(f->tree, 0755) || mkdir(f->outside, 0755))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	lf_rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	lf_write(path, text);
}

/* Links to a directory and a file outside: removed, the targets intact. */
static void test_links_not_followed(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX + 16], sub[PATH_MAX];
	struct stat st;

	put(f->outside, "precious", "keep me\n");
	snprintf(path, sizeof(path), "%s/to-dir", f->tree);
	assert_int_equal(symlink(f->outside, path), 0);
	snprintf(path, sizeof(path), "%s/to-file", f->tree);
	snprintf(sub, sizeof(sub), "%s/precious", f->outside);
	assert_int_equal(symlink(sub, path), 0);
	snprintf(sub, sizeof(sub), "%s/d", f->tree);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/up", sub);
	assert_int_equal(symlink("../../outside", path), 0);
	put(sub, "file", "x");

	assert_int_equal(rmtree_at(AT_FDCWD, f->tree), 0);
	assert_int_equal(lstat(f->tree, &st), -1);
	assert_int_equal(errno, ENOENT);
	snprintf(path, sizeof(path), "%s/precious", f->outside);
	assert_string_equal(lf_slurp(path), "keep me\n");
	assert_int_equal(lf_count(f->outside), 1);
}

/* @name itself a link to a directory: the link goes, not the directory. */
static void test_top_link(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	int dfd = open(f->dir, O_RDONLY | O_DIRECTORY);

	put(f->outside, "precious", "keep\n");
	snprintf(path, sizeof(path), "%s/link", f->dir);
	assert_int_equal(symlink("outside", path), 0);
	assert_int_equal(rmtree_at(dfd, "link"), 0);
	assert_int_equal(faccessat(dfd, "link", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(lf_count(f->outside), 1);
	/* Emptying through a link is refused. */
	assert_int_equal(symlink("outside", path), 0);
	assert_int_equal(rmtree_contents_at(dfd, "link"), -ENOTDIR);
	assert_int_equal(lf_count(f->outside), 1);
	/* A missing name is done. */
	assert_int_equal(rmtree_at(dfd, "nothing-here"), 0);
	close(dfd);
}

static void test_contents_keeps_dir(void **state)
{
	struct fx *f = *state;
	char sub[PATH_MAX];
	struct stat st;

	put(f->tree, "a", "1");
	snprintf(sub, sizeof(sub), "%s/b", f->tree);
	assert_int_equal(mkdir(sub, 0700), 0);
	put(sub, "c", "2");
	assert_int_equal(rmtree_contents_at(AT_FDCWD, f->tree), 0);
	assert_int_equal(stat(f->tree, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(lf_count(f->tree), 0);
}

/*
 * @levels nested directories of 200-character names below @top (an open
 * directory), each level also holding a file, a dangling link and a side
 * directory with a file, so that climbing back into a level whose stream
 * was closed has more to remove. Returns the deepest directory's fd.
 */
static int deep_chain(int top, unsigned levels)
{
	char name[201];
	int fd = dup(top);

	memset(name, 'n', 200);
	name[200] = '\0';
	for (unsigned i = 0; i < levels; i++) {
		int file = openat(fd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644), next;

		assert_true(file >= 0);
		assert_int_equal(write(file, "data", 4), 4);
		close(file);
		assert_int_equal(symlinkat("/nonexistent", fd, "dangling"), 0);
		assert_int_equal(mkdirat(fd, "side", 0755), 0);
		file = openat(fd, "side/f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		assert_true(file >= 0);
		close(file);
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	return fd;
}

/* 300 levels of 200-character names: about 60,000 bytes of path, more
 * levels than a descriptor per level would allow under a small limit. */
static void test_deeper_than_path_max(void **state)
{
	struct fx *f = *state;
	int top = open(f->dir, O_RDONLY | O_DIRECTORY), tree, deepest, err;
	struct rlimit old, low;
	struct stat st;

	assert_true(top >= 0);
	tree = openat(top, "tree", O_RDONLY | O_DIRECTORY);
	deepest = deep_chain(tree, 300);
	assert_int_equal(mkdirat(deepest, "last", 0755), 0);
	close(deepest);
	close(tree);
	/* Far fewer descriptors than levels. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	err = rmtree_at(top, "tree");
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(err, 0);
	assert_int_equal(fstatat(top, "tree", &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(lf_count(f->dir), 1); /* outside/ only */
	close(top);
}

/*
 * A mount point 40 levels down (below the levels whose streams stay open)
 * is not entered: -EBUSY, its file survives, everything else goes, and
 * the walk ends although the levels above it cannot be removed.
 */
static void test_mount_point_not_entered(void **state)
{
	struct fx *f = *state;
	int top, tree, deepest, mfd, cwd;

	/* First: descriptors opened before it name the old namespace's mounts. */
	if (!lf_private_mounts())
		skip();
	top = open(f->dir, O_RDONLY | O_DIRECTORY);
	cwd = open(".", O_RDONLY | O_DIRECTORY);
	tree = openat(top, "tree", O_RDONLY | O_DIRECTORY);
	deepest = deep_chain(tree, 40);
	assert_int_equal(mkdirat(deepest, "mnt", 0755), 0);
	/* Mounted from inside: the whole path is longer than PATH_MAX. */
	assert_int_equal(fchdir(deepest), 0);
	assert_int_equal(lf_tmpfs("mnt", 1 << 20, 0), 0);
	assert_int_equal(fchdir(cwd), 0);
	mfd = openat(deepest, "mnt", O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(mfd, "inner", 0755), 0);

	assert_int_equal(rmtree_at(top, "tree"), -EBUSY);
	assert_int_equal(faccessat(mfd, "inner", F_OK, 0), 0);
	/* Only the way down to the mount point is left. */
	assert_int_equal(faccessat(deepest, "file", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(faccessat(deepest, "side", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(faccessat(tree, "side", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(faccessat(tree, "file", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	close(mfd);
	assert_int_equal(fchdir(deepest), 0);
	assert_int_equal(umount2("mnt", MNT_DETACH), 0);
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
	close(deepest);
	close(tree);
	assert_int_equal(rmtree_at(top, "tree"), 0);
	close(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_links_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contents_keeps_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deeper_than_path_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount_point_not_entered, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
