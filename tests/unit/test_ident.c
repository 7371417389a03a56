/* SPDX-License-Identifier: MIT */
/* Serial, MAC and node-name rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "mapper/ident.h"

static void serial_ok(const char *in, const char *want)
{
	char out[9];

	memset(out, 'X', sizeof(out));
	assert_int_equal(ident_normalize_serial(in, out), 0);
	assert_string_equal(out, want);
}

static void serial_bad(const char *in)
{
	char out[9];

	assert_int_equal(ident_normalize_serial(in, out), -EINVAL);
}

static void test_serial(void **state)
{
	(void)state;
	serial_ok("1a2b3c4d", "1a2b3c4d");
	serial_ok("1A2B3C4D", "1a2b3c4d");
	serial_ok("0x1a2b3c4d", "1a2b3c4d");
	serial_ok("0X00000abc", "00000abc");
	serial_ok("100000001a2b3c4d", "1a2b3c4d");
	serial_ok("0x10000000B66C4C16", "b66c4c16");
	serial_ok("00000000deadbeef", "deadbeef");
	serial_bad("");
	serial_bad("0x");
	serial_bad("1a2b3c4");
	serial_bad("1a2b3c4d5");
	serial_bad("1a2b3c4g");
	serial_bad("100000001a2b3c4");
	serial_bad("100000001a2b3c4d0");
	serial_bad(" 1a2b3c4d");
	serial_bad("1a2b-3c4d");
	serial_bad("0x0x1a2b3c4d");
	serial_bad(NULL);
}

static void mac_ok(const char *in, const char *want)
{
	char out[18];

	memset(out, 'X', sizeof(out));
	assert_int_equal(ident_normalize_mac(in, out), 0);
	assert_string_equal(out, want);
}

static void mac_bad(const char *in)
{
	char out[18];

	assert_int_equal(ident_normalize_mac(in, out), -EINVAL);
}

static void test_mac(void **state)
{
	(void)state;
	mac_ok("dc:a6:32:12:34:56", "dc-a6-32-12-34-56");
	mac_ok("DC:A6:32:12:34:56", "dc-a6-32-12-34-56");
	mac_ok("dc-a6-32-12-34-56", "dc-a6-32-12-34-56");
	mac_ok("Dc-A6:32-aB:34:5F", "dc-a6-32-ab-34-5f");
	mac_bad("");
	mac_bad("dc:a6:32:12:34");
	mac_bad("dc:a6:32:12:34:56:78");
	mac_bad("dca632123456");
	mac_bad("dc.a6.32.12.34.56");
	mac_bad("dc:a6:32:12:34:5g");
	mac_bad("d:ca6:32:12:34:56");
	mac_bad("dc:a6:32:12:34:56 ");
	mac_bad(NULL);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(ident_is_serial_name("1a2b3c4d"));
	assert_true(ident_is_serial_name("00000000"));
	assert_false(ident_is_serial_name("1A2B3C4D"));
	assert_false(ident_is_serial_name("1a2b3c4"));
	assert_false(ident_is_serial_name("1a2b3c4d0"));
	assert_false(ident_is_serial_name("bootcode"));
	assert_false(ident_is_serial_name(""));

	assert_true(ident_is_mac_name("dc-a6-32-12-34-56"));
	assert_false(ident_is_mac_name("dc:a6:32:12:34:56"));
	assert_false(ident_is_mac_name("DC-A6-32-12-34-56"));
	assert_false(ident_is_mac_name("dc-a6-32-12-34-5"));
	assert_false(ident_is_mac_name("dc-a6-32-12-34-567"));
	assert_false(ident_is_mac_name(""));
}

static void test_node_name(void **state)
{
	char name[80];

	(void)state;
	assert_true(ident_valid_node_name("rpi-01"));
	assert_true(ident_valid_node_name("a"));
	assert_true(ident_valid_node_name("0"));
	assert_true(ident_valid_node_name("9lives"));
	assert_true(ident_valid_node_name("a-"));
	assert_false(ident_valid_node_name(""));
	assert_false(ident_valid_node_name(NULL));
	assert_false(ident_valid_node_name("-a"));
	assert_false(ident_valid_node_name("Bad_Name"));
	assert_false(ident_valid_node_name("RPI"));
	assert_false(ident_valid_node_name("a_b"));
	assert_false(ident_valid_node_name("a.b"));
	assert_false(ident_valid_node_name("a b"));
	assert_false(ident_valid_node_name("a/b"));

	memset(name, 'a', 63);
	name[63] = '\0';
	assert_true(ident_valid_node_name(name));
	name[63] = 'a';
	name[64] = '\0';
	assert_false(ident_valid_node_name(name));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_node_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
