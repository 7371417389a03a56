/* SPDX-License-Identifier: MIT */
/* MBR and GPT partition tables (see diskimage.h). */
#include "ctl/diskimage.h"
#include "lib/why.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MBR_PARTS	4
#define MBR_TYPE_GPT	0xee
#define GPT_HDR_MIN	92
#define GPT_ENTRY_MIN	128
#define GPT_ENTRIES_MAX 1024u

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

uint32_t disk_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ERANGE;
		done += (size_t)n;
	}
	return 0;
}

static enum part_type mbr_type(uint8_t t)
{
	switch (t) {
	case 0x01:
	case 0x04:
	case 0x06:
	case 0x0b:
	case 0x0c:
	case 0x0e:
	case 0xef:
		return PART_FAT;
	case 0x83:
		return PART_LINUX;
	default:
		return PART_OTHER;
	}
}

/* "EBD0A0A2-B9E5-..." to the on-disk byte order (first three fields little-endian). */
static void guid_bytes(const char *s, uint8_t out[16])
{
	static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t raw[16];
	int n = 0;

	for (; *s && n < 16; s++) {
		if (*s == '-')
			continue;
		raw[n++] = (uint8_t)strtoul((char[3]){s[0], s[1], 0}, NULL, 16);
		s++;
	}
	for (int i = 0; i < 16; i++)
		out[i] = raw[order[i]];
}

static enum part_type gpt_type(const uint8_t guid[16])
{
	static const struct {
		const char *guid;
		enum part_type type;
	} types[] = {
		{"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", PART_FAT},   /* basic data */
		{"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", PART_FAT},   /* EFI system */
		{"0FC63DAF-8483-4772-8E79-3D69D8477DE4", PART_LINUX}, /* Linux filesystem */
		{"B921B045-1DF0-41C3-AF44-4C6F280D3FAE", PART_LINUX}, /* root, arm64 */
		{"69DAD710-2CE4-4E3C-B16C-21A1D49ABED3", PART_LINUX}, /* root, arm32 */
	};
	uint8_t b[16];

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		guid_bytes(types[i].guid, b);
		if (memcmp(b, guid, 16) == 0)
			return types[i].type;
	}
	return PART_OTHER;
}

static int add_part(struct disk_layout *l, unsigned number, uint64_t first_lba, uint64_t sectors,
		    enum part_type type, uint64_t size, char *why, size_t whylen)
{
	struct disk_part *p = &l->parts[l->n];

	if (sectors == 0 || first_lba == 0 || first_lba > UINT64_MAX / DISK_SECTOR - sectors) {
		why_set(why, whylen, "partition %u has a bad start or length", number);
		return -EINVAL;
	}
	p->number = number;
	p->start = first_lba * DISK_SECTOR;
	p->size = sectors * DISK_SECTOR;
	p->type = type;
	if (p->start + p->size > size) {
		why_set(why, whylen,
			"partition %u ends at byte %llu but the image has only %llu bytes "
			"(truncated?)",
			number, (unsigned long long)(p->start + p->size), (unsigned long long)size);
		return -ERANGE;
	}
	l->n++;
	return 0;
}

static int read_gpt(int fd, uint64_t size, struct disk_layout *l, char *why, size_t whylen)
{
	uint8_t hdr[DISK_SECTOR], *ents = NULL;
	uint32_t hsize, nent, esize, crc;
	uint64_t elba;
	int err;

	err = pread_full(fd, hdr, sizeof(hdr), DISK_SECTOR);
	if (err == -ERANGE)
		why_set(why, whylen, "the GPT header lies past the end of the image (truncated?)");
	if (err)
		return err;
	if (memcmp(hdr, "EFI PART", 8) != 0) {
		why_set(why, whylen, "protective MBR but no GPT header");
		return -EINVAL;
	}
	hsize = le32(hdr + 12);
	if (hsize < GPT_HDR_MIN || hsize > DISK_SECTOR) {
		why_set(why, whylen, "GPT header size %u is invalid", hsize);
		return -EINVAL;
	}
	crc = le32(hdr + 16);
	memset(hdr + 16, 0, 4);
	if (disk_crc32(hdr, hsize) != crc) {
		why_set(why, whylen, "GPT header checksum mismatch");
		return -EINVAL;
	}
	elba = le64(hdr + 72);
	nent = le32(hdr + 80);
	esize = le32(hdr + 84);
	if (nent > GPT_ENTRIES_MAX || esize < GPT_ENTRY_MIN || esize > 4096 || esize % 8 ||
	    elba < 2 || elba > size / DISK_SECTOR) {
		why_set(why, whylen, "GPT header has an invalid partition array");
		return -EINVAL;
	}
	ents = malloc((size_t)nent * esize + 1);
	if (!ents)
		return -ENOMEM;
	err = pread_full(fd, ents, (size_t)nent * esize, elba * DISK_SECTOR);
	if (err == -ERANGE)
		why_set(why, whylen,
			"the GPT partition array lies past the end of the image "
			"(truncated?)");
	if (err)
		goto out;
	if (disk_crc32(ents, (size_t)nent * esize) != le32(hdr + 88)) {
		why_set(why, whylen, "GPT partition array checksum mismatch");
		err = -EINVAL;
		goto out;
	}
	for (uint32_t i = 0; i < nent && !err; i++) {
		const uint8_t *e = ents + (size_t)i * esize;
		static const uint8_t unused[16];
		uint64_t first = le64(e + 32), last = le64(e + 40);

		if (memcmp(e, unused, 16) == 0)
			continue;
		if (l->n == DISK_MAX_PARTS || last < first) {
			why_set(why, whylen, "GPT partition %u is invalid", i + 1);
			err = -EINVAL;
			break;
		}
		err = add_part(l, i + 1, first, last - first + 1, gpt_type(e), size, why, whylen);
	}
out:
	free(ents);
	return err;
}

int disk_read_layout(int fd, uint64_t size, struct disk_layout *out, char *why, size_t whylen)
{
	uint8_t mbr[DISK_SECTOR];
	int err;

	memset(out, 0, sizeof(*out));
	if (size < DISK_SECTOR) {
		why_set(why, whylen, "%llu bytes is too small for a disk image",
			(unsigned long long)size);
		return -EINVAL;
	}
	err = pread_full(fd, mbr, sizeof(mbr), 0);
	if (err)
		return err == -ERANGE ? -EIO : err;
	if (mbr[510] != 0x55 || mbr[511] != 0xaa) {
		why_set(why, whylen, "no partition table (no MBR signature)");
		return -EINVAL;
	}
	for (int i = 0; i < MBR_PARTS; i++) {
		if (mbr[446 + 16 * i + 4] == MBR_TYPE_GPT) {
			out->scheme = DISK_GPT;
			return read_gpt(fd, size, out, why, whylen);
		}
	}
	out->scheme = DISK_MBR;
	for (int i = 0; i < MBR_PARTS; i++) {
		const uint8_t *e = mbr + 446 + 16 * i;

		if (e[4] == 0)
			continue;
		if (e[0] != 0 && e[0] != 0x80) {
			why_set(why, whylen, "no valid MBR (bad boot flag in entry %d)", i + 1);
			return -EINVAL;
		}
		err = add_part(out, (unsigned)i + 1, le32(e + 8), le32(e + 12), mbr_type(e[4]),
			       size, why, whylen);
		if (err)
			return err;
	}
	if (out->n == 0) {
		why_set(why, whylen, "the partition table is empty");
		return -EINVAL;
	}
	return 0;
}

enum fs_kind disk_probe_fs(int fd, const struct disk_part *p)
{
	uint8_t b[2048];

	if (p->size < sizeof(b) || pread_full(fd, b, sizeof(b), p->start) != 0)
		return FS_UNKNOWN;
	if (b[1024 + 56] == 0x53 && b[1024 + 57] == 0xef)
		return FS_EXT;
	if (memcmp(b, "XFSB", 4) == 0)
		return FS_XFS;
	if (b[510] == 0x55 && b[511] == 0xaa &&
	    (memcmp(b + 54, "FAT", 3) == 0 || memcmp(b + 82, "FAT", 3) == 0))
		return FS_FAT;
	return FS_UNKNOWN;
}

void disk_find_boot_root(int fd, const struct disk_layout *l, const struct disk_part **boot,
			 const struct disk_part **root)
{
	*boot = NULL;
	*root = NULL;
	for (size_t i = 0; i < l->n; i++) {
		const struct disk_part *p = &l->parts[i];
		enum fs_kind k = disk_probe_fs(fd, p);

		if (k == FS_FAT && !*boot)
			*boot = p;
		else if ((k == FS_EXT || k == FS_XFS) && (!*root || p->size > (*root)->size))
			*root = p;
	}
}
