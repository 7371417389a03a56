/* SPDX-License-Identifier: MIT */
/* Answer READDIR / READDIRPLUS from a dirlist. */
#ifndef NETBOOTFS_DIRREPLY_H
#define NETBOOTFS_DIRREPLY_H

#include <fuse_lowlevel.h>
#include <stdbool.h>

#include "fusefs/union/union.h"

/* For READDIRPLUS: fill @e for entry @r; non-zero skips the entry. */
typedef int (*dirreply_attr_fn)(void *ctx, const struct dirent_rec *r, struct fuse_entry_param *e);

/* For READDIRPLUS: @e goes out in the reply (called before it is sent). */
typedef void (*dirreply_sent_fn)(void *ctx, const struct fuse_entry_param *e);

/* "." and ".." at cookies 1 and 2, then the entries after @off. @attr is
 * NULL for plain READDIR; @sent may be NULL. True when the reply was the
 * empty one past the end: the reader has the whole listing. */
bool dirlist_reply(fuse_req_t req, const struct dirlist *l, fuse_ino_t ino, size_t size, off_t off,
		   dirreply_attr_fn attr, dirreply_sent_fn sent, void *ctx);

#endif
