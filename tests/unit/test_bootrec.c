/* SPDX-License-Identifier: MIT */
/* <state>/boots/<node>: the boot records a PXE-role daemon writes and a
 * files-role daemon reads (fusefs/bootrec.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusefs/bootrec.h"
#include "lib/rmtree.h"

static int setup(void **state)
{
	char *dir = strdup("/tmp/test_bootrec.XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	rmtree_at(AT_FDCWD, *state);
	free(*state);
	return 0;
}

static void slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void test_write_read(void **state)
{
	const char *st = *state;
	char path[256], buf[64];
	unsigned gen = 0;
	struct dirent *de;
	unsigned entries = 0;
	DIR *dir;

	assert_int_equal(bootrec_write(st, "rpi-01", 42), 0);
	snprintf(path, sizeof(path), "%s/boots/rpi-01", st);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "generation 42\n");
	assert_int_equal(bootrec_read(st, "rpi-01", &gen), 0);
	assert_int_equal(gen, 42);
	/* Replaced whole; no temporary file left beside it. */
	assert_int_equal(bootrec_write(st, "rpi-01", 0), 0);
	assert_int_equal(bootrec_read(st, "rpi-01", &gen), 0);
	assert_int_equal(gen, 0);
	snprintf(path, sizeof(path), "%s/boots", st);
	dir = opendir(path);
	assert_non_null(dir);
	while ((de = readdir(dir)))
		entries += de->d_name[0] != '.';
	closedir(dir);
	assert_int_equal(entries, 1);
}

static void test_read_bad(void **state)
{
	const char *st = *state;
	char path[256];
	unsigned gen = 7;
	FILE *f;

	assert_int_not_equal(bootrec_read(st, "nobody", &gen), 0);
	assert_int_equal(bootrec_write(st, "x", 1), 0);
	snprintf(path, sizeof(path), "%s/boots/x", st);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("gen 3\n", f);
	fclose(f);
	assert_int_equal(bootrec_read(st, "x", &gen), -EINVAL);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(bootrec_read(st, "x", &gen), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_bad, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
