/* SPDX-License-Identifier: MIT */
/*
 * Decompressed metadata blocks (inode, directory, id, export, xattr tables)
 * of one reader, found by a hash of their position in the image.
 *
 * libsquashfuse 0.1.105's cache searches its entries one by one. With the
 * 512 entries a real tree needs (one lookup touches a directory, the
 * export table and the inode table) that search was 63 % of the CPU of
 * this library's image reading in a full walk (design.md, "Reading
 * squashfs", has the figures). Here a block's position picks one set of
 * MD_CACHE_WAYS slots: a lookup compares at most that many positions, and
 * a miss evicts the least recently used block of that set.
 *
 * Blocks are decompressed as they are first asked for, so an idle reader
 * holds only its slot table. A block returned stays valid until the next
 * md_cache_get() on the same cache. Like the sqfs beside it, a cache is
 * used by one thread at a time (its reader's lock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "images/image_priv.h"

int md_cache_init(struct md_cache *c, unsigned sets)
{
	memset(c, 0, sizeof(*c));
	if (!sets || (sets & (sets - 1)))
		return -EINVAL;
	c->slots = calloc((size_t)sets * MD_CACHE_WAYS, sizeof(*c->slots));
	if (!c->slots)
		return -ENOMEM;
	c->sets = sets;
	return 0;
}

void md_cache_destroy(struct md_cache *c)
{
	if (!c->slots)
		return;
	for (size_t i = 0; i < (size_t)c->sets * MD_CACHE_WAYS; i++)
		if (c->slots[i].block)
			sqfs_block_dispose(c->slots[i].block);
	free(c->slots);
	c->slots = NULL;
}

/* Block positions are a few hundred bytes to 8 KiB apart: a multiplicative
 * hash spreads them over the sets whatever their spacing. */
unsigned md_cache_set_of(const struct md_cache *c, uint64_t pos)
{
	return (unsigned)((pos * 0x9e3779b97f4a7c15ull) >> 32) & (c->sets - 1);
}

/* An empty slot of @set, else its least recently used one. */
static struct md_slot *victim(struct md_slot *set)
{
	struct md_slot *v = set;

	for (unsigned i = 0; i < MD_CACHE_WAYS; i++) {
		if (!set[i].block)
			return &set[i];
		if (set[i].used < v->used)
			v = &set[i];
	}
	return v;
}

int md_cache_get(struct md_cache *c, sqfs *fs, uint64_t pos, sqfs_block **block, uint64_t *next)
{
	struct md_slot *set = &c->slots[(size_t)md_cache_set_of(c, pos) * MD_CACHE_WAYS], *s;
	sqfs_block *b = NULL;
	size_t size = 0;

	for (unsigned i = 0; i < MD_CACHE_WAYS; i++) {
		s = &set[i];
		if (s->block && s->pos == pos) {
			s->used = ++c->tick;
			c->hits++;
			*block = s->block;
			*next = s->next;
			return 0;
		}
	}
	if (sqfs_md_block_read(fs, (sqfs_off_t)pos, &size, &b) != SQFS_OK || !b)
		return -EIO; /* it disposed of a block it could not fill */
	s = victim(set);
	if (s->block)
		sqfs_block_dispose(s->block);
	s->pos = pos;
	s->next = pos + size;
	s->block = b;
	s->used = ++c->tick;
	c->loads++;
	*block = b;
	*next = s->next;
	return 0;
}
