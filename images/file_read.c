/* SPDX-License-Identifier: MIT */
/*
 * File data, block by block, with every size checked: libsquashfuse's
 * sqfs_read_range() trusts decompressed lengths and fragment offsets.
 *
 * A regular file is a list of data blocks (sizes stored after its inode)
 * and, optionally, a tail inside a shared fragment block.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "images/image_priv.h"

static int fault(struct blk_fault *f, bool frag, uint64_t block, uint64_t pos, const char *what)
{
	if (f) {
		f->fragment = frag;
		f->block = block;
		f->image_pos = pos;
		snprintf(f->what, sizeof(f->what), "%s", what);
	}
	return -EIO;
}

/* Move @bc to the size entry of block @blk of this file. */
static int cursor_seek(sqfs *fs, struct blk_cursor *bc, sqfs_inode_id id, const sqfs_inode *inode,
		       uint64_t blk, struct blk_fault *f)
{
	if (!bc->valid || bc->inode_id != id || bc->block > blk) {
		bc->valid = true;
		bc->inode_id = id;
		bc->block = 0;
		bc->cur = inode->next;
		bc->data_pos = inode->xtra.reg.start_block;
	}
	while (bc->block < blk) {
		uint32_t hdr;

		if (md_read(fs, &bc->cur, &hdr, sizeof(hdr))) {
			bc->valid = false;
			return fault(f, false, bc->block, bc->data_pos, "block list is unreadable");
		}
		bc->data_pos += le32toh(hdr) & ~SQUASHFS_COMPRESSED_BIT_BLOCK;
		bc->block++;
	}
	return 0;
}

/* A decompressed block: from the generation's shared cache when there is
 * one, else from @fs's own @own cache. Hand it back with block_put(). */
static int block_get(sqfs *fs, struct block_cache *shared, sqfs_cache *own, uint64_t pos,
		     uint32_t hdr, const sqfs_block **block, struct block_slot **slot)
{
	sqfs_block *b;

	*slot = NULL;
	if (shared)
		return block_cache_get(shared, fs, pos, hdr, block, slot);
	if (sqfs_data_cache(fs, own, (sqfs_off_t)pos, hdr, &b) != SQFS_OK)
		return -EIO;
	*block = b;
	return 0;
}

static void block_put(struct block_cache *shared, struct block_slot *slot, const sqfs_block *block)
{
	if (shared)
		block_cache_put(shared, slot, block);
}

static ssize_t block_copy(sqfs *fs, struct block_cache *shared, struct blk_cursor *bc,
			  sqfs_inode_id id, const sqfs_inode *inode, uint64_t blk, size_t skip,
			  char *buf, size_t len, struct blk_fault *f)
{
	uint64_t bs = fs->sb.block_size;
	uint64_t want = inode->xtra.reg.file_size - blk * bs;
	struct block_slot *slot;
	const sqfs_block *block;
	ssize_t n = (ssize_t)len;
	sqfs_md_cursor peek;
	uint32_t hdr, csize;
	char what[96];

	if (want > bs)
		want = bs;
	if (cursor_seek(fs, bc, id, inode, blk, f))
		return -EIO;
	peek = bc->cur;
	if (md_read(fs, &peek, &hdr, sizeof(hdr))) {
		bc->valid = false;
		return fault(f, false, blk, bc->data_pos, "block list is unreadable");
	}
	hdr = le32toh(hdr);
	csize = hdr & ~SQUASHFS_COMPRESSED_BIT_BLOCK;
	if (csize == 0) { /* sparse block */
		memset(buf, 0, len);
		return (ssize_t)len;
	}
	if (csize > bs || bc->data_pos < IMG_SB_SIZE || bc->data_pos > fs->sb.bytes_used ||
	    csize > fs->sb.bytes_used - bc->data_pos)
		return fault(f, false, blk, bc->data_pos, "block lies outside the image");
	if (block_get(fs, shared, &fs->data_cache, bc->data_pos, hdr, &block, &slot))
		return fault(f, false, blk, bc->data_pos, "cannot read or decompress");
	if (block->size != want) {
		snprintf(what, sizeof(what), "decompressed to %zu bytes, expected %" PRIu64,
			 block->size, want);
		n = fault(f, false, blk, bc->data_pos, what);
	} else {
		memcpy(buf, (char *)block->data + skip, len);
	}
	block_put(shared, slot, block);
	return n;
}

static ssize_t frag_copy(sqfs *fs, struct block_cache *shared, const sqfs_inode *inode,
			 uint64_t blk, size_t skip, char *buf, size_t len, struct blk_fault *f)
{
	uint64_t tail = inode->xtra.reg.file_size % fs->sb.block_size;
	uint32_t idx = inode->xtra.reg.frag_idx;
	struct squashfs_fragment_entry fe;
	struct block_slot *slot;
	const sqfs_block *block;
	ssize_t n = (ssize_t)len;
	uint32_t csize;

	if (idx == IMG_NO_FRAG || idx >= fs->sb.fragments)
		return fault(f, true, blk, 0, "missing fragment");
	if (frag_entry_get(fs, idx, &fe))
		return fault(f, true, blk, 0, "fragment table is unreadable");
	csize = fe.size & ~SQUASHFS_COMPRESSED_BIT_BLOCK;
	if (csize == 0 || csize > fs->sb.block_size || fe.start_block < IMG_SB_SIZE ||
	    fe.start_block > fs->sb.bytes_used || csize > fs->sb.bytes_used - fe.start_block)
		return fault(f, true, blk, fe.start_block, "fragment lies outside the image");
	if (block_get(fs, shared, &fs->frag_cache, fe.start_block, fe.size, &block, &slot))
		return fault(f, true, blk, fe.start_block, "cannot read or decompress fragment");
	if (inode->xtra.reg.frag_off > block->size || tail > block->size - inode->xtra.reg.frag_off)
		n = fault(f, true, blk, fe.start_block, "file tail lies outside its fragment");
	else
		memcpy(buf, (char *)block->data + inode->xtra.reg.frag_off + skip, len);
	block_put(shared, slot, block);
	return n;
}

ssize_t file_read(sqfs *fs, struct block_cache *shared, struct blk_cursor *bc, sqfs_inode_id id,
		  const sqfs_inode *inode, void *buf, size_t size, uint64_t off,
		  struct blk_fault *f)
{
	uint64_t file_size = inode->xtra.reg.file_size;
	uint64_t bs = fs->sb.block_size;
	bool has_frag = inode->xtra.reg.frag_idx != IMG_NO_FRAG;
	uint64_t nblocks = has_frag ? file_size / bs : (file_size + bs - 1) / bs;
	size_t done = 0;

	if (off >= file_size)
		return 0;
	if (size > file_size - off)
		size = (size_t)(file_size - off);
	while (done < size) {
		uint64_t pos = off + done;
		uint64_t blk = pos / bs;
		size_t skip = (size_t)(pos % bs);
		size_t len = (size_t)(bs - skip);
		ssize_t n;

		if (len > size - done)
			len = size - done;
		if (blk < nblocks)
			n = block_copy(fs, shared, bc, id, inode, blk, skip, (char *)buf + done,
				       len, f);
		else
			n = frag_copy(fs, shared, inode, blk, skip, (char *)buf + done, len, f);
		if (n < 0)
			return n;
		done += (size_t)n;
	}
	return (ssize_t)done;
}
