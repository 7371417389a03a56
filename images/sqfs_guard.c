/* SPDX-License-Identifier: MIT */
/*
 * Range checks in front of libsquashfuse calls that would otherwise index
 * tables or metadata blocks with values read from an untrusted image, and
 * the small conversions every layer above uses (type, stat).
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "images/image_priv.h"

int file_ident_of(int fd, struct file_ident *id)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	id->ino = st.st_ino;
	id->size = (uint64_t)st.st_size;
	id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

/* libsquashfuse 0.1.105 forgets the xattr id table in sqfs_destroy() and
 * on sqfs_init() failure; sqfs_table_destroy() NULLs what it frees, so
 * calling it again is safe with versions that do free it. libsquashfuse's
 * own metadata cache stays empty: every metadata read of this library goes
 * through md_block_get() and the hashed cache beside the sqfs. */
int img_sqfs_init(struct img_sqfs *s, int fd)
{
	int err;

	if (sqfs_init(&s->fs, fd, 0) != SQFS_OK) {
		sqfs_table_destroy(&s->fs.xattr_table);
		return -EIO;
	}
	err = md_cache_init(&s->md, MD_CACHE_SETS);
	if (err) {
		img_sqfs_destroy(s); /* an empty cache is destroyed as a no-op */
		return err;
	}
	img_use_fast_inflate(&s->fs);
	return 0;
}

void img_sqfs_destroy(struct img_sqfs *s)
{
	md_cache_destroy(&s->md);
	sqfs_destroy(&s->fs);
	sqfs_table_destroy(&s->fs.xattr_table);
}

mode_t img_type_mode(int type)
{
	switch (type) {
	case SQUASHFS_DIR_TYPE:
		return S_IFDIR;
	case SQUASHFS_REG_TYPE:
		return S_IFREG;
	case SQUASHFS_SYMLINK_TYPE:
		return S_IFLNK;
	case SQUASHFS_BLKDEV_TYPE:
		return S_IFBLK;
	case SQUASHFS_CHRDEV_TYPE:
		return S_IFCHR;
	case SQUASHFS_FIFO_TYPE:
		return S_IFIFO;
	case SQUASHFS_SOCKET_TYPE:
		return S_IFSOCK;
	default:
		return 0;
	}
}

/*
 * The metadata block at @pos, from the cache of the img_sqfs around @fs.
 * Nothing but the superblock lives below IMG_SB_SIZE, so no metadata block
 * may start there, nor at or past bytes_used.
 */
int md_block_get(sqfs *fs, uint64_t pos, sqfs_block **block, uint64_t *next)
{
	struct img_sqfs *s = (struct img_sqfs *)((char *)fs - offsetof(struct img_sqfs, fs));
	uint64_t after;

	if (pos < IMG_SB_SIZE || pos >= fs->sb.bytes_used)
		return -EIO;
	if (md_cache_get(&s->md, fs, pos, block, &after))
		return -EIO;
	if (next)
		*next = after;
	return 0;
}

/*
 * sqfs_md_read() computes "block size - cursor offset" unsigned: a cursor
 * past the end of a short block would copy from far beyond it. Loading the
 * block here (it lands in the cache md_read() uses) lets us check.
 * Later blocks of a read always start at offset 0, so only the first matters.
 */
int md_cursor_ok(sqfs *fs, const sqfs_md_cursor *cur)
{
	sqfs_block *block;

	if (cur->block < 0 || cur->offset >= IMG_MD_SIZE)
		return -EIO;
	if (md_block_get(fs, (uint64_t)cur->block, &block, NULL))
		return -EIO;
	if (cur->offset > block->size)
		return -EIO;
	return 0;
}

/* sqfs_md_read() with every block checked as it is reached; @buf may be NULL
 * to skip @size bytes. */
int md_read(sqfs *fs, sqfs_md_cursor *cur, void *buf, size_t size)
{
	while (size > 0) {
		sqfs_block *block;
		uint64_t next;
		size_t take;

		if (cur->block < 0 || md_block_get(fs, (uint64_t)cur->block, &block, &next) ||
		    cur->offset > block->size)
			return -EIO;
		take = block->size - cur->offset;
		if (take > size)
			take = size;
		if (buf) {
			memcpy(buf, (char *)block->data + cur->offset, take);
			buf = (char *)buf + take;
		}
		size -= take;
		cur->offset += take;
		if (cur->offset == block->size) {
			cur->block = (sqfs_off_t)next;
			cur->offset = 0;
		}
	}
	return 0;
}

/* Entry @idx of a table of @count entries, read through checked blocks
 * rather than sqfs_table_get(), which trusts the index and block sizes. */
static int table_get(sqfs *fs, const sqfs_table *t, uint64_t count, uint64_t idx, void *buf)
{
	uint64_t pos = idx * t->each;
	sqfs_block *block;
	size_t off = pos % IMG_MD_SIZE;

	if (idx >= count || !t->blocks)
		return -EIO;
	if (md_block_get(fs, t->blocks[pos / IMG_MD_SIZE], &block, NULL))
		return -EIO;
	if (block->size < off || block->size - off < t->each)
		return -EIO;
	memcpy(buf, (char *)block->data + off, t->each);
	return 0;
}

int id_lookup(sqfs *fs, uint16_t idx, uint32_t *out)
{
	uint32_t id;

	if (table_get(fs, &fs->id_table, fs->sb.no_ids, idx, &id))
		return -EIO;
	*out = le32toh(id);
	return 0;
}

int export_lookup(sqfs *fs, uint32_t num, sqfs_inode_id *id)
{
	uint64_t ref;

	if (!sqfs_export_ok(fs))
		return -ENOTSUP;
	if (num == 0 || num > fs->sb.inodes)
		return -ESTALE;
	if (table_get(fs, &fs->export_table, fs->sb.inodes, num - 1, &ref))
		return -EIO;
	*id = le64toh(ref);
	return 0;
}

int frag_entry_get(sqfs *fs, uint32_t idx, struct squashfs_fragment_entry *fe)
{
	if (table_get(fs, &fs->frag_table, fs->sb.fragments, idx, fe))
		return -EIO;
	fe->start_block = le64toh(fe->start_block);
	fe->size = le32toh(fe->size);
	return 0;
}

int xattr_id_get(sqfs *fs, uint32_t idx, struct squashfs_xattr_id *xid)
{
	if (fs->sb.xattr_id_table_start == IMG_NO_TABLE ||
	    table_get(fs, &fs->xattr_table, fs->xattr_info.xattr_ids, idx, xid))
		return -EIO;
	xid->xattr = le64toh(xid->xattr);
	xid->count = le32toh(xid->count);
	xid->size = le32toh(xid->size);
	return 0;
}

/* Each index block of a table must decompress to a full metadata block,
 * the last one at least to what remains of the table. */
static int table_blocks_check(sqfs *fs, const sqfs_table *t, size_t each, uint64_t count,
			      const char *what, char *why, size_t whylen)
{
	uint64_t bytes = each * count;
	size_t n = sqfs_divceil(bytes, IMG_MD_SIZE);

	for (size_t i = 0; i < n; i++) {
		uint64_t need = bytes - (uint64_t)i * IMG_MD_SIZE;
		sqfs_block *block;

		if (need > IMG_MD_SIZE)
			need = IMG_MD_SIZE;
		if (md_block_get(fs, t->blocks[i], &block, NULL)) {
			why_set(why, whylen, "%s table block %zu is unreadable", what, i);
			return -EIO;
		}
		if (block->size < need) {
			why_set(why, whylen, "%s table block %zu is short (%zu bytes)", what, i,
				block->size);
			return -EIO;
		}
	}
	return 0;
}

int tables_check(sqfs *fs, char *why, size_t whylen)
{
	int err;

	err = table_blocks_check(fs, &fs->id_table, sizeof(uint32_t), fs->sb.no_ids, "id", why,
				 whylen);
	if (!err)
		err = table_blocks_check(fs, &fs->frag_table,
					 sizeof(struct squashfs_fragment_entry), fs->sb.fragments,
					 "fragment", why, whylen);
	if (!err && sqfs_export_ok(fs))
		err = table_blocks_check(fs, &fs->export_table, sizeof(uint64_t), fs->sb.inodes,
					 "export", why, whylen);
	if (!err && fs->sb.xattr_id_table_start != IMG_NO_TABLE)
		err = table_blocks_check(fs, &fs->xattr_table, sizeof(struct squashfs_xattr_id),
					 fs->xattr_info.xattr_ids, "xattr id", why, whylen);
	return err;
}

int inode_to_stat(sqfs *fs, const sqfs_inode *inode, struct stat *st)
{
	uint32_t uid, gid;

	if (id_lookup(fs, inode->base.uid, &uid) || id_lookup(fs, inode->base.guid, &gid))
		return -EIO;
	memset(st, 0, sizeof(*st));
	st->st_ino = inode->base.inode_number;
	st->st_mode = inode->base.mode;
	st->st_nlink = inode->nlink > 0 ? (nlink_t)inode->nlink : 1;
	st->st_uid = uid;
	st->st_gid = gid;
	st->st_mtime = (time_t)inode->base.mtime;
	st->st_atime = st->st_mtime;
	st->st_ctime = st->st_mtime;
	st->st_blksize = (blksize_t)fs->sb.block_size;
	switch (inode->base.mode & S_IFMT) {
	case S_IFREG:
		st->st_size = (off_t)inode->xtra.reg.file_size;
		break;
	case S_IFDIR:
		st->st_size = (off_t)inode->xtra.dir.dir_size;
		break;
	case S_IFLNK:
		st->st_size = (off_t)inode->xtra.symlink_size;
		break;
	case S_IFBLK:
	case S_IFCHR:
		st->st_rdev = makedev(inode->xtra.dev.major, inode->xtra.dev.minor);
		break;
	default:
		break;
	}
	st->st_blocks = (blkcnt_t)((st->st_size + 511) / 512);
	return 0;
}
