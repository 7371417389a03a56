/* SPDX-License-Identifier: MIT */
/*
 * One object per node id of a root mount (in the spirit of libfuse's
 * passthrough_ll lo_inode): what the engine knows of an id lives in its
 * struct unode, found by id in a hash table split into UNODE_STRIPES
 * stripes, each with its own lock and buckets, so that requests on
 * different ids seldom wait for one another.
 *
 * A unode holds its parent's id and its name (what the id table persists,
 * itable.h) and the directory-layer facts of a directory (dircache.h,
 * valid for one pin and change epoch, at most UNODE_DIRS_PER_STRIPE per
 * stripe).
 * Objects are never dropped on FORGET, so NFS handles survive cache
 * eviction; only a removal (unlink, rmdir, rename over) drops one.
 *
 * Locking: a stripe's rwlock covers its buckets and every field of the
 * unodes in it. Stripe locks are leaves, except that a change of the id
 * table appends its journal record while holding its stripe's write lock
 * (stripe -> journal lock), and a snapshot takes every stripe in index
 * order before the journal lock (itable.c). Never hold two stripes but
 * through unode_lock_all().
 */
#ifndef NETBOOTFS_UNODE_H
#define NETBOOTFS_UNODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNODE_STRIPES 16 /* a power of two */
/* Directories with layer facts at once, per stripe: 4096 per node. */
#define UNODE_DIRS_PER_STRIPE 256

struct udir; /* a directory's layer facts (dircache.c), one heap block */

struct unode {
	uint64_t id;
	uint64_t parent;    /* the id of its directory */
	char *name;	    /* its name there (heap) */
	struct udir *dir;   /* NULL: none cached */
	struct unode *next; /* hash chain in its stripe */
};

struct unode_stripe {
	pthread_rwlock_t lock;
	struct unode **buckets;
	size_t nbuckets, count;
	/* Ids given layer facts, oldest first (a ring, allocated on first
	 * use): the oldest lose theirs when a new one comes and it is full,
	 * so memory stays bounded however many directories the table holds. */
	uint64_t *dir_ring;
	unsigned dir_head, dir_n;
} __attribute__((aligned(64))); /* one cache line per lock */

struct unode_table {
	struct unode_stripe s[UNODE_STRIPES];
};

int unode_table_init(struct unode_table *t);
/* Frees every object (no lock may be held, no user left). */
void unode_table_destroy(struct unode_table *t);
/* The stripe @id lives in. */
struct unode_stripe *unode_stripe(struct unode_table *t, uint64_t id);
/* The object of @id in @s, or NULL (lock of @s held, either way). */
struct unode *unode_find(const struct unode_stripe *s, uint64_t id);
/* Add a fresh object for @id (absent) to @s, name NULL (write lock held). */
struct unode *unode_insert(struct unode_stripe *s, uint64_t id);
/* Drop and free @id's object; false if there was none (write lock held). */
bool unode_remove(struct unode_stripe *s, uint64_t id);
/* Give @u (in @s, write lock held) the layer facts @dir (heap, now the
 * object's), replacing its own; may drop the facts of the stripe's oldest
 * holder. */
void unode_set_dir(struct unode_stripe *s, struct unode *u, struct udir *dir);
/* Take (release) every stripe's lock, in index order. */
void unode_lock_all(struct unode_table *t, bool write);
void unode_unlock_all(struct unode_table *t);
/* Number of objects (every stripe locked, or a quiet table). */
size_t unode_count(const struct unode_table *t);

#endif
