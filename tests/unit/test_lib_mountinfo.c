/* SPDX-License-Identifier: MIT */
/* lib/mountinfo: lines of /proc/PID/mountinfo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/mountinfo.h"

/* Two optional fields, and a blank and a backslash escaped in the mount
 * point, the root and the source. */
static const char line_gluster[] =
	"55 27 0:47 / /srv/shared\\040dir rw,relatime shared:31 master:1 - fuse.glusterfs "
	"10.0.0.5:/gv0 rw,user_id=0,group_id=0,default_permissions,allow_other\n";
static const char line_bind[] = "61 55 0:47 /sub\\134x /mnt/sub rw - fuse.glusterfs "
				"10.0.0.5:/gv0\\040b rw\n";
static const char line_fuse[] = "70 27 0:52 / /srv/nfs/n1 rw,nosuid,nodev - fuse netbootfs:n1 rw\n";

static void test_parses_fields(void **state)
{
	struct mountinfo_entry e;

	(void)state;
	assert_true(mountinfo_parse(line_gluster, &e));
	assert_int_equal(e.id, 55);
	assert_int_equal(e.parent, 27);
	assert_true(e.dev == makedev(0, 47));
	assert_string_equal(e.root, "/");
	assert_string_equal(e.point, "/srv/shared dir");
	assert_string_equal(e.fstype, "fuse.glusterfs");
	assert_string_equal(e.source, "10.0.0.5:/gv0");

	assert_true(mountinfo_parse(line_bind, &e));
	assert_string_equal(e.root, "/sub\\x");
	assert_string_equal(e.source, "10.0.0.5:/gv0 b");
}

static void test_refuses_non_lines(void **state)
{
	struct mountinfo_entry e;

	(void)state;
	assert_false(mountinfo_parse("", &e));
	assert_false(mountinfo_parse("55 27 0:47 / /srv rw shared:31\n", &e)); /* no " - " */
	assert_false(mountinfo_parse("x 27 0:47 / /srv rw - ext4 /dev/vda rw\n", &e));
}

static bool on_dev_47(const struct mountinfo_entry *e, void *ctx)
{
	(void)ctx;
	return e->dev == makedev(0, 47);
}

static bool never(const struct mountinfo_entry *e, void *ctx)
{
	(void)e;
	(void)ctx;
	return false;
}

/* The last match is the one found: the topmost mount. */
static void test_find_last_match(void **state)
{
	char path[] = "/tmp/test_mountinfo.XXXXXX";
	struct mountinfo_entry e;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(line_gluster, f);
	fputs("not a line\n", f);
	fputs(line_bind, f);
	fputs(line_fuse, f);
	fclose(f);

	assert_true(mountinfo_find(path, on_dev_47, NULL, &e));
	assert_int_equal(e.id, 61);
	assert_string_equal(e.point, "/mnt/sub");
	assert_false(mountinfo_find(path, never, NULL, &e));
	unlink(path);
	assert_false(mountinfo_find(path, on_dev_47, NULL, &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_fields),
		cmocka_unit_test(test_refuses_non_lines),
		cmocka_unit_test(test_find_last_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
