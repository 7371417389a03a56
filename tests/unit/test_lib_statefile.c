/* SPDX-License-Identifier: MIT */
/* lib/statefile: the one durable writer of state files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/statefile.h"
#include "tests/unit/lib_fixture.h"

static int setup(void **state)
{
	*state = lf_tmpdir("statefile");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	umount2(*state, MNT_DETACH);
	lf_rm_rf(*state);
	free(*state);
	return 0;
}

static void test_replace_content_and_mode(void **state)
{
	const char *dir = *state;
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/users", dir);
	assert_int_equal(statefile_replace(path, "a\nb\n", 4, 0600, (uid_t)-1, (gid_t)-1), 0);
	assert_string_equal(lf_slurp(path), "a\nb\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Replaced: the new content and the new mode, and no temp file left. */
	assert_int_equal(statefile_replace(path, "c", 1, 0644, (uid_t)-1, (gid_t)-1), 0);
	assert_string_equal(lf_slurp(path), "c");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(lf_count(dir), 1);
}

static void test_replace_owner(void **state)
{
	const char *dir = *state;
	char path[256];
	struct stat st;

	if (geteuid() != 0)
		skip();
	snprintf(path, sizeof(path), "%s/owned", dir);
	assert_int_equal(statefile_replace(path, "x", 1, 0640, 1234, 5678), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_replace_replaces_not_rewrites(void **state)
{
	const char *dir = *state;
	char path[256];
	struct stat before, after;

	/* A reader holding the old file keeps the old bytes: a new inode. */
	snprintf(path, sizeof(path), "%s/slots", dir);
	assert_int_equal(statefile_replace(path, "old", 3, 0644, (uid_t)-1, (gid_t)-1), 0);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(statefile_replace(path, "new", 3, 0644, (uid_t)-1, (gid_t)-1), 0);
	assert_int_equal(stat(path, &after), 0);
	assert_int_not_equal(before.st_ino, after.st_ino);
}

static void test_write_makes_dir(void **state)
{
	const char *dir = *state;
	char sub[256], path[300];
	char *text = NULL;
	size_t len = 7;
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	assert_int_equal(statefile_write(sub, "discovered", "x y\n", 4), 0);
	snprintf(path, sizeof(path), "%s/discovered", sub);
	assert_string_equal(lf_slurp(path), "x y\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(statefile_read(sub, "discovered", &text, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(text, "x y\n", 4);
	free(text);
	/* Missing reads as empty; by path it is -ENOENT. */
	assert_int_equal(statefile_read(sub, "nope", &text, &len), 0);
	assert_null(text);
	assert_int_equal(len, 0);
	snprintf(path, sizeof(path), "%s/nope", sub);
	assert_int_equal(statefile_read_path(path, &text, &len), -ENOENT);
}

/* A full filesystem: the write fails, the old content stays, no temp. */
static void test_enospc_keeps_old(void **state)
{
	const char *dir = *state;
	static char big[256 * 1024];
	char path[256];

	if (!lf_private_mounts())
		skip();
	assert_int_equal(lf_tmpfs(dir, 64 * 1024, 0), 0);
	snprintf(path, sizeof(path), "%s/generations", dir);
	assert_int_equal(statefile_replace(path, "next 7\n", 7, 0600, (uid_t)-1, (gid_t)-1), 0);
	memset(big, 'z', sizeof(big));
	assert_int_equal(statefile_replace(path, big, sizeof(big), 0600, (uid_t)-1, (gid_t)-1),
			 -ENOSPC);
	assert_string_equal(lf_slurp(path), "next 7\n");
	assert_int_equal(lf_count(dir), 1);
}

/* A read-only directory: -EROFS, the old content stays, no temp. */
static void test_readonly_keeps_old(void **state)
{
	const char *dir = *state;
	char path[256];

	if (!lf_private_mounts())
		skip();
	assert_int_equal(lf_tmpfs(dir, 64 * 1024, 0), 0);
	snprintf(path, sizeof(path), "%s/users", dir);
	assert_int_equal(statefile_replace(path, "old\n", 4, 0600, (uid_t)-1, (gid_t)-1), 0);
	assert_int_equal(mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
	assert_int_equal(statefile_replace(path, "new\n", 4, 0600, (uid_t)-1, (gid_t)-1), -EROFS);
	assert_string_equal(lf_slurp(path), "old\n");
	assert_int_equal(lf_count(dir), 1);
}

/* The rename fails (a directory in the way): the temp file goes too. */
static void test_rename_fails_no_temp(void **state)
{
	const char *dir = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/nodes", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(statefile_replace(path, "x", 1, 0644, (uid_t)-1, (gid_t)-1), -EISDIR);
	assert_int_equal(lf_count(dir), 1);
	assert_int_equal(lf_count(path), 0);
}

static void test_sync_dir(void **state)
{
	const char *dir = *state;
	char path[256];

	assert_int_equal(statefile_sync_dir(AT_FDCWD, dir), 0);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(statefile_sync_dir(AT_FDCWD, path), -ENOENT);
}

static void test_lock_is_exclusive(void **state)
{
	const char *dir = *state;
	int a = statefile_lock(dir, "slots"), b;
	char path[256];

	assert_true(a >= 0);
	snprintf(path, sizeof(path), "%s/.slots.lock", dir);
	b = open(path, O_RDWR | O_CLOEXEC);
	assert_true(b >= 0);
	assert_int_equal(flock(b, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	statefile_unlock(a);
	assert_int_equal(flock(b, LOCK_EX | LOCK_NB), 0);
	close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replace_content_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_replaces_not_rewrites, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_makes_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_fails_no_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_is_exclusive, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
