/* SPDX-License-Identifier: MIT */
/*
 * Inode number -> inode id, for images built without an export table.
 * Open addressing with linear probing; filled from lookups and readdir.
 */
#include <errno.h>
#include <stdlib.h>

#include "images/image_priv.h"

#define USED_BIT (1ull << 63)

void ino_map_init(struct ino_map *m)
{
	pthread_mutex_init(&m->lock, NULL);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = 0;
	m->used = 0;
	m->complete = false;
}

void ino_map_destroy(struct ino_map *m)
{
	free(m->keys);
	free(m->vals);
	pthread_mutex_destroy(&m->lock);
}

static size_t slot_of(uint32_t ino, size_t cap)
{
	return (size_t)((ino * 2654435761u) & (cap - 1));
}

static void slot_set(uint32_t *keys, uint64_t *vals, size_t cap, uint32_t ino, uint64_t val)
{
	size_t i = slot_of(ino, cap);

	while ((vals[i] & USED_BIT) && keys[i] != ino)
		i = (i + 1) & (cap - 1);
	keys[i] = ino;
	vals[i] = val | USED_BIT;
}

static int grow(struct ino_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	uint32_t *keys = calloc(cap, sizeof(*keys));
	uint64_t *vals = calloc(cap, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->vals[i] & USED_BIT)
			slot_set(keys, vals, cap, m->keys[i], m->vals[i] & ~USED_BIT);
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

int ino_map_put(struct ino_map *m, uint32_t ino, sqfs_inode_id id)
{
	int err = 0;

	pthread_mutex_lock(&m->lock);
	if ((m->used + 1) * 4 > m->cap * 3)
		err = grow(m);
	if (!err) {
		size_t before = m->used;
		size_t i = slot_of(ino, m->cap);

		while ((m->vals[i] & USED_BIT) && m->keys[i] != ino)
			i = (i + 1) & (m->cap - 1);
		if (!(m->vals[i] & USED_BIT))
			m->used = before + 1;
		else if ((m->vals[i] & ~USED_BIT) != id)
			err = -EIO; /* two inodes with one number: a corrupt image */
		if (!err) {
			m->keys[i] = ino;
			m->vals[i] = id | USED_BIT;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}

bool ino_map_get(struct ino_map *m, uint32_t ino, sqfs_inode_id *id)
{
	bool found = false;

	pthread_mutex_lock(&m->lock);
	if (m->cap) {
		size_t i = slot_of(ino, m->cap);

		while (m->vals[i] & USED_BIT) {
			if (m->keys[i] == ino) {
				*id = m->vals[i] & ~USED_BIT;
				found = true;
				break;
			}
			i = (i + 1) & (m->cap - 1);
		}
	}
	pthread_mutex_unlock(&m->lock);
	return found;
}
