/* SPDX-License-Identifier: MIT */
/*
 * Where each node id of a root mount lives: id -> (parent id, name).
 *
 * The union is path based (the same path is looked up in every layer), so
 * every id the kernel may send back must lead to a path. Entries are never
 * dropped on FORGET, so NFS handles survive cache eviction; the table is
 * saved on a clean stop and loaded at start, so they survive a restart.
 */
#ifndef NETBOOTFS_ITABLE_H
#define NETBOOTFS_ITABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct itable_ent {
	uint64_t id;
	uint64_t parent;
	char *name;
	struct itable_ent *next; /* hash chain */
};

struct itable {
	pthread_rwlock_t lock;
	struct itable_ent **buckets;
	size_t nbuckets, count;
};

int itable_init(struct itable *t);
void itable_destroy(struct itable *t);
/* Record (or move) @id to @parent/@name. */
int itable_set(struct itable *t, uint64_t id, uint64_t parent, const char *name);
void itable_remove(struct itable *t, uint64_t id);
bool itable_has(struct itable *t, uint64_t id);
/* "a/b/c" relative to the root ("" for the root itself); -ENOENT for an id
 * never recorded (or removed), -ELOOP on a corrupt chain. */
int itable_path(struct itable *t, uint64_t id, char *buf, size_t size);
/* Parent and name of @id (not the root), or -ENOENT. */
int itable_get(struct itable *t, uint64_t id, uint64_t *parent, char *name, size_t size);
/* Parent of @id, or -ENOENT. */
int itable_parent(struct itable *t, uint64_t id, uint64_t *parent);
/* Call @fn for every entry, under the read lock: @fn must not use @t. */
typedef void (*itable_visit_fn)(void *ctx, uint64_t id, uint64_t parent, const char *name);
void itable_foreach(struct itable *t, itable_visit_fn fn, void *ctx);
int itable_save(struct itable *t, const char *path);
int itable_load(struct itable *t, const char *path);

#endif
