/* SPDX-License-Identifier: MIT */
/*
 * image_install / image_rollback / image_history: the current image is
 * replaced only by a validated copy, old ones are kept (and pruned) under
 * .history/, rollback restores the newest one and can itself be undone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "images/images.h"
#include "tests/unit/image_fixture.h"

#define NSRC 4

struct fx {
	char *dir;
	char *images;
	char *src[NSRC]; /* built with mkfs times T0 + 100 * i */
	char *bad;
};

#define T0 1700000000L

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = fx_tmpdir();
	f->images = fx_path(f->dir, "images");
	mkdir(f->images, 0755);
	for (int i = 0; i < NSRC; i++) {
		char name[32], stamp[32];
		char *tree;

		snprintf(name, sizeof(name), "tree%d", i);
		tree = fx_path(f->dir, name);
		fx_mkdirs(tree, "boot");
		free(fx_write(tree, "boot/kernel.img", 100000 + 1000 * (size_t)i, (uint64_t)i));
		snprintf(name, sizeof(name), "src%d.sqfs", i);
		f->src[i] = fx_path(f->dir, name);
		snprintf(stamp, sizeof(stamp), "%ld", T0 + 100L * i);
		assert_int_equal(fx_mksquashfs(tree, f->src[i], "-mkfs-time", stamp, NULL), 0);
		free(tree);
	}
	f->bad = fx_path(f->dir, "bad.sqfs");
	{
		size_t len;
		unsigned char *b = fx_slurp(f->src[0], &len);

		b[0] = 'X';
		fx_spit(f->bad, b, len);
		free(b);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_rm_rf(f->dir);
	free(f->dir);
	free(f->images);
	for (int i = 0; i < NSRC; i++)
		free(f->src[i]);
	free(f->bad);
	free(f);
	return 0;
}

static bool same_file(const char *a, const char *b)
{
	size_t la, lb;
	unsigned char *x = fx_slurp(a, &la), *y = fx_slurp(b, &lb);
	bool same = x && y && la == lb && !memcmp(x, y, la);

	free(x);
	free(y);
	return same;
}

static char *current(struct fx *f)
{
	return fx_path(f->images, "os.sqfs");
}

/* Only os.sqfs and .history may be in <images>: no temporaries left. */
static void assert_no_temps(struct fx *f)
{
	DIR *d = opendir(f->images);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strcmp(de->d_name, "os.sqfs") && strcmp(de->d_name, ".history"))
			fail_msg("unexpected file %s", de->d_name);
	}
	closedir(d);
}

static char *hist(struct fx *f, const char *file)
{
	char *s;

	if (asprintf(&s, "%s/.history/%s", f->images, file) < 0)
		abort();
	return s;
}

static void assert_history(struct fx *f, size_t n, const char *const *files, const int *src_index)
{
	struct image_history_entry *h;
	size_t count;

	assert_int_equal(image_history(f->images, "os", &h, &count), 0);
	assert_int_equal(count, n);
	for (size_t i = 0; i < n; i++) {
		char *p = hist(f, files[i]);
		struct stat st;

		assert_string_equal(h[i].file, files[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(h[i].size, st.st_size);
		assert_int_equal(h[i].mtime, st.st_mtim.tv_sec);
		assert_true(same_file(p, f->src[src_index[i]]));
		free(p);
	}
	free(h);
}

static void test_install_history_rollback(void **state)
{
	struct fx *f = *state;
	char *cur = current(f);
	char why[256];

	/* first install: nothing to keep */
	assert_int_equal(image_install(f->images, f->src[0], "os", 2, why, sizeof(why)), 0);
	assert_true(same_file(cur, f->src[0]));
	assert_history(f, 0, NULL, NULL);
	assert_no_temps(f);

	/* an invalid file is refused and changes nothing */
	assert_int_equal(image_install(f->images, f->bad, "os", 2, why, sizeof(why)), -EINVAL);
	assert_memory_equal(why, "bad magic 0x", 12);
	assert_true(same_file(cur, f->src[0]));
	assert_no_temps(f);

	/* each install keeps the replaced image under its mkfs time (UTC) */
	assert_int_equal(image_install(f->images, f->src[1], "os", 2, why, sizeof(why)), 0);
	assert_true(same_file(cur, f->src[1]));
	{
		const char *files[] = {"os.20231114T221320Z.sqfs"};
		const int idx[] = {0};

		assert_history(f, 1, files, idx);
	}
	assert_int_equal(image_install(f->images, f->src[2], "os", 2, why, sizeof(why)), 0);
	assert_int_equal(image_install(f->images, f->src[3], "os", 2, why, sizeof(why)), 0);
	assert_true(same_file(cur, f->src[3]));
	{
		/* only the newest two stay */
		const char *files[] = {"os.20231114T221640Z.sqfs", "os.20231114T221500Z.sqfs"};
		const int idx[] = {2, 1};

		assert_history(f, 2, files, idx);
	}
	assert_no_temps(f);

	/* rollback: newest history entry back, the current one into history */
	assert_int_equal(image_rollback(f->images, "os", 2, why, sizeof(why)), 0);
	assert_true(same_file(cur, f->src[2]));
	{
		const char *files[] = {"os.20231114T221820Z.sqfs", "os.20231114T221500Z.sqfs"};
		const int idx[] = {3, 1};

		assert_history(f, 2, files, idx);
	}
	/* and a second rollback undoes the first */
	assert_int_equal(image_rollback(f->images, "os", 2, why, sizeof(why)), 0);
	assert_true(same_file(cur, f->src[3]));
	{
		const char *files[] = {"os.20231114T221640Z.sqfs", "os.20231114T221500Z.sqfs"};
		const int idx[] = {2, 1};

		assert_history(f, 2, files, idx);
	}
	assert_int_equal(image_validate(cur, NULL, why, sizeof(why)), 0);
	assert_no_temps(f);
	free(cur);
}

static void test_same_stamp_gets_suffix(void **state)
{
	struct fx *f = *state;
	char *images = fx_path(f->dir, "images-same");
	struct image_history_entry *h;
	size_t n;
	char why[256];

	mkdir(images, 0755);
	for (int i = 0; i < 3; i++)
		assert_int_equal(image_install(images, f->src[0], "same", 5, why, sizeof(why)), 0);
	assert_int_equal(image_history(images, "same", &h, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].file, "same.20231114T221320Z-1.sqfs");
	assert_string_equal(h[1].file, "same.20231114T221320Z.sqfs");
	free(h);
	/* another image's history is not ours */
	assert_int_equal(image_history(images, "sam", &h, &n), 0);
	assert_int_equal(n, 0);
	free(h);
	free(images);
}

static void test_errors(void **state)
{
	struct fx *f = *state;
	char *images = fx_path(f->dir, "images-err");
	struct image_history_entry *h;
	size_t n;
	char why[256];

	mkdir(images, 0755);
	assert_int_equal(image_rollback(images, "none", 2, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no history for none");
	assert_int_equal(image_install(images, f->src[0], "Bad/Name", 2, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "invalid image name \"Bad/Name\"");
	assert_int_equal(image_install(images, "/nonexistent/x.sqfs", "ok", 2, why, sizeof(why)),
			 -ENOENT);
	assert_int_equal(image_history(images, "../x", &h, &n), -EINVAL);
	assert_int_equal(image_history(images, "ok", &h, &n), 0);
	assert_int_equal(n, 0);
	free(h);

	/* keep_history 0 keeps nothing, so there is nothing to roll back to */
	assert_int_equal(image_install(images, f->src[0], "ok", 0, why, sizeof(why)), 0);
	assert_int_equal(image_install(images, f->src[1], "ok", 0, why, sizeof(why)), 0);
	assert_int_equal(image_history(images, "ok", &h, &n), 0);
	assert_int_equal(n, 0);
	free(h);
	assert_int_equal(image_rollback(images, "ok", 0, why, sizeof(why)), -ENOENT);
	free(images);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(image_name_valid("raspios-arm64"));
	assert_true(image_name_valid("a"));
	assert_true(image_name_valid("0.9_beta-1"));
	assert_false(image_name_valid(""));
	assert_false(image_name_valid(".hidden"));
	assert_false(image_name_valid("-x"));
	assert_false(image_name_valid("Upper"));
	assert_false(image_name_valid("a/b"));
	assert_false(image_name_valid("a b"));
	assert_true(image_name_valid(
		"a23456789012345678901234567890123456789012345678901234567890123"));
	assert_false(image_name_valid(
		"a234567890123456789012345678901234567890123456789012345678901234"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_history_rollback),
		cmocka_unit_test(test_same_stamp_gets_suffix),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
