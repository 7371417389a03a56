/* SPDX-License-Identifier: MIT */
/*
 * image_validate: is this file a squashfs we can serve safely?
 *
 * Everything libsquashfuse will later trust is checked first: the
 * superblock fields, that the tables lie inside bytes_used, that their
 * blocks decompress to full size, and that the root inode reads.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "images/image_priv.h"

#define SB_SIZE	      IMG_SB_SIZE
#define MIN_BLOCK     4096u
#define MAX_BLOCK     1048576u
#define MAX_BLOCK_LOG 20u
#define PAD_UNIT      1024u /* mksquashfs pads to 4 KiB, other tools to >= 1 KiB */
#define XATTR_ID_HEAD sizeof(struct squashfs_xattr_id_table)

const char *compression_label(unsigned id)
{
	switch (id) {
	case ZLIB_COMPRESSION:
		return "gzip";
	case LZMA_COMPRESSION:
		return "lzma";
	case LZO_COMPRESSION:
		return "lzo";
	case XZ_COMPRESSION:
		return "xz";
	case LZ4_COMPRESSION:
		return "lz4";
	case ZSTD_COMPRESSION:
		return "zstd";
	default:
		return "unknown";
	}
}

static void sb_to_host(struct squashfs_super_block *sb)
{
	sb->s_magic = le32toh(sb->s_magic);
	sb->inodes = le32toh(sb->inodes);
	sb->mkfs_time = le32toh(sb->mkfs_time);
	sb->block_size = le32toh(sb->block_size);
	sb->fragments = le32toh(sb->fragments);
	sb->compression = le16toh(sb->compression);
	sb->block_log = le16toh(sb->block_log);
	sb->flags = le16toh(sb->flags);
	sb->no_ids = le16toh(sb->no_ids);
	sb->s_major = le16toh(sb->s_major);
	sb->s_minor = le16toh(sb->s_minor);
	sb->root_inode = le64toh(sb->root_inode);
	sb->bytes_used = le64toh(sb->bytes_used);
	sb->id_table_start = le64toh(sb->id_table_start);
	sb->xattr_id_table_start = le64toh(sb->xattr_id_table_start);
	sb->inode_table_start = le64toh(sb->inode_table_start);
	sb->directory_table_start = le64toh(sb->directory_table_start);
	sb->fragment_table_start = le64toh(sb->fragment_table_start);
	sb->lookup_table_start = le64toh(sb->lookup_table_start);
}

/* An index of @count entries of @each bytes starting at @start fits. */
static bool index_fits(uint64_t start, uint64_t each, uint64_t count, uint64_t end)
{
	uint64_t blocks = (each * count + IMG_MD_SIZE - 1) / IMG_MD_SIZE;

	return start >= SB_SIZE && start < end && blocks * 8 <= end - start;
}

int superblock_check(const struct squashfs_super_block *sb, uint64_t file_size, char *why,
		     size_t whylen)
{
	uint64_t used = sb->bytes_used;

	if (sb->s_magic != SQUASHFS_MAGIC) {
		why_set(why, whylen, "bad magic 0x%08" PRIx32 ": not a squashfs image",
			sb->s_magic);
		return -EINVAL;
	}
	if (sb->s_major != SQUASHFS_MAJOR || sb->s_minor != SQUASHFS_MINOR) {
		why_set(why, whylen, "unsupported squashfs version %u.%u (need 4.0)", sb->s_major,
			sb->s_minor);
		return -ENOTSUP;
	}
	if (sb->block_size < MIN_BLOCK || sb->block_size > MAX_BLOCK ||
	    sb->block_log > MAX_BLOCK_LOG || (1u << sb->block_log) != sb->block_size) {
		why_set(why, whylen, "bad block size %" PRIu32 " (log %u)", sb->block_size,
			sb->block_log);
		return -EIO;
	}
	if (!sqfs_decompressor_get(sb->compression)) {
		why_set(why, whylen, "compression %s (id %u) is not supported by libsquashfuse",
			compression_label(sb->compression), sb->compression);
		return -ENOTSUP;
	}
	if (used > file_size) {
		why_set(why, whylen,
			"truncated: file has %" PRIu64 " bytes, superblock says %" PRIu64
			" are used",
			file_size, used);
		return -EIO;
	}
	if (file_size != used && file_size % PAD_UNIT) {
		why_set(why, whylen,
			"truncated: file size %" PRIu64 " is neither bytes used (%" PRIu64
			") nor padded to a multiple of 1 KiB",
			file_size, used);
		return -EIO;
	}
	if (sb->inodes == 0 || sb->no_ids == 0) {
		why_set(why, whylen, "superblock claims %" PRIu32 " inodes and %u ids", sb->inodes,
			sb->no_ids);
		return -EIO;
	}
	if (sb->inode_table_start < SB_SIZE || sb->inode_table_start >= sb->directory_table_start ||
	    sb->directory_table_start >= used) {
		why_set(why, whylen,
			"inode/directory tables lie outside the %" PRIu64 " bytes used", used);
		return -EIO;
	}
	if (!index_fits(sb->id_table_start, sizeof(uint32_t), sb->no_ids, used)) {
		why_set(why, whylen, "id table lies outside the %" PRIu64 " bytes used", used);
		return -EIO;
	}
	if (sb->fragments &&
	    !index_fits(sb->fragment_table_start, sizeof(struct squashfs_fragment_entry),
			sb->fragments, used)) {
		why_set(why, whylen, "fragment table lies outside the %" PRIu64 " bytes used",
			used);
		return -EIO;
	}
	if (sb->lookup_table_start != IMG_NO_TABLE &&
	    !index_fits(sb->lookup_table_start, sizeof(uint64_t), sb->inodes, used)) {
		why_set(why, whylen, "export table lies outside the %" PRIu64 " bytes used", used);
		return -EIO;
	}
	if (sb->xattr_id_table_start != IMG_NO_TABLE &&
	    (sb->xattr_id_table_start < SB_SIZE || sb->xattr_id_table_start >= used ||
	     used - sb->xattr_id_table_start < XATTR_ID_HEAD)) {
		why_set(why, whylen, "xattr table lies outside the %" PRIu64 " bytes used", used);
		return -EIO;
	}
	if ((sb->root_inode >> 16) >= sb->directory_table_start - sb->inode_table_start ||
	    (sb->root_inode & 0xffff) >= IMG_MD_SIZE) {
		why_set(why, whylen, "root inode reference 0x%" PRIx64 " is out of range",
			(uint64_t)sb->root_inode);
		return -EIO;
	}
	return 0;
}

/*
 * The xattr id table header, read here before sqfs_init() reads it and
 * allocates and reads an index sized by its entry count: the xattrs lie
 * past the superblock and before their id table, whose index fits.
 */
static int xattr_head_check(int fd, const struct squashfs_super_block *sb, char *why, size_t whylen)
{
	struct squashfs_xattr_id_table head;

	if (sb->xattr_id_table_start == IMG_NO_TABLE)
		return 0;
	if (pread(fd, &head, sizeof(head), (off_t)sb->xattr_id_table_start) != sizeof(head)) {
		why_set(why, whylen, "xattr id table is unreadable");
		return -EIO;
	}
	head.xattr_table_start = le64toh(head.xattr_table_start);
	head.xattr_ids = le32toh(head.xattr_ids);
	if (head.xattr_table_start < SB_SIZE ||
	    head.xattr_table_start >= sb->xattr_id_table_start ||
	    !index_fits(sb->xattr_id_table_start + XATTR_ID_HEAD, sizeof(struct squashfs_xattr_id),
			head.xattr_ids, sb->bytes_used)) {
		why_set(why, whylen,
			"xattr id table is inconsistent (xattrs at %" PRIu64 ", %" PRIu32 " ids)",
			(uint64_t)head.xattr_table_start, head.xattr_ids);
		return -EIO;
	}
	return 0;
}

int image_validate_fd(int fd, struct img_sqfs *s, struct image_info *info, char *why, size_t whylen)
{
	sqfs *fs = &s->fs;
	struct squashfs_super_block sb;
	struct file_ident ident;
	sqfs_inode root;
	struct stat root_st;
	ssize_t n;
	int err;

	err = file_ident_of(fd, &ident);
	if (err) {
		why_set(why, whylen, "stat: %s", strerror(-err));
		return err;
	}
	if (ident.size < SB_SIZE) {
		why_set(why, whylen, "too small for a squashfs superblock (%" PRIu64 " bytes)",
			ident.size);
		return -EINVAL;
	}
	n = pread(fd, &sb, SB_SIZE, 0);
	if (n != (ssize_t)SB_SIZE) {
		err = n < 0 ? -errno : -EIO;
		why_set(why, whylen, "cannot read the superblock: %s", strerror(-err));
		return err;
	}
	sb_to_host(&sb);
	err = superblock_check(&sb, ident.size, why, whylen);
	if (!err)
		err = xattr_head_check(fd, &sb, why, whylen);
	if (err)
		return err;

	if (img_sqfs_init(s, fd)) {
		why_set(why, whylen, "cannot read the filesystem tables");
		return -EIO;
	}
	err = tables_check(fs, why, whylen);
	if (!err && inode_load(fs, sqfs_inode_root(fs), &root)) {
		why_set(why, whylen, "root inode is unreadable");
		err = -EIO;
	}
	if (!err && !S_ISDIR(root.base.mode)) {
		why_set(why, whylen, "root inode is not a directory");
		err = -EIO;
	}
	if (!err && inode_to_stat(fs, &root, &root_st)) {
		why_set(why, whylen, "root inode's owner or group is not in the id table");
		err = -EIO;
	}
	if (err) {
		img_sqfs_destroy(s);
		return err;
	}
	if (info) {
		info->file_size = ident.size;
		info->bytes_used = sb.bytes_used;
		info->block_size = sb.block_size;
		info->inodes = sb.inodes;
		info->mkfs_time = (time_t)sb.mkfs_time;
		info->compression = compression_label(sb.compression);
		info->has_export_table = sqfs_export_ok(fs);
	}
	return 0;
}

int image_validate(const char *path, struct image_info *info, char *why, size_t whylen)
{
	struct img_sqfs s;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		why_set(why, whylen, "open: %s", strerror(-err));
		return err;
	}
	err = image_validate_fd(fd, &s, info, why, whylen);
	if (!err)
		img_sqfs_destroy(&s);
	close(fd);
	return err;
}
