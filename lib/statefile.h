/* SPDX-License-Identifier: MIT */
/*
 * Small state files: read whole, replaced durably (the one writer every
 * state file goes through), locked by a side file.
 */
#ifndef NETBOOTFS_LIB_STATEFILE_H
#define NETBOOTFS_LIB_STATEFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Read <dir>/<name> into a NUL-terminated malloc'ed buffer; a missing file
 * reads as empty (*text = NULL, *len = 0). */
int statefile_read(const char *dir, const char *name, char **text, size_t *len);
/* Read @path whole (NUL-terminated, malloc'ed); -ENOENT when missing. */
int statefile_read_path(const char *path, char **text, size_t *len);
/*
 * Replace @path with @text so that a crash leaves the old content or the
 * new one, never a mix, and a return of 0 means the new one survives a
 * power cut: a temporary file .<name>.XXXXXX in the same directory, with
 * @mode and, unless @uid is (uid_t)-1, owner @uid:@gid; fsync; rename over
 * @path; fsync of the directory. On failure the temporary file is gone and
 * @path is as it was.
 */
int statefile_replace(const char *path, const char *text, size_t len, mode_t mode, uid_t uid,
		      gid_t gid);
/* statefile_replace(<dir>/<name>, mode 0644), making @dir (mkdir -p) first. */
int statefile_write(const char *dir, const char *name, const char *text, size_t len);
/* fsync directory @path (relative to @at), so the names made or renamed in
 * it are on disk; a filesystem that cannot (EINVAL) counts as done. */
int statefile_sync_dir(int at, const char *path);
/* Exclusive flock on <dir>/.<name>.lock (a separate file, since the data
 * file is replaced by rename). Returns the fd to pass to statefile_unlock. */
int statefile_lock(const char *dir, const char *name);
void statefile_unlock(int fd);

#endif
