/* SPDX-License-Identifier: MIT */
/* Small text files under <state>/: read whole, replace atomically, lock. */
#ifndef NETBOOTFS_MAPPER_STATEFILE_H
#define NETBOOTFS_MAPPER_STATEFILE_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p @dir, mode 0755. */
int statefile_mkdirs(const char *dir);
/* Read <dir>/<name> into a NUL-terminated malloc'ed buffer; a missing file
 * reads as empty (*text = NULL, *len = 0). */
int statefile_read(const char *dir, const char *name, char **text, size_t *len);
/* Replace <dir>/<name> with @text: temporary file, fsync, rename, fsync of
 * the directory. Creates @dir if needed. */
int statefile_write(const char *dir, const char *name, const char *text, size_t len);
/* Read @path whole (NUL-terminated, malloc'ed); -ENOENT when missing. */
int statefile_read_path(const char *path, char **text, size_t *len);
/* Replace @path with @text atomically (temporary file in the same
 * directory, fsync, rename, fsync of the directory), with @mode and, unless
 * @uid is (uid_t)-1, owner @uid:@gid. */
int statefile_replace(const char *path, const char *text, size_t len, mode_t mode, uid_t uid,
		      gid_t gid);
/* Exclusive flock on <dir>/.<name>.lock (a separate file, since the data
 * file is replaced by rename). Returns the fd to pass to statefile_unlock. */
int statefile_lock(const char *dir, const char *name);
void statefile_unlock(int fd);

#endif
