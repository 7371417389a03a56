/* SPDX-License-Identifier: MIT */
/* ctl/ini_edit: every edit changes only its own lines, byte for byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/ini_edit.h"

/* Apply @edit to @in and compare the whole text with @want. */
typedef int (*edit_fn)(struct ini_doc *d);

static void expect_edit(const char *in, edit_fn edit, int want_rc, const char *want)
{
	struct ini_doc *d = NULL;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(ini_doc_parse(in, strlen(in), &d), 0);
	assert_int_equal(edit(d), want_rc);
	assert_int_equal(ini_doc_render(d, &out, &len), 0);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
	ini_doc_free(d);
}

static int no_edit(struct ini_doc *d)
{
	(void)d;
	return 0;
}

static const char conf[] = "; netbootfs\n"
			   "\n"
			   "[server]\n"
			   "address   = 10.0.0.1      ; NFS server\n"
			   "\n"
			   "# the first Pi\n"
			   "[node:a]                  ; lab\n"
			   "  serial  = 1a2b3c4d      ; on the label\n"
			   "  mac     = dc:a6:32:00:00:01\n"
			   "\n"
			   "; the second Pi\n"
			   "[node:b]\n"
			   "serial=2b3c4d5e\n";

static void test_round_trip(void **state)
{
	(void)state;
	expect_edit(conf, no_edit, 0, conf);
	expect_edit("a\r\nb\r\nc", no_edit, 0, "a\r\nb\r\nc");
	expect_edit("", no_edit, 0, "");
	expect_edit("\xef\xbb\xbf[server]\n", no_edit, 0, "\xef\xbb\xbf[server]\n");
}

static int set_serial(struct ini_doc *d)
{
	return ini_key_set(d, "node:a", "serial", "0badcafe");
}

static int set_mac_long(struct ini_doc *d)
{
	return ini_key_set(d, "node:a", "mac", "dc-a6-32-00-00-02");
}

static int set_address_long(struct ini_doc *d)
{
	return ini_key_set(d, "server", "address", "192.168.100.200");
}

/* In place: indentation, spacing and the trailing comment (in its column) stay. */
static void test_set_in_place(void **state)
{
	(void)state;
	expect_edit(
		conf, set_serial, 0,
		"; netbootfs\n\n[server]\naddress   = 10.0.0.1      ; NFS server\n\n"
		"# the first Pi\n[node:a]                  ; lab\n"
		"  serial  = 0badcafe      ; on the label\n"
		"  mac     = dc:a6:32:00:00:01\n\n; the second Pi\n[node:b]\nserial=2b3c4d5e\n");
	expect_edit(
		conf, set_mac_long, 0,
		"; netbootfs\n\n[server]\naddress   = 10.0.0.1      ; NFS server\n\n"
		"# the first Pi\n[node:a]                  ; lab\n"
		"  serial  = 1a2b3c4d      ; on the label\n"
		"  mac     = dc-a6-32-00-00-02\n\n; the second Pi\n[node:b]\nserial=2b3c4d5e\n");
	/* Too long for the padding: one space before the comment. */
	expect_edit("[server]\naddress   = 10.0.0.1      ; NFS server\n", set_address_long, 0,
		    "[server]\naddress   = 192.168.100.200 ; NFS server\n");
}

static int set_empty_old(struct ini_doc *d)
{
	return ini_key_set(d, "server", "interface", "eth0");
}

/* A key that had no value gets one after "= ", its comment stays put. */
static void test_set_empty_value(void **state)
{
	(void)state;
	expect_edit("[server]\ninterface =             ; empty: all\n", set_empty_old, 0,
		    "[server]\ninterface = eth0        ; empty: all\n");
	expect_edit("[server]\ninterface=\n", set_empty_old, 0, "[server]\ninterface=eth0\n");
}

static int add_ip_a(struct ini_doc *d)
{
	return ini_key_set(d, "node:a", "ip", "10.0.0.51");
}

static int add_ip_b(struct ini_doc *d)
{
	return ini_key_set(d, "node:b", "ip", "10.0.0.52");
}

/* A new key goes after the section's last key, shaped like it. */
static void test_add_key(void **state)
{
	(void)state;
	expect_edit(conf, add_ip_a, 0,
		    "; netbootfs\n\n[server]\naddress   = 10.0.0.1      ; NFS server\n\n"
		    "# the first Pi\n[node:a]                  ; lab\n"
		    "  serial  = 1a2b3c4d      ; on the label\n"
		    "  mac     = dc:a6:32:00:00:01\n"
		    "  ip      = 10.0.0.51\n"
		    "\n; the second Pi\n[node:b]\nserial=2b3c4d5e\n");
	expect_edit(conf, add_ip_b, 0,
		    "; netbootfs\n\n[server]\naddress   = 10.0.0.1      ; NFS server\n\n"
		    "# the first Pi\n[node:a]                  ; lab\n"
		    "  serial  = 1a2b3c4d      ; on the label\n"
		    "  mac     = dc:a6:32:00:00:01\n\n; the second Pi\n[node:b]\nserial=2b3c4d5e\n"
		    "ip=10.0.0.52\n");
	/* A section without keys: right after its header. */
	expect_edit("[node:b]\n\n[node:c]\n", add_ip_b, 0,
		    "[node:b]\nip = 10.0.0.52\n\n[node:c]\n");
}

static int remove_mac(struct ini_doc *d)
{
	return ini_key_set(d, "node:a", "mac", "");
}

static int remove_absent(struct ini_doc *d)
{
	return ini_key_set(d, "node:b", "mac", "");
}

static int set_in_missing(struct ini_doc *d)
{
	return ini_key_set(d, "node:zz", "mac", "x");
}

static void test_remove_key(void **state)
{
	(void)state;
	expect_edit(conf, remove_mac, 0,
		    "; netbootfs\n\n[server]\naddress   = 10.0.0.1      ; NFS server\n\n"
		    "# the first Pi\n[node:a]                  ; lab\n"
		    "  serial  = 1a2b3c4d      ; on the label\n"
		    "\n; the second Pi\n[node:b]\nserial=2b3c4d5e\n");
	expect_edit(conf, remove_absent, 0, conf);
	expect_edit(conf, set_in_missing, -ENOENT, conf);
}

static int add_c(struct ini_doc *d)
{
	int rc = ini_section_add(d, "node:c");

	return rc ? rc : ini_key_set(d, "node:c", "serial", "3c4d5e6f");
}

/* A new section goes at the end after one blank line. */
static void test_add_section(void **state)
{
	(void)state;
	expect_edit(conf, add_c, 0,
		    "; netbootfs\n\n[server]\naddress   = 10.0.0.1      ; NFS server\n\n"
		    "# the first Pi\n[node:a]                  ; lab\n"
		    "  serial  = 1a2b3c4d      ; on the label\n"
		    "  mac     = dc:a6:32:00:00:01\n\n; the second Pi\n[node:b]\nserial=2b3c4d5e\n"
		    "\n[node:c]\nserial = 3c4d5e6f\n");
	/* Already ends with a blank line: no second one. */
	expect_edit("[server]\n\n", add_c, 0, "[server]\n\n[node:c]\nserial = 3c4d5e6f\n");
	expect_edit("", add_c, 0, "[node:c]\nserial = 3c4d5e6f\n");
}

/* CRLF files get CRLF lines; a file without a final newline keeps lacking one. */
static void test_crlf_no_final_newline(void **state)
{
	(void)state;
	expect_edit("[server]\r\n\r\n[node:b]\r\nserial=2b3c4d5e", add_c, 0,
		    "[server]\r\n\r\n[node:b]\r\nserial=2b3c4d5e\r\n\r\n[node:c]\r\n"
		    "serial = 3c4d5e6f");
	expect_edit("[node:b]\r\nserial=2b3c4d5e", add_ip_b, 0,
		    "[node:b]\r\nserial=2b3c4d5e\r\nip=10.0.0.52");
	expect_edit("[node:a]\r\n  serial  = 1a2b3c4d      ; x\r\n", set_serial, 0,
		    "[node:a]\r\n  serial  = 0badcafe      ; x\r\n");
}

static int rm_a(struct ini_doc *d)
{
	return ini_section_remove(d, "node:a");
}

static int rm_b(struct ini_doc *d)
{
	return ini_section_remove(d, "node:b");
}

/*
 * Removing a section takes the comments directly above its header and leaves
 * those directly above the next header; the last section takes the blank
 * lines before it too.
 */
static void test_remove_section(void **state)
{
	(void)state;
	expect_edit(conf, rm_a, 0,
		    "; netbootfs\n\n[server]\naddress   = 10.0.0.1      ; NFS server\n\n"
		    "; the second Pi\n[node:b]\nserial=2b3c4d5e\n");
	expect_edit(conf, rm_b, 0,
		    "; netbootfs\n\n[server]\naddress   = 10.0.0.1      ; NFS server\n\n"
		    "# the first Pi\n[node:a]                  ; lab\n"
		    "  serial  = 1a2b3c4d      ; on the label\n"
		    "  mac     = dc:a6:32:00:00:01\n");
	/* Without a final newline the new last line has none either. */
	expect_edit("[server]\r\n\r\n[node:b]\r\nserial=2b3c4d5e", rm_b, 0, "[server]");
	/* A comment separated by a blank line is about something else: it stays. */
	expect_edit("[server]\n# all nodes\n\n[node:a]\nip=1.2.3.4\n\n[node:b]\n", rm_a, 0,
		    "[server]\n# all nodes\n\n[node:b]\n");
	expect_edit(conf, set_in_missing, -ENOENT, conf);
	expect_edit("[node:bb]\n", rm_b, -ENOENT, "[node:bb]\n");
}

static void test_sections_and_values(void **state)
{
	struct ini_doc *d;

	(void)state;
	assert_int_equal(ini_doc_parse(conf, strlen(conf), &d), 0);
	assert_true(ini_has_section(d, "node:a"));
	assert_true(ini_has_section(d, "server"));
	assert_false(ini_has_section(d, "node:c"));
	assert_false(ini_has_section(d, "node"));
	assert_int_equal(ini_section_line(d, "server"), 3);
	assert_int_equal(ini_section_line(d, "node:b"), 12);
	assert_int_equal(ini_section_line(d, "node:c"), 0);
	ini_doc_free(d);

	assert_true(ini_value_writable("quiet cma=512M"));
	assert_true(ini_value_writable(""));
	assert_false(ini_value_writable("a;b"));
	assert_false(ini_value_writable("a\nb"));
	assert_false(ini_value_writable("a\r"));
	assert_false(ini_value_writable(" a"));
	assert_false(ini_value_writable("a\t"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_set_in_place),
		cmocka_unit_test(test_set_empty_value),
		cmocka_unit_test(test_add_key),
		cmocka_unit_test(test_remove_key),
		cmocka_unit_test(test_add_section),
		cmocka_unit_test(test_crlf_no_final_newline),
		cmocka_unit_test(test_remove_section),
		cmocka_unit_test(test_sections_and_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
