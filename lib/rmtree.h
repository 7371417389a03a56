/* SPDX-License-Identifier: MIT */
/*
 * Recursive removal that never follows a symbolic link, never leaves the
 * filesystem it starts on, and has no depth limit: it walks by directory
 * descriptors (openat/unlinkat), holds a bounded number of them, and keeps
 * no path string, so a tree deeper than PATH_MAX goes too.
 */
#ifndef NETBOOTFS_LIB_RMTREE_H
#define NETBOOTFS_LIB_RMTREE_H

/*
 * Remove @name (relative to directory @dirfd) and, if it is a directory,
 * everything below it. A symlink is removed, never followed; a mount point is
 * not entered (-EBUSY, or -EXDEV if one appears during the walk). A missing
 * @name is done (0). Goes on past what it cannot remove and returns the
 * first error.
 */
int rmtree_at(int dirfd, const char *name);
/* Remove everything below directory @dirfd/@name, keeping the directory
 * itself (not followed if it is a link: -ENOTDIR). */
int rmtree_contents_at(int dirfd, const char *name);

#endif
