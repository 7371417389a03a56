/* SPDX-License-Identifier: MIT */
/*
 * Inodes, range-checked and parsed here, through md_read(), rather than by
 * sqfs_inode_get():
 * that one reads through libsquashfuse's own metadata cache, a linear
 * search, which md_cache.c replaces. The result is what sqfs_inode_get()
 * gives, which the rest of this library relies on: the basic and extended
 * variants of a type filled alike, the full type's S_IF* bits in the mode,
 * and @next just past the type's fixed part (the block list of a file,
 * the index of a large directory, the target of a symlink).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "images/image_priv.h"

union inode_raw {
	struct squashfs_base_inode base;
	struct squashfs_reg_inode reg;
	struct squashfs_lreg_inode lreg;
	struct squashfs_dir_inode dir;
	struct squashfs_ldir_inode ldir;
	struct squashfs_symlink_inode sym;
	struct squashfs_dev_inode dev;
	struct squashfs_ldev_inode ldev;
	struct squashfs_ipc_inode ipc;
	struct squashfs_lipc_inode lipc;
};

/* Bytes of each inode type, base included; 0 for no such type. */
static size_t raw_size(unsigned type)
{
	switch (type) {
	case SQUASHFS_REG_TYPE:
		return sizeof(struct squashfs_reg_inode);
	case SQUASHFS_LREG_TYPE:
		return sizeof(struct squashfs_lreg_inode);
	case SQUASHFS_DIR_TYPE:
		return sizeof(struct squashfs_dir_inode);
	case SQUASHFS_LDIR_TYPE:
		return sizeof(struct squashfs_ldir_inode);
	case SQUASHFS_SYMLINK_TYPE:
	case SQUASHFS_LSYMLINK_TYPE:
		return sizeof(struct squashfs_symlink_inode);
	case SQUASHFS_BLKDEV_TYPE:
	case SQUASHFS_CHRDEV_TYPE:
		return sizeof(struct squashfs_dev_inode);
	case SQUASHFS_LBLKDEV_TYPE:
	case SQUASHFS_LCHRDEV_TYPE:
		return sizeof(struct squashfs_ldev_inode);
	case SQUASHFS_FIFO_TYPE:
	case SQUASHFS_SOCKET_TYPE:
		return sizeof(struct squashfs_ipc_inode);
	case SQUASHFS_LFIFO_TYPE:
	case SQUASHFS_LSOCKET_TYPE:
		return sizeof(struct squashfs_lipc_inode);
	default:
		return 0;
	}
}

/* The kernel's split of a device number: 12-bit major between the minor's
 * low 8 and high 12 bits. */
static void dev_set(sqfs_inode *inode, uint32_t rdev)
{
	inode->xtra.dev.major = (int)((rdev >> 8) & 0xfff);
	inode->xtra.dev.minor = (int)((rdev & 0xff) | ((rdev >> 12) & 0xfff00));
}

/* A long symlink keeps its xattr index after the target. */
static int symlink_xattr(sqfs *fs, sqfs_inode *inode)
{
	sqfs_md_cursor cur = inode->next;
	uint32_t xattr;

	if (md_read(fs, &cur, NULL, inode->xtra.symlink_size) ||
	    md_read(fs, &cur, &xattr, sizeof(xattr)))
		return -EIO;
	inode->xattr = le32toh(xattr);
	return 0;
}

static int fill(sqfs *fs, sqfs_inode *inode, const union inode_raw *x)
{
	switch (inode->base.inode_type) {
	case SQUASHFS_REG_TYPE:
		inode->nlink = 1;
		inode->xtra.reg.start_block = le32toh(x->reg.start_block);
		inode->xtra.reg.file_size = le32toh(x->reg.file_size);
		inode->xtra.reg.frag_idx = le32toh(x->reg.fragment);
		inode->xtra.reg.frag_off = le32toh(x->reg.offset);
		return 0;
	case SQUASHFS_LREG_TYPE:
		inode->nlink = (int)le32toh(x->lreg.nlink);
		inode->xtra.reg.start_block = le64toh(x->lreg.start_block);
		inode->xtra.reg.file_size = le64toh(x->lreg.file_size);
		inode->xtra.reg.frag_idx = le32toh(x->lreg.fragment);
		inode->xtra.reg.frag_off = le32toh(x->lreg.offset);
		inode->xattr = le32toh(x->lreg.xattr);
		return 0;
	case SQUASHFS_DIR_TYPE:
		inode->nlink = (int)le32toh(x->dir.nlink);
		inode->xtra.dir.start_block = le32toh(x->dir.start_block);
		inode->xtra.dir.offset = le16toh(x->dir.offset);
		inode->xtra.dir.dir_size = le16toh(x->dir.file_size);
		inode->xtra.dir.parent_inode = le32toh(x->dir.parent_inode);
		return 0;
	case SQUASHFS_LDIR_TYPE:
		inode->nlink = (int)le32toh(x->ldir.nlink);
		inode->xtra.dir.start_block = le32toh(x->ldir.start_block);
		inode->xtra.dir.offset = le16toh(x->ldir.offset);
		inode->xtra.dir.dir_size = le32toh(x->ldir.file_size);
		inode->xtra.dir.idx_count = le16toh(x->ldir.i_count);
		inode->xtra.dir.parent_inode = le32toh(x->ldir.parent_inode);
		inode->xattr = le32toh(x->ldir.xattr);
		return 0;
	case SQUASHFS_SYMLINK_TYPE:
	case SQUASHFS_LSYMLINK_TYPE:
		inode->nlink = (int)le32toh(x->sym.nlink);
		inode->xtra.symlink_size = le32toh(x->sym.symlink_size);
		if (inode->base.inode_type == SQUASHFS_LSYMLINK_TYPE)
			return symlink_xattr(fs, inode);
		return 0;
	case SQUASHFS_BLKDEV_TYPE:
	case SQUASHFS_CHRDEV_TYPE:
		inode->nlink = (int)le32toh(x->dev.nlink);
		dev_set(inode, le32toh(x->dev.rdev));
		return 0;
	case SQUASHFS_LBLKDEV_TYPE:
	case SQUASHFS_LCHRDEV_TYPE:
		inode->nlink = (int)le32toh(x->ldev.nlink);
		dev_set(inode, le32toh(x->ldev.rdev));
		inode->xattr = le32toh(x->ldev.xattr);
		return 0;
	case SQUASHFS_FIFO_TYPE:
	case SQUASHFS_SOCKET_TYPE:
		inode->nlink = (int)le32toh(x->ipc.nlink);
		return 0;
	default: /* the long fifo and socket: raw_size() knows no others */
		inode->nlink = (int)le32toh(x->lipc.nlink);
		inode->xattr = le32toh(x->lipc.xattr);
		return 0;
	}
}

static int inode_read(sqfs *fs, sqfs_inode_id id, sqfs_inode *inode)
{
	union inode_raw x;
	size_t size;

	memset(inode, 0, sizeof(*inode));
	inode->xattr = IMG_NO_XATTR;
	sqfs_md_cursor_inode(&inode->next, id, (sqfs_off_t)fs->sb.inode_table_start);
	if (md_read(fs, &inode->next, &x.base, sizeof(x.base)))
		return -EIO;
	inode->base.inode_type = le16toh(x.base.inode_type);
	size = raw_size(inode->base.inode_type);
	if (!size || md_read(fs, &inode->next, (char *)&x + sizeof(x.base), size - sizeof(x.base)))
		return -EIO;
	inode->base.mode = (uint16_t)(le16toh(x.base.mode) | sqfs_mode(inode->base.inode_type));
	inode->base.uid = le16toh(x.base.uid);
	inode->base.guid = le16toh(x.base.guid);
	inode->base.mtime = le32toh(x.base.mtime);
	inode->base.inode_number = le32toh(x.base.inode_number);
	return fill(fs, inode, &x);
}

/* A regular file's block list (4 bytes a block) lies in the inode table,
 * whose blocks inflate to at most 8 KiB each from at least 3 bytes. */
static bool file_size_ok(sqfs *fs, const sqfs_inode *inode)
{
	uint64_t size = inode->xtra.reg.file_size;
	uint64_t table = fs->sb.directory_table_start - fs->sb.inode_table_start;

	return size <= INT64_MAX &&
	       size / fs->sb.block_size <= (table / 3 + 1) * (IMG_MD_SIZE / sizeof(uint32_t));
}

int inode_load(sqfs *fs, sqfs_inode_id id, sqfs_inode *inode)
{
	sqfs_md_cursor cur;
	uint64_t blk = id >> 16;

	if (id >> 48 || blk >= fs->sb.directory_table_start - fs->sb.inode_table_start)
		return -EIO;
	sqfs_md_cursor_inode(&cur, id, fs->sb.inode_table_start);
	if (md_cursor_ok(fs, &cur))
		return -EIO;
	if (inode_read(fs, id, inode))
		return -EIO;
	if (inode->base.inode_number == 0 || inode->base.inode_number > fs->sb.inodes)
		return -EIO;
	if (S_ISREG(inode->base.mode)) {
		uint32_t frag = inode->xtra.reg.frag_idx;

		if (frag != IMG_NO_FRAG && frag >= fs->sb.fragments)
			return -EIO;
		if (inode->xtra.reg.start_block > fs->sb.bytes_used || !file_size_ok(fs, inode))
			return -EIO;
	}
	if (inode->xattr != IMG_NO_XATTR && inode->xattr >= fs->xattr_info.xattr_ids)
		return -EIO;
	return 0;
}
