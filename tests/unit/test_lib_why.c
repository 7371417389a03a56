/* SPDX-License-Identifier: MIT */
/* lib/why: one-line reasons into a caller's buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/why.h"

static void test_formats(void **state)
{
	char why[64];

	(void)state;
	why_set(why, sizeof(why), "%s: %d", "images", 42);
	assert_string_equal(why, "images: 42");
}

static void test_truncates(void **state)
{
	char why[8] = "xxxxxxx";

	(void)state;
	why_set(why, 5, "%s", "abcdefgh");
	assert_string_equal(why, "abcd");
	assert_int_equal(why[6], 'x'); /* nothing past @whylen */
}

static void test_no_buffer(void **state)
{
	char why[4] = "abc";

	(void)state;
	why_set(NULL, 10, "%s", "ignored");
	why_set(why, 0, "%s", "ignored");
	assert_string_equal(why, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_truncates),
		cmocka_unit_test(test_no_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
