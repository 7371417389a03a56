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
#include "fusefs/tftp/pxe.h"

/* The script a PXE node gets, from the cmdline a Pi would get. */
static void test_script(void **state)
{
	char *line = cmdline_render("", 0, "10.0.0.1", "/srv/nfsroot", "pc-01", "console=ttyS0");
	char *s = pxe_script_render(line);

	(void)state;
	assert_non_null(s);
	assert_string_equal(s, "#!ipxe\n"
			       "kernel vmlinuz initrd=initrd.img root=/dev/nfs "
			       "nfsroot=10.0.0.1:/srv/nfsroot/pc-01,vers=3,tcp rw ip=dhcp rootwait "
			       "console=ttyS0\n"
			       "initrd initrd.img\n"
			       "boot\n");
	free(s);
	free(line);
}

static void test_script_refuses_expansion(void **state)
{
	(void)state;
	errno = 0;
	assert_null(pxe_script_render("root=/dev/nfs x=${mac}\n"));
	assert_int_equal(errno, EINVAL);
	assert_null(pxe_script_render("a\nboot\n")); /* a second line: a command */
	assert_int_equal(errno, EINVAL);
}

static void test_pick(void **state)
{
	static const char *const names[] = {
		"config-6.1.0-9-amd64",
		"vmlinuz-6.1.0-9-amd64",
		"vmlinuz-6.1.0-10-amd64",
		"initrd.img-6.1.0-9-amd64",
		"initrd.img-6.1.0-10-amd64",
		"System.map-6.1.0-10-amd64",
		"vmlinuz-",
		"initrd.img-6.1.0-11-amd64",
	};
	static const char *const no_initrd[] = {"vmlinuz-6.1.0-10-amd64",
						"initrd.img-6.1.0-9-amd64"};
	size_t n = sizeof(names) / sizeof(names[0]);

	(void)state;
	/* 10 is newer than 9 (version order, not byte order); an initrd
	 * without its kernel is never picked. */
	assert_string_equal(pxe_pick("vmlinuz", names, n), "vmlinuz-6.1.0-10-amd64");
	assert_string_equal(pxe_pick("initrd.img", names, n), "initrd.img-6.1.0-10-amd64");
	assert_null(pxe_pick("initrd.img", no_initrd, 2));
	assert_null(pxe_pick("config", names, n));
	assert_null(pxe_pick("vmlinuz", names, 0));
}

static void test_loaders(void **state)
{
	(void)state;
	assert_int_equal(pxe_loader_index("undionly.kpxe"), 0);
	assert_string_equal(pxe_loader_name((unsigned)pxe_loader_index("ipxe.efi")), "ipxe.efi");
	assert_string_equal(pxe_loader_name((unsigned)pxe_loader_index("snponly.efi")),
			    "snponly.efi");
	assert_int_equal(pxe_loader_index("bootcode.bin"), -1);
	assert_int_equal(pxe_loader_index("../ipxe.efi"), -1);
	assert_null(pxe_loader_name(PXE_N_LOADERS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_script_refuses_expansion),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_loaders),
	};

	return cmocka_run_group_tests_name("pxe", tests, NULL, NULL);
}
