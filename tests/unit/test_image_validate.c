/* SPDX-License-Identifier: MIT */
/*
 * image_validate: a good image passes with the right facts; each kind of
 * damage is refused with its own reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "images/images.h"
#include "tests/unit/image_fixture.h"

struct fx {
	char *dir;
	char *img;   /* good image */
	char *nopad; /* good image built with -nopad */
	unsigned char *bytes;
	size_t len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *tree;

	f->dir = fx_tmpdir();
	tree = fx_path(f->dir, "tree");
	fx_mkdirs(tree, "boot/firmware");
	free(fx_write(tree, "boot/firmware/kernel8.img", 700000, 1));
	free(fx_write(tree, "boot/firmware/config.txt", 321, 2));
	fx_symlink(tree, "boot/link", "firmware/config.txt");
	f->img = fx_path(f->dir, "good.sqfs");
	f->nopad = fx_path(f->dir, "nopad.sqfs");
	assert_int_equal(fx_mksquashfs(tree, f->img, "-mkfs-time", "1700000000", NULL), 0);
	assert_int_equal(fx_mksquashfs(tree, f->nopad, "-nopad", NULL), 0);
	f->bytes = fx_slurp(f->img, &f->len);
	assert_non_null(f->bytes);
	free(tree);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_rm_rf(f->dir);
	free(f->dir);
	free(f->img);
	free(f->nopad);
	free(f->bytes);
	free(f);
	return 0;
}

/* Write a patched copy of the good image and validate it. */
static int validate_patched(struct fx *f, size_t off, int bytes, uint64_t value, char *why,
			    size_t whylen)
{
	unsigned char *copy = malloc(f->len);
	char *path = fx_path(f->dir, "patched.sqfs");
	int err;

	memcpy(copy, f->bytes, f->len);
	fx_put_le(copy + off, bytes, value);
	fx_spit(path, copy, f->len);
	err = image_validate(path, NULL, why, whylen);
	unlink(path);
	free(path);
	free(copy);
	return err;
}

static void test_good(void **state)
{
	struct fx *f = *state;
	struct image_info info;
	char why[256] = "untouched";

	assert_int_equal(image_validate(f->img, &info, why, sizeof(why)), 0);
	assert_int_equal(info.file_size, f->len);
	assert_int_equal(info.bytes_used, fx_le(f->bytes + FX_SB_BYTES_USED, 8));
	assert_true(info.bytes_used <= info.file_size);
	assert_int_equal(info.file_size % 4096, 0);
	assert_int_equal(info.block_size, 131072);
	assert_int_equal(info.inodes, 6); /* root, boot, firmware, 2 files, link */
	assert_int_equal(info.mkfs_time, 1700000000);
	assert_string_equal(info.compression, "gzip");
	assert_true(info.has_export_table);
	assert_int_equal(image_validate(f->nopad, &info, why, sizeof(why)), 0);
	assert_int_equal(info.file_size, info.bytes_used);
}

static void test_bad_magic(void **state)
{
	char why[256];

	assert_int_equal(validate_patched(*state, 0, 4, 0x12345678, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "bad magic 0x12345678: not a squashfs image");
}

static void test_truncated_padded(void **state)
{
	struct fx *f = *state;
	char *path = fx_path(f->dir, "short.sqfs");
	char why[256];
	char want[256];

	fx_spit(path, f->bytes, f->len - 1);
	assert_int_equal(image_validate(path, NULL, why, sizeof(why)), -EIO);
	snprintf(want, sizeof(want),
		 "truncated: file size %zu is neither bytes used (%llu) nor padded to a "
		 "multiple of 1 KiB",
		 f->len - 1, (unsigned long long)fx_le(f->bytes + FX_SB_BYTES_USED, 8));
	assert_string_equal(why, want);
	unlink(path);
	free(path);
}

static void test_truncated_nopad(void **state)
{
	struct fx *f = *state;
	char *path = fx_path(f->dir, "short.sqfs");
	unsigned char *bytes;
	size_t len;
	char why[256];
	char want[256];

	bytes = fx_slurp(f->nopad, &len);
	fx_spit(path, bytes, len - 1);
	assert_int_equal(image_validate(path, NULL, why, sizeof(why)), -EIO);
	snprintf(want, sizeof(want), "truncated: file has %zu bytes, superblock says %zu are used",
		 len - 1, len);
	assert_string_equal(why, want);
	unlink(path);
	free(path);
	free(bytes);
}

static void test_random_bytes(void **state)
{
	struct fx *f = *state;
	char *path = fx_path(f->dir, "random.sqfs");
	unsigned char buf[8192];
	char why[256];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	buf[0] = 'x'; /* make sure it is not the magic */
	fx_spit(path, buf, sizeof(buf));
	assert_int_equal(image_validate(path, NULL, why, sizeof(why)), -EINVAL);
	assert_memory_equal(why, "bad magic 0x", 12);
	assert_non_null(strstr(why, ": not a squashfs image"));
	unlink(path);
	free(path);
}

static void test_too_small(void **state)
{
	struct fx *f = *state;
	char *path = fx_path(f->dir, "tiny.sqfs");
	char why[256];

	fx_spit(path, f->bytes, 10);
	assert_int_equal(image_validate(path, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "too small for a squashfs superblock (10 bytes)");
	unlink(path);
	free(path);
}

static void test_version(void **state)
{
	char why[256];

	assert_int_equal(validate_patched(*state, FX_SB_MAJOR, 2, 3, why, sizeof(why)), -ENOTSUP);
	assert_string_equal(why, "unsupported squashfs version 3.0 (need 4.0)");
}

static void test_compression(void **state)
{
	char why[256];

	assert_int_equal(validate_patched(*state, FX_SB_COMP, 2, 2, why, sizeof(why)), -ENOTSUP);
	assert_string_equal(why, "compression lzma (id 2) is not supported by libsquashfuse");
	assert_int_equal(validate_patched(*state, FX_SB_COMP, 2, 9, why, sizeof(why)), -ENOTSUP);
	assert_string_equal(why, "compression unknown (id 9) is not supported by libsquashfuse");
}

static void test_block_size(void **state)
{
	char why[256];

	assert_int_equal(validate_patched(*state, FX_SB_BLOCK, 4, 12345, why, sizeof(why)), -EIO);
	assert_string_equal(why, "bad block size 12345 (log 17)");
	/* a power of two that disagrees with block_log */
	assert_int_equal(validate_patched(*state, FX_SB_BLOCK, 4, 65536, why, sizeof(why)), -EIO);
	assert_string_equal(why, "bad block size 65536 (log 17)");
}

static void test_bytes_used(void **state)
{
	struct fx *f = *state;
	char why[256];
	char want[256];

	assert_int_equal(validate_patched(f, FX_SB_BYTES_USED, 8, f->len + 100, why, sizeof(why)),
			 -EIO);
	snprintf(want, sizeof(want), "truncated: file has %zu bytes, superblock says %zu are used",
		 f->len, f->len + 100);
	assert_string_equal(why, want);
}

static void test_root_inode(void **state)
{
	char why[256];

	assert_int_equal(
		validate_patched(*state, FX_SB_ROOT_INODE, 8, 0x7fff00001000ull, why, sizeof(why)),
		-EIO);
	assert_string_equal(why, "root inode reference 0x7fff00001000 is out of range");
	/* in range, but not the start of an inode */
	assert_int_equal(validate_patched(*state, FX_SB_ROOT_INODE, 8, 7, why, sizeof(why)), -EIO);
	assert_string_equal(why, "root inode is unreadable");
}

static void test_tables(void **state)
{
	struct fx *f = *state;
	char why[256];
	char want[256];

	assert_int_equal(validate_patched(f, FX_SB_INODE_TABLE, 8, 5, why, sizeof(why)), -EIO);
	snprintf(want, sizeof(want), "inode/directory tables lie outside the %llu bytes used",
		 (unsigned long long)fx_le(f->bytes + FX_SB_BYTES_USED, 8));
	assert_string_equal(why, want);
}

static void test_missing(void **state)
{
	struct fx *f = *state;
	char *path = fx_path(f->dir, "nothere.sqfs");
	char why[256];

	assert_int_equal(image_validate(path, NULL, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "open: No such file or directory");
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_truncated_padded),
		cmocka_unit_test(test_truncated_nopad),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_block_size),
		cmocka_unit_test(test_bytes_used),
		cmocka_unit_test(test_root_inode),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
