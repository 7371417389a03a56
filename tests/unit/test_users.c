/* SPDX-License-Identifier: MIT */
/* mapper/users.c: the accounts store and the files a node gets from it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/statefile.h"
#include "mapper/users.h"

static const char image_group[] = "root:x:0:\n"
				  "video:x:44:pi\n"
				  "audio:x:29:\n"
				  "gpio:x:997:pi\n";

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/test_users.XXXXXX", *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void write_store(const char *dir, const char *text)
{
	assert_int_equal(statefile_write(dir, USERS_FILE, text, strlen(text)), 0);
}

static void load_ok(const char *dir, struct users *u)
{
	char why[256] = "";

	assert_int_equal(users_load(dir, u, why, sizeof(why)), 0);
}

static void test_roundtrip(void **state)
{
	char *dir = tmpdir(), path[300];
	struct users u = {0}, v;
	struct user e = {.uid = 20000,
			 .hash = "$y$j9T$s$h",
			 .groups = "video,gpio",
			 .profiles = "",
			 .gecos = "Alice A"};
	struct stat st;

	(void)state;
	load_ok(dir, &u);
	assert_int_equal(u.n, 0); /* no file: no users */
	snprintf(e.name, sizeof(e.name), "alice");
	assert_int_equal(users_add(&u, &e), 0);
	assert_int_equal(users_free_uid(&u, 20000, 20001), 20001);
	assert_int_equal(users_free_uid(&u, 20000, 20000), 0);
	assert_int_equal(users_save(dir, &u), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, USERS_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	load_ok(dir, &v);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.v[0].hash, e.hash);
	assert_string_equal(v.v[0].groups, "video,gpio");
	users_remove(&v, users_find(&v, "alice"));
	assert_int_equal(v.n, 0);
	users_free(&u);
	users_free(&v);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void test_bad_lines(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{"a:1:h:::\nB:2:h:::\n", ":2: invalid user name"},
		{"a:0:h:::\n", ":1: invalid uid"},
		{"a:1:h:::\na:2:h:::\n", ":2: duplicate user"},
		{"# c\na:1:h:v,,g::\n", ":2: invalid group or profile list"},
		{"a:1:h::\n", ":1: not NAME:UID:HASH:GROUPS:PROFILES:GECOS"},
		{"a:1:h:::x:y\n", ":1: not NAME:UID:HASH:GROUPS:PROFILES:GECOS"},
	};
	char *dir = tmpdir(), path[300];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256] = "", want[400];
		struct users u;

		write_store(dir, cases[i].text);
		assert_int_equal(users_load(dir, &u, why, sizeof(why)), -EINVAL);
		snprintf(want, sizeof(want), "%s/%s%s", dir, USERS_FILE, cases[i].why);
		assert_string_equal(why, want);
		assert_int_equal(u.n, 0);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, USERS_FILE);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void test_generated(void **state)
{
	char *dir = tmpdir(), path[300], *missing = NULL, *s;
	struct users u;
	size_t len;

	(void)state;
	write_store(dir, "alice:20000:$y$a:video,gpio,nosuch,none2::Alice\n"
			 "bob:20001:$y$b:gpio,audio:lab:\n"
			 "carol:20002:!:video:other:\n");
	load_ok(dir, &u);

	s = users_gen_passwd(&u, "lab", &len);
	assert_string_equal(s, "alice:x:20000:20000:Alice:/home/shared/alice:/bin/bash\n"
			       "bob:x:20001:20001::/home/shared/bob:/bin/bash\n");
	assert_int_equal(len, strlen(s));
	free(s);
	s = users_gen_shadow(&u, "", &len);
	assert_string_equal(s, "alice:$y$a:1:0:99999:7:::\n");
	free(s);
	/* gid >= 500 only, with members of this profile; nosuch is reported. */
	s = users_gen_group(&u, "lab", image_group, strlen(image_group), &missing, &len);
	assert_string_equal(s, "alice:x:20000:\n"
			       "bob:x:20001:\n"
			       "gpio:x:997:alice,bob\n");
	assert_string_equal(missing, "nosuch,none2");
	free(s);
	free(missing);
	/* Groups below 500 go into the image's own group file. */
	s = users_gen_etc_group(&u, "lab", image_group, strlen(image_group), &len);
	assert_string_equal(s, "root:x:0:\n"
			       "video:x:44:pi,alice\n"
			       "audio:x:29:bob\n"
			       "gpio:x:997:pi\n");
	free(s);
	assert_null(users_gen_etc_group(&u, "nolow", "root:x:0:\ngpio:x:997:\n", 21, &len));
	users_free(&u);
	snprintf(path, sizeof(path), "%s/%s", dir, USERS_FILE);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(user_name_valid("alice"));
	assert_true(user_name_valid("_a-1"));
	assert_false(user_name_valid("1abc"));
	assert_false(user_name_valid("Alice"));
	assert_false(user_name_valid("a:b"));
	assert_false(user_name_valid(""));
	assert_false(user_name_valid("abcdefghijabcdefghijabcdefghijabc")); /* 33 */
	assert_true(user_list_valid(""));
	assert_true(user_list_valid("video,gpio"));
	assert_false(user_list_valid(",video"));
	assert_false(user_list_valid("video,"));
	assert_false(user_gecos_valid("a:b"));
	assert_false(user_gecos_valid("a,b"));
	assert_false(user_gecos_valid("a\nb"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
