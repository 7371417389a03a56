/* SPDX-License-Identifier: MIT */
/* A node's overlay directory (<overlays>/<node>) as netbootctl handles it. */
#ifndef NETBOOTFS_CTL_OVERLAY_DIR_H
#define NETBOOTFS_CTL_OVERLAY_DIR_H

#include <stdint.h>

/* Bytes of file data under @path: the apparent sizes of its regular files
 * and symlinks, without crossing mounts or following links. A missing
 * directory holds 0 bytes. 0 or a negative errno. */
int overlay_usage(const char *path, uint64_t *bytes);

/* The report of the node's last rebase (upgrade = rebase): its summary
 * line, then its conflict lines, from the newest
 * <overlays>/.archive/<node>/<stamp>/report, as a malloc'ed string, or
 * NULL if it has none. @overlay is <overlays>/<node>. */
char *overlay_last_rebase(const char *overlay);

#endif
