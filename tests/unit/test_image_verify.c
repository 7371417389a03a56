/* SPDX-License-Identifier: MIT */
/*
 * image_verify: a good image passes with progress up to the total; a
 * truncated one and one with a damaged data block fail naming the
 * problem; hundreds of randomly damaged images never crash the verifier or
 * the reader (run this under ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/xattr.h>

#include "images/images.h"
#include "tests/unit/image_fixture.h"

#define BIG_SIZE    (1u << 20) /* eight 128 KiB blocks, no fragment */
#define FUZZ_ROUNDS 300

struct fx {
	char *dir;
	char *good;	/* several files, xattrs, links */
	char *one_file; /* only /big.bin has data */
	uint64_t good_total;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *tree, *tree1, *p;
	static const size_t sizes[] = {0, 5, 4096, 150000, 400000};

	f->dir = fx_tmpdir();
	tree = fx_path(f->dir, "tree");
	fx_mkdirs(tree, "etc/many");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "etc/f%zu", i);
		free(fx_write(tree, rel, sizes[i], 100 + i));
		f->good_total += sizes[i];
	}
	for (int i = 0; i < 300; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "etc/many/entry-%03d", i);
		fx_write_str(tree, rel, "small file\n");
		f->good_total += 11;
	}
	p = fx_path(tree, "etc/f1");
	setxattr(p, "user.note", "v", 1, 0);
	{
		char *hl = fx_path(tree, "etc/f1-link");

		assert_int_equal(link(p, hl), 0); /* counted once */
		free(hl);
	}
	free(p);
	fx_symlink(tree, "etc/sym", "/etc/f3");
	f->good = fx_path(f->dir, "good.sqfs");
	assert_int_equal(fx_mksquashfs(tree, f->good, NULL), 0);

	tree1 = fx_path(f->dir, "tree1");
	fx_mkdirs(tree1, "empty");
	free(fx_write(tree1, "big.bin", BIG_SIZE, 77));
	fx_symlink(tree1, "link", "big.bin");
	f->one_file = fx_path(f->dir, "one.sqfs");
	assert_int_equal(fx_mksquashfs(tree1, f->one_file, "-comp", "gzip", NULL), 0);
	free(tree);
	free(tree1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_rm_rf(f->dir);
	free(f->dir);
	free(f->good);
	free(f->one_file);
	free(f);
	return 0;
}

struct progress {
	int calls;
	uint64_t last_done, last_total;
};

static void progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;

	assert_true(done >= p->last_done);
	assert_true(done <= total);
	p->calls++;
	p->last_done = done;
	p->last_total = total;
}

static void test_good(void **state)
{
	struct fx *f = *state;
	struct progress p = {0};
	char why[256] = "";

	assert_int_equal(image_verify(f->good, progress_cb, &p, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_true(p.calls >= 1);
	assert_int_equal(p.last_total, f->good_total);
	assert_int_equal(p.last_done, f->good_total);
	assert_int_equal(image_verify(f->one_file, NULL, NULL, why, sizeof(why)), 0);
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	char *path = fx_path(f->dir, "short.sqfs");
	unsigned char *bytes;
	size_t len;
	char why[256];

	bytes = fx_slurp(f->good, &len);
	fx_spit(path, bytes, len - 1);
	assert_int_equal(image_verify(path, NULL, NULL, why, sizeof(why)), -EIO);
	assert_memory_equal(why, "truncated: file size ", 21);
	/* cut into the tables: still an error, never a crash */
	fx_spit(path, bytes, (size_t)fx_le(bytes + FX_SB_BYTES_USED, 8) - 1);
	assert_int_equal(image_verify(path, NULL, NULL, why, sizeof(why)), -EIO);
	assert_memory_equal(why, "truncated: file has ", 20);
	unlink(path);
	free(path);
	free(bytes);
}

static void test_corrupt_data_block(void **state)
{
	struct fx *f = *state;
	char *path = fx_path(f->dir, "corrupt.sqfs");
	struct image_gen *g;
	unsigned char *bytes, *buf;
	uint64_t data_end, mid;
	img_ino ino;
	size_t len;
	char why[256];

	bytes = fx_slurp(f->one_file, &len);
	/* between the superblock and the inode table there is only big.bin */
	data_end = fx_le(bytes + FX_SB_INODE_TABLE, 8);
	assert_true(data_end > 96 + 4096);
	mid = 96 + (data_end - 96) / 2;
	for (int i = 0; i < 16; i++)
		bytes[mid + (uint64_t)i] ^= 0x5a;
	fx_spit(path, bytes, len);

	/* the superblock and tables are fine, so it validates */
	assert_int_equal(image_validate(path, NULL, why, sizeof(why)), 0);
	assert_int_equal(image_verify(path, NULL, NULL, why, sizeof(why)), -EIO);
	assert_memory_equal(why, "/big.bin: data block ", 21);
	assert_non_null(strstr(why, "(image offset "));
	assert_non_null(strstr(why, "): cannot read or decompress"));

	/* and the reader gives EIO for the damaged range */
	assert_int_equal(image_gen_open(path, &g, why, sizeof(why)), 0);
	assert_int_equal(img_resolve(g, "big.bin", true, &ino, NULL), 0);
	buf = malloc(BIG_SIZE);
	assert_int_equal(img_read(g, ino, buf, BIG_SIZE, 0), -EIO);
	image_gen_put(g);
	free(buf);
	unlink(path);
	free(path);
	free(bytes);
}

/* Use every reader call on a damaged image; results do not matter. */
static int fuzz_dirent(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t next_off)
{
	struct image_gen *g = ctx;
	char buf[4096];
	struct stat st;

	(void)name;
	(void)type;
	(void)next_off;
	img_getattr(g, ino, &st);
	img_read(g, ino, buf, sizeof(buf), 100);
	img_readlink(g, ino, buf, sizeof(buf));
	img_listxattr(g, ino, buf, sizeof(buf));
	img_getxattr(g, ino, "user.note", buf, sizeof(buf));
	return 0;
}

static void fuzz_reader(const char *path)
{
	static const char *const paths[] = {"etc",
					    "etc/f0",
					    "etc/f3",
					    "etc/f4",
					    "etc/sym",
					    "etc/many",
					    "etc/many/entry-150",
					    "etc/f1-link"};
	struct image_gen *g;
	char why[256];
	img_ino root;

	if (image_gen_open(path, &g, why, sizeof(why)))
		return;
	img_root(g, &root);
	img_readdir(g, root, 0, fuzz_dirent, g);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		img_ino ino, parent;

		if (img_resolve(g, paths[i], true, &ino, NULL))
			continue;
		img_readdir(g, ino, 0, fuzz_dirent, g);
		img_parent(g, ino, &parent);
		fuzz_dirent(g, paths[i], ino, 0, 0);
	}
	image_gen_put(g);
}

static void test_random_damage_never_crashes(void **state)
{
	struct fx *f = *state;
	char *path = fx_path(f->dir, "fuzz.sqfs");
	unsigned char *orig, *bytes;
	uint64_t meta, used, x = 0x1234567;
	size_t len;
	int failed = 0;

	orig = fx_slurp(f->good, &len);
	bytes = malloc(len);
	meta = fx_le(orig + FX_SB_INODE_TABLE, 8);
	used = fx_le(orig + FX_SB_BYTES_USED, 8);
	for (int round = 0; round < FUZZ_ROUNDS; round++) {
		char why[256];
		int flips;

		memcpy(bytes, orig, len);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		flips = 1 + (int)(x >> 60) % 8;
		for (int i = 0; i < flips; i++) {
			uint64_t lo = round % 4 == 3 ? 0 : meta; /* mostly metadata */
			uint64_t pos;

			x = x * 6364136223846793005ull + 1442695040888963407ull;
			pos = lo + (x >> 16) % (used - lo);
			bytes[pos] ^= (unsigned char)(1 + (x >> 8) % 255);
		}
		fx_spit(path, bytes, len);
		why[0] = '\0';
		if (image_verify(path, NULL, NULL, why, sizeof(why)) < 0) {
			failed++;
			assert_true(why[0] != '\0'); /* an error always says why */
		}
		fuzz_reader(path);
	}
	/* most damage to metadata is noticed */
	assert_true(failed > FUZZ_ROUNDS / 2);
	unlink(path);
	free(path);
	free(orig);
	free(bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt_data_block),
		cmocka_unit_test(test_random_damage_never_crashes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
