/* SPDX-License-Identifier: MIT */
/* mapper/escape.c: each format's escaping, byte for byte, and its refusals. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mapper/escape.h"

/* Every hostile character the issue names, in one path. */
#define HOSTILE "/srv/a b\"c\\d\ne*(rw)#f%g,h;i$j\tk'l"

static void expect(enum esc_format f, const char *in, const char *want)
{
	char *got = esc_str(f, in);

	assert_null(esc_why(f, in));
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void refused(enum esc_format f, const char *in, const char *why)
{
	char buf[64] = "untouched";
	FILE *m = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(m);
	assert_string_equal(esc_why(f, in), why);
	assert_int_equal(esc_print(m, f, in), -EINVAL);
	fclose(m);
	assert_string_equal(buf, "untouched"); /* nothing written */
	errno = 0;
	assert_null(esc_str(f, in));
	assert_int_equal(errno, EINVAL);
}

static void test_exports(void **state)
{
	(void)state;
	expect(ESC_EXPORTS, "/srv/nfsroot/rpi-01", "/srv/nfsroot/rpi-01");
	/* putexportent()'s set: controls, white space, '"', '\\', '#'. */
	expect(ESC_EXPORTS, HOSTILE, "/srv/a\\040b\\042c\\134d\\012e*(rw)\\043f%g,h;i$j\\011k'l");
	expect(ESC_EXPORTS, "/a\x01\x7f\xc3\xa9", "/a\\001\\177\xc3\xa9");
	/* fstab (the homes line of netbootctl user): libmount reads \ooo. */
	expect(ESC_FSTAB, HOSTILE, "/srv/a\\040b\\042c\\134d\\012e*(rw)\\043f%g,h;i$j\\011k'l");
}

static void test_ganesha(void **state)
{
	(void)state;
	expect(ESC_GANESHA, "/srv/nfsroot/rpi-01", "\"/srv/nfsroot/rpi-01\"");
	expect(ESC_GANESHA, HOSTILE, "\"/srv/a b\\\"c\\\\d\\ne*(rw)#f%g,h;i$j\\tk'l\"");
	expect(ESC_GANESHA, "/a\rb\x01", "\"/a\\rb\x01\"");
}

static void test_systemd(void **state)
{
	(void)state;
	expect(ESC_SYSTEMD_ARG, "/etc/netbootfs/netbootfs.ini", "/etc/netbootfs/netbootfs.ini");
	expect(ESC_SYSTEMD_ARG, "/a%b$c", "\"/a%%b$$c\"");
	expect(ESC_SYSTEMD_ARG, HOSTILE, "\"/srv/a b\\\"c\\\\d\\x0ae*(rw)#f%%g,h;i$$j\\x09k'l\"");
	/* Environment= expands specifiers but no variables; the caller quotes. */
	expect(ESC_SYSTEMD_ENV, HOSTILE, "/srv/a b\\\"c\\\\d\\x0ae*(rw)#f%%g,h;i$j\\x09k'l");
	expect(ESC_SYSTEMD_ENV, "/etc/x.ini", "/etc/x.ini");
}

static void test_dnsmasq(void **state)
{
	char long_path[1002];

	(void)state;
	expect(ESC_DNSMASQ, "/srv/tftpboot", "/srv/tftpboot");
	expect(ESC_DNSMASQ, "eth0", "eth0");
	expect(ESC_DNSMASQ, HOSTILE, "\"/srv/a b\\\"c\\\\d\\ne*(rw)#f%g,h;i$j\\tk'l\"");
	expect(ESC_DNSMASQ, "/a\b\x1b\r\x7f", "\"/a\\b\\e\\r\x7f\"");
	/* Other controls come out of dnsmasq as other characters. */
	refused(ESC_DNSMASQ, "/a\x01", "a control character");
	refused(ESC_DNSMASQ, "/a\x0b", "a control character");
	/* A line of 1024 bytes is cut in two by dnsmasq. */
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[1000] = '\0';
	expect(ESC_DNSMASQ, long_path, long_path);
	long_path[1000] = 'a';
	long_path[1001] = '\0';
	refused(ESC_DNSMASQ, long_path, "a value of more than 1000 bytes");
	long_path[998] = '\0';
	long_path[10] = ' '; /* 998 bytes + 2 quotes is still fine, + 1 escape is not */
	assert_null(esc_why(ESC_DNSMASQ, long_path));
	long_path[11] = '"';
	refused(ESC_DNSMASQ, long_path, "a value of more than 1000 bytes");
}

static void test_cmdline_path(void **state)
{
	(void)state;
	expect(ESC_CMDLINE_PATH, "/srv/nfsroot/rpi-01", "/srv/nfsroot/rpi-01");
	expect(ESC_CMDLINE_PATH, "/srv/n#s*(rw)\\b'{x};$", "/srv/n#s*(rw)\\b'{x};$");
	refused(ESC_CMDLINE_PATH, "/srv/nfs *(rw)", "a space");
	refused(ESC_CMDLINE_PATH, "/srv/a\tb", "a tab");
	refused(ESC_CMDLINE_PATH, "/srv/a\nb", "a newline");
	refused(ESC_CMDLINE_PATH, "/srv/a\rb", "a control character");
	refused(ESC_CMDLINE_PATH, "/srv/\"a\"", "a double quote");
	refused(ESC_CMDLINE_PATH, "/srv/a,vers=4", "a comma");
	refused(ESC_CMDLINE_PATH, "/srv/%s", "a percent sign");
}

static void test_cmdline_words(void **state)
{
	(void)state;
	expect(ESC_CMDLINE, "quiet \"a b\"\tx=#", "quiet \"a b\"\tx=#");
	refused(ESC_CMDLINE, "quiet\ninit=/bin/sh", "a newline");
	refused(ESC_CMDLINE, "quiet\x01", "a control character");
}

static void test_comment(void **state)
{
	(void)state;
	expect(ESC_COMMENT, "/etc/netbootfs/netbootfs.ini", "/etc/netbootfs/netbootfs.ini");
	expect(ESC_COMMENT, "/tmp/x\n/ *(rw)\r", "/tmp/x\\x0a/ *(rw)\\x0d");
}

static void test_format_names(void **state)
{
	(void)state;
	assert_string_equal(esc_format_name(ESC_EXPORTS), "/etc/exports");
	assert_string_equal(esc_format_name(ESC_GANESHA), "a Ganesha config");
	assert_string_equal(esc_format_name(ESC_SYSTEMD_ARG), "a systemd unit");
	assert_string_equal(esc_format_name(ESC_DNSMASQ), "a dnsmasq config");
	assert_string_equal(esc_format_name(ESC_CMDLINE_PATH), "a kernel command line (nfsroot=)");
	assert_string_equal(esc_format_name(ESC_CMDLINE), "a kernel command line");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exports),	     cmocka_unit_test(test_ganesha),
		cmocka_unit_test(test_systemd),	     cmocka_unit_test(test_dnsmasq),
		cmocka_unit_test(test_cmdline_path), cmocka_unit_test(test_cmdline_words),
		cmocka_unit_test(test_comment),	     cmocka_unit_test(test_format_names),
	};

	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
