/* SPDX-License-Identifier: MIT */
/*
 * The overlays area is root-only: what a node makes there (setuid-root
 * binaries, file capabilities, device nodes with any mode) must never be
 * reachable by the server's local users. Every directory of the area is
 * 0700 and owned by the daemon's user; the node's own modes live below it,
 * untouched, and reach the node through its root mount only.
 */
#ifndef NETBOOTFS_OVERLAY_AREA_H
#define NETBOOTFS_OVERLAY_AREA_H

/*
 * Make <overlays> (its parent must exist) and check it and the daemon's
 * directories in it (node overlays, .work and its per-node dirs, any other
 * dot-directory such as archives, one level below the dot-directories too):
 * a directory open to group or others is repaired to 0700 with a log line;
 * one owned by another user is refused (-EPERM, logged): its owner could
 * open it again at any time. A node's overlay owned by another user was
 * chown'ed by the node (older netbootfs): it is given back to the daemon. Shared layers (@NAME) are
 * the admin's and are left alone (the 0700 above them protects them).
 */
int overlay_area_secure(const char *overlays);
/*
 * Make directory @name in @dirfd root-only (0700) if missing, or check
 * and repair it as above; @dir is @dirfd's path for the log (NULL: @name
 * says it all).
 */
int overlay_area_dir_at(int dirfd, const char *dir, const char *name);
/* The same for a node's overlay: its root attributes are kept first. */
int overlay_area_node_dir_at(int dirfd, const char *dir, const char *name);

#endif
