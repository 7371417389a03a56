/* SPDX-License-Identifier: MIT */
/*
 * Where each directory of a node's union lives in each layer, by node id,
 * so that a lookup need not enter it from the root again. An entry holds
 * facts, not descriptors (a node may have thousands of directories, the
 * daemon a limited number of files): the generated layer's entry, the
 * image inode, and the host file handles (name_to_handle_at) of its
 * overlay and shared-layer directories, reopened with open_by_handle_at.
 * No path is kept, so depth has no limit. The facts are a field of the
 * directory's node object (unode.h, under its stripe's lock), at most
 * 4096 per node (the oldest go first); they are valid for one pin and one
 * change epoch (anything that moves a directory bumps it).
 */
#ifndef NETBOOTFS_DIRCACHE_H
#define NETBOOTFS_DIRCACHE_H

#include <stdbool.h>
#include <stdint.h>

struct union_fs;
struct pin;
struct dirlayers;

/* Directory @id of @p at @epoch from the cache into @dl (with fresh
 * descriptors); false on a miss, or when a directory is gone. */
bool dircache_open(struct union_fs *fs, struct pin *p, uint64_t id, uint64_t epoch,
		   struct dirlayers *dl);
/* Remember @dl as directory @id, in its node object; a directory whose
 * host file system gives no handles, or an id the id table does not hold,
 * is not kept. */
void dircache_put(struct union_fs *fs, struct pin *p, uint64_t id, uint64_t epoch,
		  const struct dirlayers *dl);
/* Close the cache's descriptors (the facts go with the node objects). */
void dircache_free(struct union_fs *fs);

#endif
