/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fusefs/tftp/cmdline.h"

static void check(const char *image, const char *extra, const char *expected)
{
	char *got =
		cmdline_render(image, strlen(image), "10.0.0.1", "/srv/nfsroot", "rpi-01", extra);

	assert_non_null(got);
	assert_string_equal(got, expected);
	free(got);
}

static void test_raspios_cmdline(void **state)
{
	(void)state;
	check("console=serial0,115200 console=tty1 root=PARTUUID=abcd-02 rootfstype=ext4 "
	      "fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n",
	      "quiet splash",
	      "console=serial0,115200 console=tty1 quiet root=/dev/nfs "
	      "nfsroot=10.0.0.1:/srv/nfsroot/rpi-01,vers=3,tcp rw ip=dhcp rootwait quiet splash\n");
}

static void test_resize_and_ro_dropped(void **state)
{
	(void)state;
	check("ro resize  root=/dev/mmcblk0p2\tip=1.2.3.4 nfsroot=x:/y keep=1", "",
	      "keep=1 root=/dev/nfs nfsroot=10.0.0.1:/srv/nfsroot/rpi-01,vers=3,tcp rw ip=dhcp "
	      "rootwait\n");
}

static void test_empty_image_cmdline(void **state)
{
	(void)state;
	check("", NULL,
	      "root=/dev/nfs nfsroot=10.0.0.1:/srv/nfsroot/rpi-01,vers=3,tcp rw ip=dhcp "
	      "rootwait\n");
}

static void test_words_with_prefix_kept(void **state)
{
	(void)state;
	/* "rootdelay=" is not "root=", "resizer" is not "resize". */
	check("rootdelay=5 resizer", "",
	      "rootdelay=5 resizer root=/dev/nfs nfsroot=10.0.0.1:/srv/nfsroot/rpi-01,vers=3,"
	      "tcp rw ip=dhcp rootwait\n");
}

/* A value that would add or change words is never written. */
static void test_injection_refused(void **state)
{
	static const char *const roots[] = {"/srv/nfs root", "/srv/nfs\tx", "/srv/a,vers=4",
					    "/srv/%s",	     "/srv/\"x\"",  "/srv/a\nb"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		errno = 0;
		assert_null(cmdline_render("", 0, "10.0.0.1", roots[i], "rpi-01", ""));
		assert_int_equal(errno, EINVAL);
	}
	assert_null(cmdline_render("", 0, "10.0.0.1", "/srv/nfs", "rpi 01", ""));
	assert_null(cmdline_render("", 0, "10.0.0.1", "/srv/nfs", "rpi-01", "quiet\ninit=/x"));
	/* Quotes and tabs in the node's own words are the admin's to give. */
	check("", "quiet \"a b\"\tx",
	      "root=/dev/nfs nfsroot=10.0.0.1:/srv/nfsroot/rpi-01,vers=3,tcp rw ip=dhcp "
	      "rootwait quiet \"a b\"\tx\n");
	check("", "x=#\\'*(rw)",
	      "root=/dev/nfs nfsroot=10.0.0.1:/srv/nfsroot/rpi-01,vers=3,tcp rw ip=dhcp "
	      "rootwait x=#\\'*(rw)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raspios_cmdline),
		cmocka_unit_test(test_resize_and_ro_dropped),
		cmocka_unit_test(test_empty_image_cmdline),
		cmocka_unit_test(test_words_with_prefix_kept),
		cmocka_unit_test(test_injection_refused),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
