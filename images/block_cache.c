/* SPDX-License-Identifier: MIT */
/*
 * Decompressed data and fragment blocks, shared by every reader of a
 * generation, keyed by their offset in the image.
 *
 * With a cache per reader instance, readers working in parallel each
 * decompressed the same blocks: neighbouring small files share a fragment
 * block (parallel cat, NFS read-ahead), and in a boot storm every node
 * reads the same kernel through its own boot tree (its own inode, so no
 * shared page cache). Here a block is decompressed once, by the first
 * reader to want it; readers wanting it meanwhile wait for that one instead
 * of starting their own. Slots in use are reference counted and never
 * evicted; when every slot is in use a reader decompresses a private copy.
 */
#include <errno.h>
#include <string.h>

#include "images/image_priv.h"

void block_cache_init(struct block_cache *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->loaded, NULL);
}

void block_cache_destroy(struct block_cache *c)
{
	for (unsigned i = 0; i < SHARED_BLOCKS; i++)
		if (c->v[i].block)
			sqfs_block_dispose(c->v[i].block);
	pthread_cond_destroy(&c->loaded);
	pthread_mutex_destroy(&c->lock);
}

static struct block_slot *slot_find(struct block_cache *c, uint64_t pos)
{
	for (unsigned i = 0; i < SHARED_BLOCKS; i++) {
		struct block_slot *s = &c->v[i];

		if ((s->block || s->loading) && s->pos == pos)
			return s;
	}
	return NULL;
}

/* The least recently used slot nobody holds, or NULL. */
static struct block_slot *slot_victim(struct block_cache *c)
{
	struct block_slot *best = NULL;

	for (unsigned i = 0; i < SHARED_BLOCKS; i++) {
		struct block_slot *s = &c->v[i];

		if (s->refs || s->loading)
			continue;
		if (!s->block)
			return s;
		if (!best || s->used < best->used)
			best = s;
	}
	return best;
}

int block_cache_get(struct block_cache *c, sqfs *fs, uint64_t pos, uint32_t hdr,
		    const sqfs_block **block, struct block_slot **slot)
{
	struct block_slot *s;
	sqfs_block *b = NULL, *old = NULL;
	int err = 0;

	pthread_mutex_lock(&c->lock);
	while ((s = slot_find(c, pos)) && s->loading)
		pthread_cond_wait(&c->loaded, &c->lock);
	if (s) {
		s->refs++;
		s->used = ++c->tick;
		pthread_mutex_unlock(&c->lock);
		*block = s->block;
		*slot = s;
		return 0;
	}
	s = slot_victim(c);
	if (s) {
		old = s->block;
		s->block = NULL;
		s->pos = pos;
		s->loading = true;
		s->refs = 1;
	}
	pthread_mutex_unlock(&c->lock);
	if (old)
		sqfs_block_dispose(old);

	if (sqfs_data_block_read(fs, (sqfs_off_t)pos, hdr, &b) != SQFS_OK) {
		b = NULL;
		err = -EIO;
	}
	if (s) {
		pthread_mutex_lock(&c->lock);
		s->loading = false;
		s->block = b;
		s->used = ++c->tick;
		if (b)
			c->loads++;
		else
			s->refs = 0; /* an empty slot: the next reader tries again */
		pthread_cond_broadcast(&c->loaded);
		pthread_mutex_unlock(&c->lock);
	}
	if (err)
		return err;
	*block = b;
	*slot = s;
	return 0;
}

void block_cache_put(struct block_cache *c, struct block_slot *slot, const sqfs_block *block)
{
	if (!slot) {
		sqfs_block_dispose((sqfs_block *)block); /* a private copy */
		return;
	}
	pthread_mutex_lock(&c->lock);
	slot->refs--;
	pthread_mutex_unlock(&c->lock);
}

uint64_t block_cache_loads(struct block_cache *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->loads;
	pthread_mutex_unlock(&c->lock);
	return n;
}
