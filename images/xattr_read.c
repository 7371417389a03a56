/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes, parsed here: libsquashfuse 0.1.105 swaps the
 * "trusted." and "security." prefixes and copies names by on-disk length.
 *
 * An inode's xattr index selects an id entry (location, count, size) in the
 * xattr id table. At that location follow @count pairs: (type, name length,
 * name without prefix) then (value length, value). With the out-of-line bit
 * in the type, the value is a 64-bit reference to a value stored elsewhere.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "images/image_priv.h"

#define XATTR_NAME_LIMIT  255u
#define XATTR_VALUE_LIMIT 65536u

struct xattr_pos {
	uint32_t left;
	sqfs_md_cursor cur;
};

struct xattr_ent {
	char name[XATTR_NAME_LIMIT + 1]; /* with prefix */
	size_t name_len;
	uint32_t vsize;
	sqfs_md_cursor value; /* at the value bytes */
};

static const char *const prefixes[] = {"user.", "trusted.", "security."};

static int xref_cursor(sqfs *fs, uint64_t ref, sqfs_md_cursor *cur)
{
	uint64_t base = fs->xattr_info.xattr_table_start;

	if (base >= fs->sb.xattr_id_table_start ||
	    (ref >> 16) >= fs->sb.xattr_id_table_start - base)
		return -EIO;
	sqfs_md_cursor_inode(cur, ref, (sqfs_off_t)base);
	return md_cursor_ok(fs, cur);
}

static int xattr_open(sqfs *fs, const sqfs_inode *inode, struct xattr_pos *p)
{
	struct squashfs_xattr_id xid;

	p->left = 0;
	if (inode->xattr == IMG_NO_XATTR)
		return 0;
	if (xattr_id_get(fs, inode->xattr, &xid))
		return -EIO;
	p->left = xid.count;
	return xref_cursor(fs, xid.xattr, &p->cur);
}

/* 1 with @e filled and @p past the pair, 0 at the end, -EIO. */
static int xattr_next(sqfs *fs, struct xattr_pos *p, struct xattr_ent *e)
{
	struct squashfs_xattr_entry ent;
	unsigned type;
	size_t plen, nlen;
	uint32_t vsize;
	bool ool;

	if (!p->left)
		return 0;
	p->left--;
	if (md_read(fs, &p->cur, &ent, sizeof(ent)))
		return -EIO;
	type = le16toh(ent.type);
	ool = type & SQUASHFS_XATTR_VALUE_OOL;
	type &= SQUASHFS_XATTR_PREFIX_MASK;
	nlen = le16toh(ent.size);
	if (type > SQUASHFS_XATTR_SECURITY)
		return -EIO;
	plen = strlen(prefixes[type]);
	if (plen + nlen > XATTR_NAME_LIMIT)
		return -EIO;
	memcpy(e->name, prefixes[type], plen);
	if (md_read(fs, &p->cur, e->name + plen, nlen))
		return -EIO;
	e->name_len = plen + nlen;
	e->name[e->name_len] = '\0';
	if (strlen(e->name) != e->name_len)
		return -EIO;
	if (md_read(fs, &p->cur, &vsize, sizeof(vsize)))
		return -EIO;
	vsize = le32toh(vsize);
	if (ool) {
		uint64_t ref;

		if (vsize != sizeof(ref) || md_read(fs, &p->cur, &ref, sizeof(ref)))
			return -EIO;
		if (xref_cursor(fs, le64toh(ref), &e->value))
			return -EIO;
		if (md_read(fs, &e->value, &vsize, sizeof(vsize)))
			return -EIO;
		vsize = le32toh(vsize);
	} else {
		if (vsize > XATTR_VALUE_LIMIT)
			return -EIO;
		e->value = p->cur;
		if (md_read(fs, &p->cur, NULL, vsize))
			return -EIO;
	}
	if (vsize > XATTR_VALUE_LIMIT)
		return -EIO;
	e->vsize = vsize;
	return 1;
}

ssize_t xattr_list(sqfs *fs, const sqfs_inode *inode, char *buf, size_t size)
{
	struct xattr_pos p;
	struct xattr_ent e;
	size_t total = 0;
	int r;

	if (xattr_open(fs, inode, &p))
		return -EIO;
	while ((r = xattr_next(fs, &p, &e)) > 0) {
		if (size) {
			if (total + e.name_len + 1 > size)
				return -ERANGE;
			memcpy(buf + total, e.name, e.name_len + 1);
		}
		total += e.name_len + 1;
	}
	return r < 0 ? r : (ssize_t)total;
}

ssize_t xattr_get(sqfs *fs, const sqfs_inode *inode, const char *name, void *buf, size_t size)
{
	struct xattr_pos p;
	struct xattr_ent e;
	int r;

	if (xattr_open(fs, inode, &p))
		return -EIO;
	while ((r = xattr_next(fs, &p, &e)) > 0) {
		if (strcmp(e.name, name))
			continue;
		if (!size)
			return e.vsize;
		if (e.vsize > size)
			return -ERANGE;
		if (md_read(fs, &e.value, buf, e.vsize))
			return -EIO;
		return e.vsize;
	}
	return r < 0 ? r : -ENODATA;
}

int xattr_check(sqfs *fs, const sqfs_inode *inode)
{
	struct xattr_pos p;
	struct xattr_ent e;
	char *val;
	int r;

	if (xattr_open(fs, inode, &p))
		return -EIO;
	val = malloc(XATTR_VALUE_LIMIT);
	if (!val)
		return -ENOMEM;
	while ((r = xattr_next(fs, &p, &e)) > 0) {
		if (md_read(fs, &e.value, val, e.vsize)) {
			r = -EIO;
			break;
		}
	}
	free(val);
	return r < 0 ? r : 0;
}
