/* SPDX-License-Identifier: MIT */
/*
 * A node's root directory attributes. The node's overlay dir on the host,
 * <overlays>/<node>, is root-only (0700, overlay_area.h); the mode, owner
 * and group the node gave its "/" (0755 root:root unless it changed them)
 * are kept in an xattr of that dir and shown instead of the host's.
 */
#ifndef NETBOOTFS_ROOTATTR_H
#define NETBOOTFS_ROOTATTR_H

#include <stdbool.h>
#include <sys/stat.h>

/* Record the node's view of @fd's dir if none is recorded yet, before the
 * host dir is made root-only: its current host attributes, or for a dir
 * just made (@fresh) 0755 and the daemon's user and group. */
int rootattr_record(int fd, bool fresh);
/* Put the node's view into @st (the host attributes of @fd's dir). */
void rootattr_apply(int fd, struct stat *st);
/* The node changes its root's mode, owner or group (-1: unchanged). */
int rootattr_set(int fd, bool set_mode, mode_t mode, uid_t uid, gid_t gid);

#endif
