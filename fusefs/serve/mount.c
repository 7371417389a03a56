/* SPDX-License-Identifier: MIT */
#include "fusefs/serve/mount.h"

#include <fuse_lowlevel.h>
#include <linux/magic.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fusefs/serve/devnum.h"
#include "fusefs/serve/log.h"
#include "lib/mountinfo.h"

struct fs_mount {
	struct fuse_session *se;
	char *path;
	dev_t dev;
	bool mounted;
};

static bool is_fuse_at(const struct mountinfo_entry *e, void *path)
{
	return strcmp(e->point, path) == 0 && strncmp(e->fstype, "fuse", 4) == 0;
}

/* Is @path the mount point of a FUSE filesystem right now? Its device
 * number (of the topmost such mount) in *dev. Read from mountinfo, never
 * from the filesystem, which may be dead or not answering yet. */
static bool fuse_mount_at(const char *path, dev_t *dev)
{
	struct mountinfo_entry e;

	if (!mountinfo_find("/proc/self/mountinfo", is_fuse_at, (void *)path, &e))
		return false;
	if (dev)
		*dev = e.dev;
	return true;
}

/* The device number of the FUSE mount just made at @path, from the root
 * inode the mount made (AT_STATX_DONT_SYNC, an empty mask: no request to a
 * session nobody serves yet). Not from mountinfo: with 1,000 roots, reading
 * and parsing it at every mount was most of a restart's CPU time. */
static void mounted_dev(const char *path, dev_t *dev)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, 0, &stx) == 0)
		*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	else
		fuse_mount_at(path, dev);
}

static int mountpoint_prepare(const char *path)
{
	struct statfs sfs;
	struct stat st;

	/* statfs always reaches the filesystem; stat may be answered from
	 * the attribute cache of a mount whose daemon is gone. */
	if (statfs(path, &sfs) == 0 && stat(path, &st) == 0) {
		/* Only a FUSE file system there can be a running one's mount. */
		if (sfs.f_type == FUSE_SUPER_MAGIC && fuse_mount_at(path, NULL)) {
			log_err("%s: already mounted by a running filesystem", path);
			return -EBUSY;
		}
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	}
	if (errno == ENOTCONN || errno == ECONNABORTED) {
		/* A daemon was killed and left its mount behind. */
		log_warn("%s: recovering a stale mount left by a previous daemon", path);
		if (umount2(path, MNT_DETACH) != 0) {
			int err = -errno;

			log_err("%s: cannot detach the stale mount: %s", path, strerror(errno));
			return err;
		}
		return 0;
	}
	if (errno == ENOENT && mkdir(path, 0755) == 0)
		return 0;
	log_err("%s: %s", path, strerror(errno));
	return -errno;
}

/* Mounts tried for the device number asked for before taking another. */
#define DEVNUM_ATTEMPTS 5

int fs_mount_create(const char *path, const struct fuse_lowlevel_ops *ops, void *userdata,
		    const char *opts, dev_t want_dev, unsigned *busy_retries, struct fs_mount **out)
{
	char *argv[] = {"netbootfs", "-o", (char *)opts, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct devnum_hold *hold = NULL;
	struct fs_mount *m;
	int err, hold_err = 0, mount_err;

	err = mountpoint_prepare(path);
	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		free(m);
		return -ENOMEM;
	}
	m->se = fuse_session_new(&args, ops, sizeof(*ops), userdata);
	fuse_opt_free_args(&args);
	if (!m->se) {
		log_err("%s: cannot create a FUSE session (options %s)", path, opts);
		err = -EINVAL;
		goto fail;
	}
	/* Another process may take the number between the hold's release
	 * and the mount, or the old superblock may still be on its way out
	 * (-EBUSY): mount again a few times before giving the number up. A
	 * number held for good (by an NFS server's or a private mount
	 * namespace's copy of the old mount) is waited for only while
	 * @busy_retries lasts: five tries per root made a restart of 1,000
	 * roots take minutes. */
	for (int attempt = 0;; attempt++) {
		hold_err = want_dev ? devnum_hold_below(want_dev, &hold) : 0;
		mount_err = fuse_session_mount(m->se, path);
		devnum_release(hold);
		hold = NULL;
		if (mount_err != 0) {
			log_err("%s: mount failed", path);
			err = -EIO;
			goto fail;
		}
		mounted_dev(path, &m->dev);
		if (!want_dev || m->dev == want_dev || attempt == DEVNUM_ATTEMPTS - 1)
			break;
		if (hold_err == -EBUSY) {
			if (!busy_retries || !*busy_retries)
				break;
			--*busy_retries;
		}
		fuse_session_unmount(m->se);
		usleep(100 * 1000);
	}
	if (want_dev && m->dev != want_dev)
		log_warn("%s: cannot mount as device %u:%u again (%s): NFS-Ganesha's file handles "
			 "of it go stale",
			 path, major(want_dev), minor(want_dev),
			 hold_err == -EBUSY
				 ? "in use, by an NFS server still holding the old mount?"
			 : hold_err ? strerror(-hold_err)
				    : "taken by another mount meanwhile");
	m->mounted = true;
	*out = m;
	return 0;
fail:
	if (m->se)
		fuse_session_destroy(m->se);
	free(m->path);
	free(m);
	return err;
}

struct fuse_session *fs_mount_session(struct fs_mount *m)
{
	return m->se;
}

const char *fs_mount_path(const struct fs_mount *m)
{
	return m->path;
}

dev_t fs_mount_dev(const struct fs_mount *m)
{
	return m->dev;
}

int fs_mount_set_readahead(const struct fs_mount *m, unsigned kib)
{
	char path[64], val[16];
	int fd, len, err = 0;

	if (!m->dev)
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb", major(m->dev),
		 minor(m->dev));
	len = snprintf(val, sizeof(val), "%u\n", kib);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, (size_t)len) != len)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err)
		log_warn("%s: cannot set the read-ahead to %u KiB (%s): %s", m->path, kib, path,
			 strerror(-err));
	return err;
}

void fs_mount_unmount(struct fs_mount *m)
{
	if (!m || !m->mounted)
		return;
	fuse_session_unmount(m->se);
	m->mounted = false;
}

void fs_mount_destroy(struct fs_mount *m)
{
	if (!m)
		return;
	fs_mount_unmount(m);
	fuse_session_destroy(m->se);
	free(m->path);
	free(m);
}
