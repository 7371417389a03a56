/* SPDX-License-Identifier: MIT */
/* Small text files under <state>/: read whole, replace atomically, lock. */
#ifndef NETBOOTFS_MAPPER_STATEFILE_H
#define NETBOOTFS_MAPPER_STATEFILE_H

#include <stddef.h>

/* mkdir -p @dir, mode 0755. */
int statefile_mkdirs(const char *dir);
/* Read <dir>/<name> into a NUL-terminated malloc'ed buffer; a missing file
 * reads as empty (*text = NULL, *len = 0). */
int statefile_read(const char *dir, const char *name, char **text, size_t *len);
/* Replace <dir>/<name> with @text: temporary file, fsync, rename, fsync of
 * the directory. Creates @dir if needed. */
int statefile_write(const char *dir, const char *name, const char *text, size_t len);
/* Exclusive flock on <dir>/.<name>.lock (a separate file, since the data
 * file is replaced by rename). Returns the fd to pass to statefile_unlock. */
int statefile_lock(const char *dir, const char *name);
void statefile_unlock(int fd);

#endif
