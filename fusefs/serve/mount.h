/* SPDX-License-Identifier: MIT */
/* One FUSE mount: session, mount point, stale-mount recovery. */
#ifndef NETBOOTFS_MOUNT_H
#define NETBOOTFS_MOUNT_H

#include <stdbool.h>
#include <sys/types.h>

struct fuse_lowlevel_ops;
struct fuse_session;
struct fs_mount;

/* Retries a daemon start may spend, over all its mounts, waiting for
 * device numbers that are in use (an old superblock still on its way out):
 * once they are spent, a held number is given up at the first mount. */
#define FS_MOUNT_BUSY_RETRIES 10

/* Mount @ops at @path (created if missing) with extra "-o" options @opts.
 * A dead mount left at @path by a killed daemon is detached first (logged);
 * a live one is -EBUSY. Unless @want_dev is 0, the mount gets that device
 * number if it is free (devnum.h; logged when not); while the number is in
 * use, the mount is tried again only as long as *@busy_retries lasts (each
 * try takes one). */
int fs_mount_create(const char *path, const struct fuse_lowlevel_ops *ops, void *userdata,
		    const char *opts, dev_t want_dev, unsigned *busy_retries,
		    struct fs_mount **out);
struct fuse_session *fs_mount_session(struct fs_mount *m);
const char *fs_mount_path(const struct fs_mount *m);
/* The mount's device number (0 if unknown). */
dev_t fs_mount_dev(const struct fs_mount *m);
/* Let the kernel read ahead up to @kib KiB in the files of the mount (its
 * backing device's read_ahead_kb), before the session answers INIT: INIT
 * can lower the window, never raise it, so INIT must ask for as much
 * (conn->max_readahead). 0 or a negative errno (logged). */
int fs_mount_set_readahead(const struct fs_mount *m, unsigned kib);
/* Unmount; the session stays until fs_mount_destroy(). */
void fs_mount_unmount(struct fs_mount *m);
/* Unmount (if still mounted) and free the session. The caller makes sure
 * no worker uses the session any more. */
void fs_mount_destroy(struct fs_mount *m);

#endif
