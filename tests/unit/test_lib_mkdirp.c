/* SPDX-License-Identifier: MIT */
/* lib/mkdirp: mkdir -p. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "lib/mkdirp.h"
#include "tests/unit/lib_fixture.h"

static int setup(void **state)
{
	*state = lf_tmpdir("mkdirp");
	umask(022);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	lf_rm_rf(*state);
	free(*state);
	return 0;
}

static mode_t mode_of(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return lstat(path, &st) == 0 ? st.st_mode : 0;
}

static void test_makes_parents_with_modes(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(mkdir_p(path, 0700), 0);
	assert_int_equal(mode_of(dir, "a"), S_IFDIR | 0755);
	assert_int_equal(mode_of(dir, "a/b"), S_IFDIR | 0755);
	assert_int_equal(mode_of(dir, "a/b/c"), S_IFDIR | 0700);
}

static void test_existing_left_alone(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/x", dir);
	assert_int_equal(mkdir(path, 0711), 0);
	assert_int_equal(mkdir_p(path, 0700), 0);
	assert_int_equal(mode_of(dir, "x"), S_IFDIR | 0711);
	/* Doubled and trailing slashes name the same directories. */
	snprintf(path, sizeof(path), "%s//x//y/", dir);
	assert_int_equal(mkdir_p(path, 0750), 0);
	assert_int_equal(mode_of(dir, "x/y"), S_IFDIR | 0750);
	assert_int_equal(lf_count(dir), 1);
}

static void test_file_in_the_way(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/f", dir);
	lf_write(path, "x");
	assert_int_equal(mkdir_p(path, 0755), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/f/sub", dir);
	assert_int_equal(mkdir_p(path, 0755), -ENOTDIR);
	assert_string_equal(lf_slurp(path) ? "" : "gone", "gone");
}

static void test_link_to_dir_counts(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/real", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("real", path), 0);
	snprintf(path, sizeof(path), "%s/link/in", dir);
	assert_int_equal(mkdir_p(path, 0700), 0);
	assert_int_equal(mode_of(dir, "real/in"), S_IFDIR | 0700);
	/* A dangling link is no directory. */
	snprintf(path, sizeof(path), "%s/dangling", dir);
	assert_int_equal(symlink("nowhere", path), 0);
	assert_int_equal(mkdir_p(path, 0700), -ENOENT);
}

static void test_relative_and_empty(void **state)
{
	const char *dir = *state;
	int cwd = open(".", O_RDONLY | O_DIRECTORY);

	assert_int_equal(chdir(dir), 0);
	assert_int_equal(mkdir_p("r/s", 0755), 0);
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
	assert_int_equal(mode_of(dir, "r/s"), S_IFDIR | 0755);
	assert_int_equal(mkdir_p("", 0755), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_makes_parents_with_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_in_the_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_to_dir_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_and_empty, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
