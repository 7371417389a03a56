/* SPDX-License-Identifier: MIT */
/*
 * Where each node id of a root mount lives: id -> (parent id, name).
 *
 * Every id the kernel may send back must lead to its directory and name
 * (resolution walks down the chain of parents by name,
 * fusefs/union/dirwalk.c). The entries are the node objects' parent and
 * name (fusefs/union/unode.h), under their stripes' locks. Entries are never
 * dropped on FORGET, so NFS handles survive cache eviction. Every change is
 * journalled as it is made (fusefs/union/ijournal.h) and the table is saved on a
 * clean stop, so they survive a restart, also after a crash.
 */
#ifndef NETBOOTFS_ITABLE_H
#define NETBOOTFS_ITABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fusefs/union/ijournal.h"
#include "fusefs/union/unode.h"

/* The id table is the parent and name of each node object (unode.h),
 * with the journal and snapshot that persist them. */
struct itable {
	struct unode_table nodes;
	pthread_mutex_t jlock;	 /* the journal; taken under a stripe lock */
	atomic_bool jfull;	 /* the journal is full: compact it */
	struct ijournal journal; /* changes since the snapshot at @path */
	char path[4096];
};

int itable_init(struct itable *t);
void itable_destroy(struct itable *t);
/* Record (or move) @id to @parent/@name. */
int itable_set(struct itable *t, uint64_t id, uint64_t parent, const char *name);
void itable_remove(struct itable *t, uint64_t id);
bool itable_has(struct itable *t, uint64_t id);
/* "a/b/c" relative to the root ("" for the root itself) in a heap string,
 * whatever its length; -ENOENT for an id never recorded (or removed),
 * -ELOOP on a corrupt chain. */
int itable_path(struct itable *t, uint64_t id, char **out);
/* Parent and name of @id (not the root), or -ENOENT. */
int itable_get(struct itable *t, uint64_t id, uint64_t *parent, char *name, size_t size);
/* Parent of @id, or -ENOENT. */
int itable_parent(struct itable *t, uint64_t id, uint64_t *parent);
/* Call @fn for every entry, one stripe at a time under its read lock:
 * @fn must not use @t. */
typedef void (*itable_visit_fn)(void *ctx, uint64_t id, uint64_t parent, const char *name);
void itable_foreach(struct itable *t, itable_visit_fn fn, void *ctx);
/* Load the table saved at @path with the journal a crash left beside it,
 * and journal every change from now on. */
int itable_open(struct itable *t, const char *path);
/* Save the table at its path and drop the journal: a clean stop. */
int itable_close(struct itable *t);

#endif
