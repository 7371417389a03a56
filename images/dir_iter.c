/* SPDX-License-Identifier: MIT */
/*
 * Directory listings, parsed here rather than by libsquashfuse so every
 * on-disk length is checked before it is used.
 *
 * A listing is a run of headers (count-1, start block, base inode number),
 * each followed by up to 256 entries (inode offset, inode number delta,
 * type, name length-1, name). An entry's offset is its byte position in the
 * listing; that is stable for the image file, so it is the readdir cookie.
 * Large directories carry an index (listing offset, metadata block, first
 * name) right after their inode, used to skip ahead.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "images/image_priv.h"

#define DIR_HEADER_SIZE 12u
#define DIR_ENTRY_SIZE	8u
#define DIR_MAX_COUNT	256u
#define DIR_INDEX_SIZE	12u

int dir_iter_open(sqfs *fs, const sqfs_inode *dir, struct dir_iter *it)
{
	uint64_t size = dir->xtra.dir.dir_size;

	if (!S_ISDIR(dir->base.mode))
		return -ENOTDIR;
	memset(it, 0, sizeof(*it));
	/* The stored size counts 3 bytes for "." and ".." that are not there. */
	it->total = size > 3 ? size - 3 : 0;
	it->dir_offset = dir->xtra.dir.offset;
	it->cur.block = (sqfs_off_t)(fs->sb.directory_table_start + dir->xtra.dir.start_block);
	it->cur.offset = dir->xtra.dir.offset;
	if (it->total && (uint64_t)it->cur.block >= fs->sb.bytes_used)
		return -EIO;
	if (it->total && md_cursor_ok(fs, &it->cur))
		return -EIO;
	return 0;
}

/*
 * Walk the index and stop before the first entry for which @past() says
 * it lies beyond the target. Jump to the header of the last one kept.
 */
typedef bool (*index_past_fn)(const void *arg, uint32_t index, const char *name);

static int dir_iter_seek(sqfs *fs, const sqfs_inode *dir, struct dir_iter *it, index_past_fn past,
			 const void *arg)
{
	sqfs_md_cursor cur = dir->next;
	uint32_t n = dir->xtra.dir.idx_count;
	uint64_t last = 0;
	int err;

	err = dir_iter_open(fs, dir, it);
	if (err || !n || !it->total)
		return err;
	for (uint32_t i = 0; i < n; i++) {
		struct squashfs_dir_index idx;
		char name[SQUASHFS_NAME_LEN + 1];
		uint32_t len;

		if (md_read(fs, &cur, &idx, DIR_INDEX_SIZE))
			return -EIO;
		idx.index = le32toh(idx.index);
		idx.start_block = le32toh(idx.start_block);
		len = le32toh(idx.size) + 1;
		if (len > SQUASHFS_NAME_LEN || idx.index >= it->total || idx.index < last)
			return -EIO;
		if (md_read(fs, &cur, name, len))
			return -EIO;
		name[len] = '\0';
		if (past(arg, idx.index, name))
			break;
		last = idx.index;
		it->cur.block = (sqfs_off_t)(fs->sb.directory_table_start + idx.start_block);
		it->cur.offset = (it->dir_offset + idx.index) % IMG_MD_SIZE;
		it->pos = idx.index;
		it->count = 0;
		it->prev[0] = '\0';
	}
	return md_cursor_ok(fs, &it->cur);
}

static bool past_off(const void *arg, uint32_t index, const char *name)
{
	(void)name;
	return index > *(const uint64_t *)arg;
}

static bool past_name(const void *arg, uint32_t index, const char *name)
{
	(void)index;
	return strcmp(name, arg) > 0;
}

int dir_iter_seek_off(sqfs *fs, const sqfs_inode *dir, struct dir_iter *it, uint64_t off)
{
	return dir_iter_seek(fs, dir, it, past_off, &off);
}

int dir_iter_seek_name(sqfs *fs, const sqfs_inode *dir, struct dir_iter *it, const char *name)
{
	return dir_iter_seek(fs, dir, it, past_name, name);
}

int dir_iter_next(sqfs *fs, struct dir_iter *it, struct dir_ent *e)
{
	struct squashfs_dir_entry de;
	uint64_t start = it->pos;
	size_t len;

	if (it->count == 0) {
		struct squashfs_dir_header h;

		if (it->pos >= it->total)
			return 0;
		if (it->total - it->pos < DIR_HEADER_SIZE ||
		    md_read(fs, &it->cur, &h, DIR_HEADER_SIZE))
			return -EIO;
		it->pos += DIR_HEADER_SIZE;
		it->count = le32toh(h.count) + 1;
		it->start_block = le32toh(h.start_block);
		it->base_ino = le32toh(h.inode_number);
		if (it->count > DIR_MAX_COUNT)
			return -EIO;
	}
	if (it->total - it->pos < DIR_ENTRY_SIZE || md_read(fs, &it->cur, &de, DIR_ENTRY_SIZE))
		return -EIO;
	it->pos += DIR_ENTRY_SIZE;
	it->count--;
	len = (size_t)le16toh(de.size) + 1;
	if (len > SQUASHFS_NAME_LEN || it->total - it->pos < len ||
	    md_read(fs, &it->cur, e->name, len))
		return -EIO;
	it->pos += len;
	e->name[len] = '\0';
	/* A name must be a single path component. */
	if (strlen(e->name) != len || strchr(e->name, '/') || !strcmp(e->name, ".") ||
	    !strcmp(e->name, ".."))
		return -EIO;
	/* Sorted and unique, as mksquashfs writes them (and lookups assume):
	 * a duplicate name would read as two different files. */
	if (it->prev[0] && strcmp(e->name, it->prev) <= 0)
		return -EIO;
	memcpy(it->prev, e->name, len + 1);
	e->name_len = len;
	e->type = img_type_mode(le16toh(de.type));
	if (!e->type || le16toh(de.offset) >= IMG_MD_SIZE)
		return -EIO;
	e->id = ((sqfs_inode_id)it->start_block << 16) | le16toh(de.offset);
	e->ino = it->base_ino + (uint32_t)(int32_t)(int16_t)le16toh(de.inode_number);
	e->off = start;
	e->next_off = it->pos;
	return 1;
}

int dir_find(sqfs *fs, const sqfs_inode *dir, const char *name, struct dir_ent *e)
{
	struct dir_iter it;
	int r;

	r = dir_iter_seek_name(fs, dir, &it, name);
	if (r)
		return r;
	while ((r = dir_iter_next(fs, &it, e)) > 0) {
		int c = strcmp(e->name, name);

		if (c == 0)
			return 0;
		if (c > 0)
			return -ENOENT; /* listings are sorted */
	}
	return r < 0 ? r : -ENOENT;
}
