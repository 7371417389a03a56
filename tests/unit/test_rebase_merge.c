// SPDX-License-Identifier: MIT
/* The merges of a rebase (fusefs/root/rebase_merge.c), with the real diff3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fusefs/root/rebase_merge.h"

static struct rbuf B(const char *s) {
	return (struct rbuf){(char *)s, strlen(s)};
}

static void
expect_userdb(const char *base, const char *node, const char *image, const char *want)
{
	struct rbuf b = B(base), n = B(node), i = B(image), out = {0};

	assert_int_equal(merge_userdb(&b, &n, &i, &out), 0);
	assert_string_equal(out.p, want);
	rbuf_free(&out);
}

static void test_userdb_rules(void **state)
{
	(void)state;
	/* Added by either side: both survive, the node's after the image's. */
	expect_userdb("root:x:0:\n", "root:x:0:\nalice:x:1001:\n", "root:x:0:\n_svc:x:998:\n",
		      "root:x:0:\n_svc:x:998:\nalice:x:1001:\n");
	/* Changed by the node alone: the node's entry. */
	expect_userdb("root:*:1::\nd:*:1::\n", "root:HASH:2::\nd:*:1::\n", "root:*:1::\nd:*:1::\n",
		      "root:HASH:2::\nd:*:1::\n");
	/* Changed by both: the image's entry. */
	expect_userdb("root:*:1::\n", "root:HASH:2::\n", "root:!:3::\n", "root:!:3::\n");
	/* Deleted by the node alone: gone; deleted by the image: gone. */
	expect_userdb("a:1\nb:2\n", "b:2\n", "a:1\nb:2\n", "b:2\n");
	expect_userdb("a:1\nb:2\n", "a:1\nb:2\n", "b:2\n", "b:2\n");
	/* Added by both under one name: the image's; a missing last newline. */
	expect_userdb("", "x:node", "x:image\n", "x:image\n");
	expect_userdb("", "", "", "");
}

static void test_userdb_align(void **state)
{
	struct rbuf shadow = {strdup("root:*::\ngone:*::\n"), 18};
	struct rbuf names = B("root:x:0:0::/:/bin/sh\nalice:x:1:1::/:/bin/sh\n_svc:x:2:2::/:/x\n");
	struct rbuf node_sh = B("alice:HASH::\n"), image_sh = B("_svc:!::\nalice:other::\n");

	(void)state;
	assert_int_equal(userdb_align(&shadow, &names, &node_sh, &image_sh), 0);
	assert_string_equal(shadow.p, "root:*::\nalice:HASH::\n_svc:!::\n");
	rbuf_free(&shadow);
}

static void test_text3(void **state)
{
	struct rbuf base = B("a\nb\nc\nd\ne\nf\ng\n"), node = B("a\nB-node\nc\nd\ne\nf\ng\n");
	struct rbuf image = B("a\nb\nc\nd\ne\nf\nG-image\n"),
		    clash = B("a\nB-image\nc\nd\ne\nf\ng\n");
	struct rbuf out = {0};
	char dir[] = "/tmp/test_rebase_merge.XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(merge_text3(dir, &base, &node, &image, &out), 0);
	assert_string_equal(out.p, "a\nB-node\nc\nd\ne\nf\nG-image\n");
	rbuf_free(&out);
	assert_int_equal(merge_text3(dir, &base, &node, &clash, &out), 1);
	assert_null(out.p);
	/* Nothing changed on one side: the other side, byte for byte. */
	assert_int_equal(merge_text3(dir, &base, &base, &image, &out), 0);
	assert_true(rbuf_eq(&out, &image));
	rbuf_free(&out);
	assert_false(rbuf_is_text(&(struct rbuf){"a\0b", 3}));
	for (const char *f = "node\0base\0image\0"; *f; f += strlen(f) + 1) {
		char p[64];

		snprintf(p, sizeof(p), "%s/%s", dir, f);
		unlink(p);
	}
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_userdb_rules),
		cmocka_unit_test(test_userdb_align),
		cmocka_unit_test(test_text3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
