/* SPDX-License-Identifier: MIT */
/*
 * Name lookups through a per-generation table of each directory's names.
 *
 * A squashfs directory is a sorted list; its index only narrows a lookup
 * to one 8 KiB metadata block, which is then scanned entry by entry, each
 * entry a libsquashfuse metadata read (a linear cache search of its own).
 * Walking a tree looks up every name of every directory, so a directory
 * of n names costs O(n^2) reads. The first lookup in a directory therefore
 * reads its whole listing once into a hash table; later lookups are one
 * probe. An image never changes, so a table never goes stale.
 *
 * Tables live in a direct-mapped cache (by directory inode number) with a
 * bound on the names held; a directory over the bound is looked up the
 * old way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "images/image_priv.h"

struct dn_ent {
	sqfs_inode_id id;
	uint32_t ino;
	uint32_t name_off;
	uint16_t name_len;
	uint16_t type; /* S_IF* >> 12 */
};

struct dir_names {
	uint32_t dir_ino;
	uint32_t n, mask;
	uint32_t *slots; /* mask + 1 entries: index into ents + 1, 0 = empty */
	struct dn_ent *ents;
	char *names;
};

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static void names_free(struct dir_names *dn)
{
	if (!dn)
		return;
	free(dn->slots);
	free(dn->ents);
	free(dn->names);
	free(dn);
}

static size_t cache_slot(uint32_t dir_ino)
{
	return (size_t)((dir_ino * 2654435761u) >> 8) % DIR_INDEX_SLOTS;
}

int dir_index_init(struct dir_index *di)
{
	memset(di, 0, sizeof(*di));
	pthread_mutex_init(&di->lock, NULL);
	return 0;
}

void dir_index_destroy(struct dir_index *di)
{
	for (size_t i = 0; i < DIR_INDEX_SLOTS; i++)
		names_free(di->slots[i]);
	pthread_mutex_destroy(&di->lock);
}

static int names_add(struct dir_names *dn, size_t *cap, size_t *names_len, size_t *names_cap,
		     const struct dir_ent *e)
{
	struct dn_ent *x;

	if (dn->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct dn_ent *ne = realloc(dn->ents, ncap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		dn->ents = ne;
		*cap = ncap;
	}
	if (*names_len + e->name_len > *names_cap) {
		size_t ncap = (*names_cap ? *names_cap * 2 : 1024) + e->name_len;
		char *nn = realloc(dn->names, ncap);

		if (!nn)
			return -ENOMEM;
		dn->names = nn;
		*names_cap = ncap;
	}
	x = &dn->ents[dn->n++];
	x->id = e->id;
	x->ino = e->ino;
	x->name_off = (uint32_t)*names_len;
	x->name_len = (uint16_t)e->name_len;
	x->type = (uint16_t)(e->type >> 12);
	memcpy(dn->names + *names_len, e->name, e->name_len);
	*names_len += e->name_len;
	return 0;
}

/* Read the listing of @dir into a new table; -E2BIG past the bound. */
static int names_build(sqfs *fs, uint32_t dir_ino, const sqfs_inode *dir, struct dir_names **out)
{
	size_t cap = 0, names_len = 0, names_cap = 0;
	struct dir_names *dn = calloc(1, sizeof(*dn));
	struct dir_iter it;
	struct dir_ent e;
	uint32_t size;
	int r;

	if (!dn)
		return -ENOMEM;
	dn->dir_ino = dir_ino;
	r = dir_iter_open(fs, dir, &it);
	while (!r && (r = dir_iter_next(fs, &it, &e)) > 0) {
		if (dn->n >= DIR_INDEX_MAX_NAMES)
			r = -E2BIG;
		else
			r = names_add(dn, &cap, &names_len, &names_cap, &e);
	}
	if (r < 0)
		goto fail;
	for (size = 16; size < dn->n * 2; size *= 2)
		;
	dn->mask = size - 1;
	dn->slots = calloc(size, sizeof(*dn->slots));
	if (!dn->slots) {
		r = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < dn->n; i++) {
		const struct dn_ent *x = &dn->ents[i];
		uint32_t s = name_hash(dn->names + x->name_off, x->name_len) & dn->mask;

		while (dn->slots[s])
			s = (s + 1) & dn->mask;
		dn->slots[s] = i + 1;
	}
	*out = dn;
	return 0;
fail:
	names_free(dn);
	return r;
}

static int names_find(const struct dir_names *dn, const char *name, struct dir_ent *e)
{
	size_t len = strlen(name);
	uint32_t s = name_hash(name, len) & dn->mask, i;

	while ((i = dn->slots[s])) {
		const struct dn_ent *x = &dn->ents[i - 1];

		if (x->name_len == len && !memcmp(dn->names + x->name_off, name, len)) {
			memcpy(e->name, name, len + 1);
			e->name_len = len;
			e->id = x->id;
			e->ino = x->ino;
			e->type = (mode_t)x->type << 12;
			e->off = e->next_off = 0;
			return 0;
		}
		s = (s + 1) & dn->mask;
	}
	return -ENOENT;
}

/* 0 / -ENOENT from a cached table, or -EAGAIN when there is none. */
static int cached_find(struct dir_index *di, uint32_t dir_ino, const char *name, struct dir_ent *e)
{
	const struct dir_names *dn;
	int r = -EAGAIN;

	pthread_mutex_lock(&di->lock);
	dn = di->slots[cache_slot(dir_ino)];
	if (dn && dn->dir_ino == dir_ino)
		r = names_find(dn, name, e);
	pthread_mutex_unlock(&di->lock);
	return r;
}

static void cache_insert(struct dir_index *di, struct dir_names *dn)
{
	struct dir_names **slot, *old;

	pthread_mutex_lock(&di->lock);
	slot = &di->slots[cache_slot(dn->dir_ino)];
	old = *slot;
	if (old)
		di->names -= old->n;
	if (di->names + dn->n > DIR_INDEX_MAX_TOTAL) {
		*slot = NULL;
		names_free(dn); /* full: this directory is scanned each time */
	} else {
		*slot = dn;
		di->names += dn->n;
	}
	pthread_mutex_unlock(&di->lock);
	names_free(old);
}

int dir_index_find(struct image_gen *g, struct img_reader *r, uint32_t dir_ino,
		   const sqfs_inode *dir, const char *name, struct dir_ent *e)
{
	struct dir_names *dn = NULL;
	int err;

	err = cached_find(&g->dirs, dir_ino, name, e);
	if (err != -EAGAIN)
		return err;
	err = names_build(&r->sq.fs, dir_ino, dir, &dn);
	if (err == -E2BIG || err == -ENOMEM)
		return dir_find(&r->sq.fs, dir, name, e);
	if (err)
		return err;
	err = names_find(dn, name, e);
	cache_insert(&g->dirs, dn);
	return err;
}

bool dir_index_cached(struct image_gen *g, uint32_t dir_ino, const char *name, struct dir_ent *e,
		      int *err)
{
	*err = cached_find(&g->dirs, dir_ino, name, e);
	return *err != -EAGAIN;
}
