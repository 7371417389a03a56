/* SPDX-License-Identifier: MIT */
/*
 * ctl/diskimage.c: MBR and GPT tables as Raspberry Pi images have them,
 * truncated images, corrupt tables, and telling FAT from ext by content.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctl/diskimage.h"
#include "tests/unit/image_fixture.h"

#define MiB	   (1024 * 1024)
#define DISK_SIZE  (64 * MiB)
#define BOOT_LBA   8192
#define BOOT_SECTS (16 * 2048)
#define ROOT_LBA   (BOOT_LBA + BOOT_SECTS)
#define ROOT_SECTS (40 * 2048)

struct fx {
	char *dir;
	char *path;
	unsigned char *disk; /* DISK_SIZE bytes */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = fx_tmpdir();
	f->path = fx_path(f->dir, "disk.img");
	f->disk = calloc(1, DISK_SIZE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_rm_rf(f->dir);
	free(f->dir);
	free(f->path);
	free(f->disk);
	free(f);
	return 0;
}

static void mbr_entry(unsigned char *d, int i, uint8_t type, uint32_t lba, uint32_t sectors)
{
	unsigned char *e = d + 446 + 16 * i;

	e[0] = 0;
	e[4] = type;
	fx_put_le(e + 8, 4, lba);
	fx_put_le(e + 12, 4, sectors);
	d[510] = 0x55;
	d[511] = 0xaa;
}

/* Partition contents that the probes recognise. */
static void put_fat(unsigned char *d, uint64_t lba)
{
	unsigned char *b = d + lba * 512;

	memcpy(b + 54, "FAT16   ", 8);
	b[510] = 0x55;
	b[511] = 0xaa;
}

static void put_ext(unsigned char *d, uint64_t lba)
{
	unsigned char *b = d + lba * 512 + 1024;

	b[56] = 0x53;
	b[57] = 0xef;
}

static int layout_of(struct fx *f, size_t len, struct disk_layout *l, char *why, size_t wl)
{
	int fd, err;

	fx_spit(f->path, f->disk, len);
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	err = disk_read_layout(fd, len, l, why, wl);
	close(fd);
	return err;
}

static void pi_mbr(unsigned char *d)
{
	mbr_entry(d, 0, 0x0c, BOOT_LBA, BOOT_SECTS);
	mbr_entry(d, 1, 0x83, ROOT_LBA, ROOT_SECTS);
	put_fat(d, BOOT_LBA);
	put_ext(d, ROOT_LBA);
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(disk_crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(disk_crc32("", 0), 0);
}

static void test_mbr(void **state)
{
	struct fx *f = *state;
	struct disk_layout l;
	const struct disk_part *boot, *root;
	char why[256] = "";
	int fd;

	pi_mbr(f->disk);
	assert_int_equal(layout_of(f, DISK_SIZE, &l, why, sizeof(why)), 0);
	assert_int_equal(l.scheme, DISK_MBR);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.parts[0].number, 1);
	assert_int_equal(l.parts[0].start, (uint64_t)BOOT_LBA * 512);
	assert_int_equal(l.parts[0].size, (uint64_t)BOOT_SECTS * 512);
	assert_int_equal(l.parts[0].type, PART_FAT);
	assert_int_equal(l.parts[1].number, 2);
	assert_int_equal(l.parts[1].start, (uint64_t)ROOT_LBA * 512);
	assert_int_equal(l.parts[1].size, (uint64_t)ROOT_SECTS * 512);
	assert_int_equal(l.parts[1].type, PART_LINUX);

	fd = open(f->path, O_RDONLY);
	assert_int_equal(disk_probe_fs(fd, &l.parts[0]), FS_FAT);
	assert_int_equal(disk_probe_fs(fd, &l.parts[1]), FS_EXT);
	disk_find_boot_root(fd, &l, &boot, &root);
	close(fd);
	assert_ptr_equal(boot, &l.parts[0]);
	assert_ptr_equal(root, &l.parts[1]);
}

static void test_mbr_truncated(void **state)
{
	struct fx *f = *state;
	struct disk_layout l;
	char why[256] = "";
	size_t len = (size_t)(ROOT_LBA + ROOT_SECTS / 2) * 512;

	pi_mbr(f->disk);
	assert_int_equal(layout_of(f, len, &l, why, sizeof(why)), -ERANGE);
	assert_string_equal(why, "partition 2 ends at byte 62914560 but the image has only "
				 "41943040 bytes (truncated?)");
}

static void test_no_table(void **state)
{
	struct fx *f = *state;
	struct disk_layout l;
	char why[256] = "";

	assert_int_equal(layout_of(f, MiB, &l, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "no partition table (no MBR signature)");
	f->disk[510] = 0x55;
	f->disk[511] = 0xaa;
	assert_int_equal(layout_of(f, MiB, &l, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the partition table is empty");
	assert_int_equal(layout_of(f, 100, &l, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "100 bytes is too small for a disk image");
}

static void test_mbr_bad_entry(void **state)
{
	struct fx *f = *state;
	struct disk_layout l;
	char why[256] = "";

	pi_mbr(f->disk);
	f->disk[446 + 16] = 0x12; /* boot flag of entry 2 */
	assert_int_equal(layout_of(f, DISK_SIZE, &l, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "no valid MBR (bad boot flag in entry 2)");
}

/* Protective MBR, header at LBA 1, 128 entries of 128 bytes at LBA 2. */
static void pi_gpt(unsigned char *d)
{
	static const unsigned char basic_data[16] = {0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9,
						     0x33, 0x44, 0x87, 0xc0, 0x68, 0xb6,
						     0xb7, 0x26, 0x99, 0xc7};
	static const unsigned char linux_fs[16] = {0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
						   0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4};
	unsigned char *h = d + 512, *e = d + 1024;
	uint64_t last = DISK_SIZE / 512 - 1;

	mbr_entry(d, 0, 0xee, 1, (uint32_t)last);
	memcpy(e, basic_data, 16);
	e[16] = 1; /* unique GUID: anything non-zero */
	fx_put_le(e + 32, 8, BOOT_LBA);
	fx_put_le(e + 40, 8, BOOT_LBA + BOOT_SECTS - 1);
	memcpy(e + 128, linux_fs, 16);
	e[128 + 16] = 2;
	fx_put_le(e + 128 + 32, 8, ROOT_LBA);
	fx_put_le(e + 128 + 40, 8, ROOT_LBA + ROOT_SECTS - 1);

	memcpy(h, "EFI PART", 8);
	fx_put_le(h + 8, 4, 0x00010000);
	fx_put_le(h + 12, 4, 92);
	fx_put_le(h + 24, 8, 1);
	fx_put_le(h + 32, 8, last);
	fx_put_le(h + 40, 8, 34);
	fx_put_le(h + 48, 8, last - 33);
	fx_put_le(h + 72, 8, 2);
	fx_put_le(h + 80, 4, 128);
	fx_put_le(h + 84, 4, 128);
	fx_put_le(h + 88, 4, disk_crc32(e, 128 * 128));
	fx_put_le(h + 16, 4, 0);
	fx_put_le(h + 16, 4, disk_crc32(h, 92));
	put_fat(d, BOOT_LBA);
	put_ext(d, ROOT_LBA);
}

static void test_gpt(void **state)
{
	struct fx *f = *state;
	struct disk_layout l;
	char why[256] = "";

	pi_gpt(f->disk);
	assert_int_equal(layout_of(f, DISK_SIZE, &l, why, sizeof(why)), 0);
	assert_int_equal(l.scheme, DISK_GPT);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.parts[0].number, 1);
	assert_int_equal(l.parts[0].start, (uint64_t)BOOT_LBA * 512);
	assert_int_equal(l.parts[0].size, (uint64_t)BOOT_SECTS * 512);
	assert_int_equal(l.parts[0].type, PART_FAT);
	assert_int_equal(l.parts[1].number, 2);
	assert_int_equal(l.parts[1].start, (uint64_t)ROOT_LBA * 512);
	assert_int_equal(l.parts[1].size, (uint64_t)ROOT_SECTS * 512);
	assert_int_equal(l.parts[1].type, PART_LINUX);
}

static void test_gpt_corrupt(void **state)
{
	struct fx *f = *state;
	struct disk_layout l;
	char why[256] = "";

	pi_gpt(f->disk);
	f->disk[512 + 40] ^= 1; /* inside the header */
	assert_int_equal(layout_of(f, DISK_SIZE, &l, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "GPT header checksum mismatch");

	pi_gpt(f->disk);
	f->disk[1024 + 33] ^= 1; /* inside an entry */
	assert_int_equal(layout_of(f, DISK_SIZE, &l, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "GPT partition array checksum mismatch");

	pi_gpt(f->disk);
	assert_int_equal(layout_of(f, 30 * MiB, &l, why, sizeof(why)), -ERANGE);
	assert_string_equal(why, "partition 2 ends at byte 62914560 but the image has only "
				 "31457280 bytes (truncated?)");

	memset(f->disk + 512, 0, 512);
	assert_int_equal(layout_of(f, DISK_SIZE, &l, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "protective MBR but no GPT header");
}

static void test_find_by_content(void **state)
{
	struct fx *f = *state;
	const struct disk_part *boot, *root;
	struct disk_layout l;
	char why[256] = "";
	int fd;

	/* Types lie (both 0x83); the contents decide; the largest ext is the root. */
	mbr_entry(f->disk, 0, 0x83, BOOT_LBA, BOOT_SECTS);
	mbr_entry(f->disk, 1, 0x83, ROOT_LBA, 2048);
	mbr_entry(f->disk, 2, 0x83, ROOT_LBA + 2048, ROOT_SECTS - 2048);
	put_fat(f->disk, BOOT_LBA);
	put_ext(f->disk, ROOT_LBA);
	put_ext(f->disk, ROOT_LBA + 2048);
	assert_int_equal(layout_of(f, DISK_SIZE, &l, why, sizeof(why)), 0);
	fd = open(f->path, O_RDONLY);
	disk_find_boot_root(fd, &l, &boot, &root);
	close(fd);
	assert_non_null(boot);
	assert_int_equal(boot->number, 1);
	assert_non_null(root);
	assert_int_equal(root->number, 3);
}

static void test_xfs_root(void **state)
{
	struct fx *f = *state;
	const struct disk_part *boot, *root;
	struct disk_layout l;
	char why[256] = "";
	int fd;

	/* A small ext partition and a larger xfs one: xfs is the root. */
	mbr_entry(f->disk, 0, 0x83, ROOT_LBA, 2048);
	mbr_entry(f->disk, 1, 0x83, ROOT_LBA + 2048, ROOT_SECTS - 2048);
	put_ext(f->disk, ROOT_LBA);
	memcpy(f->disk + (size_t)(ROOT_LBA + 2048) * 512, "XFSB", 4);
	assert_int_equal(layout_of(f, DISK_SIZE, &l, why, sizeof(why)), 0);
	fd = open(f->path, O_RDONLY);
	assert_int_equal(disk_probe_fs(fd, &l.parts[0]), FS_EXT);
	assert_int_equal(disk_probe_fs(fd, &l.parts[1]), FS_XFS);
	disk_find_boot_root(fd, &l, &boot, &root);
	close(fd);
	assert_null(boot);
	assert_non_null(root);
	assert_int_equal(root->number, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test_setup_teardown(test_mbr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfs_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbr_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbr_bad_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpt_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_by_content, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
