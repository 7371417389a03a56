/* SPDX-License-Identifier: MIT */
/* The generated kernel command line of a node (cmdline.txt). */
#ifndef NETBOOTFS_CMDLINE_H
#define NETBOOTFS_CMDLINE_H

#include <stddef.h>

/*
 * From the image's cmdline drop what would boot from an SD card or fight
 * the NFS root (root=, rootfstype=, init=, resize, fsck.repair=, and the
 * words appended below so they are not doubled), then append
 *   root=/dev/nfs nfsroot=ADDR:NFS_ROOT/NODE,vers=3,tcp rw ip=dhcp rootwait
 * and @extra. Returns a malloc'ed single line ending in "\n", or NULL
 * (errno EINVAL when @nfs_root or @node cannot be written in nfsroot=, or
 * @extra holds a control character: see mapper/escape.h).
 */
char *cmdline_render(const char *image_cmdline, size_t image_len, const char *address,
		     const char *nfs_root, const char *node, const char *extra);

#endif
