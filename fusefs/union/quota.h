/* SPDX-License-Identifier: MIT */
/*
 * Per-node quota on the node's overlay. Usage is the space the overlay's
 * objects take on the host (st_blocks, not apparent sizes), summed once
 * when the root is mounted and then kept up to date by the operations that
 * change it: writes, fallocate and truncates (the change in the file's
 * blocks), creates and copy-ups (the new object's blocks), unlinks, rmdirs
 * and renames over a name (the blocks of what goes). A hard-linked file
 * counts blocks / links per name. The limit is the node's `quota` key,
 * taken from the current config (a reload applies at once); 0 is none.
 *
 * An operation that may grow the overlay is refused with EDQUOT when it
 * could take usage past the limit: a write by the bytes it adds past the
 * end of the file (all of its bytes when the file is sparse: it may fill
 * a hole), fallocate by its length, a copy-up by the lower file's size.
 * Creates and truncates that extend a file are refused once usage is at
 * or past the limit. Overwrites, truncates down and deletions are never
 * refused. Concurrent writers may each pass the check before either
 * writes: usage can end up past the limit by what they write at once.
 */
#ifndef NETBOOTFS_QUOTA_H
#define NETBOOTFS_QUOTA_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct union_fs;

/* Sum the overlay's usage (at mount, and after it was emptied). */
void quota_scan(struct union_fs *fs);
/* 0, or -EDQUOT (logged once until usage drops below the limit) if the
 * node may not grow by @grow bytes (0: may not grow at all). */
int quota_check(struct union_fs *fs, uint64_t grow);
void quota_add(struct union_fs *fs, int64_t bytes);
/* The bytes @st counts for, per name. */
int64_t quota_bytes(const struct stat *st);
/* The same for @name in @dirfd (0 if it cannot be stat'ed). */
int64_t quota_bytes_at(int dirfd, const char *name);
/* pwrite() under the quota: bytes written or a negative errno. */
ssize_t quota_pwrite(struct union_fs *fs, int fd, const void *buf, size_t size, off_t off);
/* ftruncate() under the quota; fallocate() likewise. */
int quota_ftruncate(struct union_fs *fs, int fd, off_t size);
int quota_fallocate(struct union_fs *fs, int fd, int mode, off_t off, off_t len);

#endif
