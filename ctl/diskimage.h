/* SPDX-License-Identifier: MIT */
/*
 * Partition tables of raw disk images (an SD card or its .img): MBR and
 * GPT with 512-byte sectors, as Raspberry Pi images use. Only the primary
 * MBR partitions are read (Pi images have no logical ones). Every
 * partition is checked to lie inside the image, so that a truncated
 * download is named as such before any tool reads it.
 */
#ifndef NETBOOTFS_CTL_DISKIMAGE_H
#define NETBOOTFS_CTL_DISKIMAGE_H

#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR    512u
#define DISK_MAX_PARTS 128

enum disk_scheme {
	DISK_MBR,
	DISK_GPT,
};

/* What the table says a partition holds. */
enum part_type {
	PART_OTHER,
	PART_FAT,   /* MBR 0x01/04/06/0b/0c/0e/ef, GPT basic data or EFI system */
	PART_LINUX, /* MBR 0x83, GPT Linux filesystem or a Linux root type */
};

/* What the partition's first bytes say it holds. */
enum fs_kind {
	FS_UNKNOWN,
	FS_FAT,
	FS_EXT, /* ext2/3/4 */
	FS_XFS,
};

struct disk_part {
	unsigned number; /* 1-based, as in mmcblk0p<number> */
	uint64_t start;	 /* bytes from the start of the image */
	uint64_t size;	 /* bytes */
	enum part_type type;
};

struct disk_layout {
	enum disk_scheme scheme;
	struct disk_part parts[DISK_MAX_PARTS];
	size_t n;
};

/*
 * Read the partition table of the image or device open as @fd, @size bytes
 * long. 0, or -EINVAL (no or a corrupt table: "why" says which), -ERANGE
 * (a partition ends past the end: a truncated image), -EIO.
 */
int disk_read_layout(int fd, uint64_t size, struct disk_layout *out, char *why, size_t whylen);

/* Look at the superblock of a partition. */
enum fs_kind disk_probe_fs(int fd, const struct disk_part *p);

/*
 * The boot (FAT) and root partitions of a Pi-style or PC image: the first
 * partition whose contents are FAT, and the largest whose contents are
 * ext2/3/4 or xfs. Either may come back NULL when absent.
 */
void disk_find_boot_root(int fd, const struct disk_layout *l, const struct disk_part **boot,
			 const struct disk_part **root);

/* CRC-32 (IEEE 802.3, as GPT uses). */
uint32_t disk_crc32(const void *buf, size_t len);

#endif
