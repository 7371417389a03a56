/* SPDX-License-Identifier: MIT */
/*
 * The device number of a FUSE mount, kept across mounts.
 *
 * A FUSE mount has no file system id of its own (statfs gives 0), so an
 * NFS server that puts one into its file handles takes the mount's device
 * number, an anonymous 0:N that the kernel hands out at each mount: the
 * lowest one free. NFS-Ganesha's FSAL_VFS does, so a node root mounted
 * again under another number makes every handle Ganesha gave out stale.
 * To get a number back, every free number below it is held by a
 * placeholder (a detached tmpfs superblock) while the mount is made.
 */
#ifndef NETBOOTFS_DEVNUM_H
#define NETBOOTFS_DEVNUM_H

#include <sys/types.h>

struct devnum_hold;

/* Hold every free anonymous device number below @want, so that the next
 * superblock made gets @want. 0 and *out set (release it right after the
 * mount); -EBUSY when @want is in use; another -errno when placeholders
 * cannot be made. */
int devnum_hold_below(dev_t want, struct devnum_hold **out);
void devnum_release(struct devnum_hold *h);

#endif
