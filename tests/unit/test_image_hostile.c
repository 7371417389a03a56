/* SPDX-License-Identifier: MIT */
/*
 * Hostile images: a zero table pointer, an absurd block_log, a block or
 * fragment placed on the superblock. Every one of them, in every
 * compression libsquashfuse reads and uncompressed, must be refused (or
 * read as EIO) with a reason; none may crash the caller.
 *
 * libsquashfuse 0.1.105's metadata cache answers a lookup at offset 0 with
 * an empty slot (0 marks a free slot): success and a NULL block.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/xattr.h>

#include "images/images.h"
#include "tests/unit/image_fixture.h"

#define SB_ID_TABLE    48
#define SB_XATTR_TABLE 56
#define SB_DIR_TABLE   72
#define SB_FRAG_TABLE  80
#define SB_EXPORT      88
#define SB_BLOCK_LOG   22
#define MD_HEADER      2

static const char *const comps[][5] = {
	{"gzip", "-comp", "gzip", NULL}, {"lzo", "-comp", "lzo", NULL},
	{"lz4", "-comp", "lz4", NULL},	 {"xz", "-comp", "xz", NULL},
	{"zstd", "-comp", "zstd", NULL}, {"none", "-noI", "-noD", "-noF", "-noX"},
};
#define NCOMPS (sizeof(comps) / sizeof(comps[0]))

struct fx {
	char *dir;
	char *img[NCOMPS];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *tree, *p;

	f->dir = fx_tmpdir();
	tree = fx_path(f->dir, "tree");
	fx_mkdirs(tree, "boot/firmware");
	fx_mkdirs(tree, "etc");
	free(fx_write(tree, "boot/firmware/kernel8.img", 70000, 1));
	free(fx_write(tree, "boot/firmware/config.txt", 321, 2));
	free(fx_write(tree, "etc/hostname", 9, 3));
	fx_symlink(tree, "boot/link", "firmware/config.txt");
	p = fx_path(tree, "etc/hostname");
	assert_int_equal(setxattr(p, "user.role", "node", 4, 0), 0);
	assert_int_equal(setxattr(p, "trusted.overlay.x", "y", 1, 0), 0);
	free(p);
	p = fx_path(tree, "boot/firmware/config.txt");
	assert_int_equal(setxattr(p, "user.role", "node", 4, 0), 0);
	free(p);
	for (size_t i = 0; i < NCOMPS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%s.sqfs", comps[i][0]);
		f->img[i] = fx_path(f->dir, name);
		assert_int_equal(fx_mksquashfs(tree, f->img[i], "-b", "4096", "-mkfs-time",
					       "1700000000", comps[i][1], comps[i][2], comps[i][3],
					       comps[i][4], NULL),
				 0);
	}
	free(tree);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_rm_rf(f->dir);
	for (size_t i = 0; i < NCOMPS; i++)
		free(f->img[i]);
	free(f->dir);
	free(f);
	return 0;
}

/* Walk everything reachable through the reader API; 0 when all of it read. */
static int walk(struct image_gen *g, img_ino dir, int depth);

struct walk_ctx {
	struct image_gen *g;
	img_ino dir;
	int depth;
	int err;
};

static int walk_one(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t next_off)
{
	struct walk_ctx *w = ctx;
	char buf[8192];
	struct stat st;
	img_ino found;
	ssize_t n;
	off_t off = 0;

	(void)next_off;
	if (img_lookup(w->g, w->dir, name, &found, &st) && img_getattr(w->g, ino, &st)) {
		w->err = -EIO;
		return 0;
	}
	if (img_listxattr(w->g, ino, buf, sizeof(buf)) < 0)
		w->err = -EIO;
	if (S_ISDIR(type) && w->depth < 16 && walk(w->g, ino, w->depth + 1))
		w->err = -EIO;
	if (S_ISLNK(type) && img_readlink(w->g, ino, buf, sizeof(buf)) < 0)
		w->err = -EIO;
	if (S_ISREG(type)) {
		while ((n = img_read(w->g, ino, buf, sizeof(buf), off)) > 0)
			off += n;
		if (n < 0)
			w->err = -EIO;
	}
	return 0;
}

static int walk(struct image_gen *g, img_ino dir, int depth)
{
	struct walk_ctx w = {.g = g, .dir = dir, .depth = depth};
	int err = img_readdir(g, dir, 0, walk_one, &w);

	return err ? err : w.err;
}

static uint64_t sb_field(const unsigned char *img, size_t off)
{
	return fx_le(img + off, 8);
}

/*
 * Patch @bytes bytes at @off (a function of the image) to @value in a copy
 * of every image; each copy must be refused by validation or by the full
 * verify, with a reason, and the reader must not crash on what it opens.
 */
typedef size_t (*where_fn)(const unsigned char *img, size_t len);

static void expect_refused(struct fx *f, where_fn where, int bytes, uint64_t value,
			   bool uncompressed_only)
{
	for (size_t i = 0; i < NCOMPS; i++) {
		char *path;
		char why[512] = "", vwhy[512] = "";
		struct image_gen *g = NULL;
		unsigned char *img;
		size_t len, off;
		int v, o, r;

		if (uncompressed_only && strcmp(comps[i][0], "none"))
			continue;
		path = fx_path(f->dir, "patched.sqfs");
		img = fx_slurp(f->img[i], &len);
		assert_non_null(img);
		off = where(img, len);
		assert_true(off + (size_t)bytes <= len);
		fx_put_le(img + off, bytes, value);
		fx_spit(path, img, len);

		v = image_validate(path, NULL, vwhy, sizeof(vwhy));
		if (v)
			assert_true(vwhy[0]);
		o = image_gen_open(path, &g, why, sizeof(why));
		assert_true(!o == !!g);
		if (g) {
			img_ino root;

			assert_int_equal(img_root(g, &root), 0);
			(void)walk(g, root, 0);
			image_gen_put(g);
		}
		if (v)
			strcpy(why, vwhy);
		else
			why[0] = '\0';
		r = v ? v : image_verify(path, NULL, NULL, why, sizeof(why));
		print_message("%s: validate %d, verify %d: %s\n", comps[i][0], v, r, why);
		assert_int_equal(r, -EIO);
		assert_true(why[0]);
		unlink(path);
		free(path);
		free(img);
	}
}

static size_t at_id_index(const unsigned char *img, size_t len)
{
	(void)len;
	return (size_t)sb_field(img, SB_ID_TABLE);
}

static size_t at_frag_index(const unsigned char *img, size_t len)
{
	(void)len;
	return (size_t)sb_field(img, SB_FRAG_TABLE);
}

static size_t at_export_index(const unsigned char *img, size_t len)
{
	(void)len;
	return (size_t)sb_field(img, SB_EXPORT);
}

/* The xattr id table: (xattr_table_start u64, ids u32, unused u32) then the
 * index of its blocks. */
static size_t at_xattr_table_start(const unsigned char *img, size_t len)
{
	(void)len;
	return (size_t)sb_field(img, SB_XATTR_TABLE);
}

static size_t at_xattr_id_index(const unsigned char *img, size_t len)
{
	(void)len;
	return (size_t)sb_field(img, SB_XATTR_TABLE) + 16;
}

static size_t at_block_log(const unsigned char *img, size_t len)
{
	(void)img;
	(void)len;
	return SB_BLOCK_LOG;
}

/* Uncompressed only: the first fragment entry's start_block. */
static size_t at_frag_entry(const unsigned char *img, size_t len)
{
	(void)len;
	return (size_t)fx_le(img + sb_field(img, SB_FRAG_TABLE), 8) + MD_HEADER;
}

static void test_zero_id_index(void **state)
{
	expect_refused(*state, at_id_index, 8, 0, false);
}

static void test_zero_fragment_index(void **state)
{
	expect_refused(*state, at_frag_index, 8, 0, false);
}

static void test_zero_export_index(void **state)
{
	expect_refused(*state, at_export_index, 8, 0, false);
}

static void test_zero_xattr_id_index(void **state)
{
	expect_refused(*state, at_xattr_id_index, 8, 0, false);
}

static void test_zero_xattr_table_start(void **state)
{
	expect_refused(*state, at_xattr_table_start, 8, 0, false);
}

static void test_index_inside_superblock(void **state)
{
	expect_refused(*state, at_id_index, 8, 40, false);
}

static void test_block_log_too_big(void **state)
{
	expect_refused(*state, at_block_log, 2, 40, false);
	expect_refused(*state, at_block_log, 2, 0xffff, false);
}

static void test_fragment_on_superblock(void **state)
{
	expect_refused(*state, at_frag_entry, 8, 0, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_id_index),
		cmocka_unit_test(test_zero_fragment_index),
		cmocka_unit_test(test_zero_export_index),
		cmocka_unit_test(test_zero_xattr_id_index),
		cmocka_unit_test(test_zero_xattr_table_start),
		cmocka_unit_test(test_index_inside_superblock),
		cmocka_unit_test(test_block_log_too_big),
		cmocka_unit_test(test_fragment_on_superblock),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
