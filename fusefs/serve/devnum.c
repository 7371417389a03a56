/* SPDX-License-Identifier: MIT */
#include "fusefs/serve/devnum.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Placeholders at most: far more anonymous devices than a server has. */
#define HOLD_MAX 4096

struct devnum_hold {
	size_t n;
	int fds[HOLD_MAX];
};

/* A new superblock that takes an anonymous device number (a detached tmpfs
 * mount, never attached anywhere): its fd, its number in *dev. */
static int placeholder(dev_t *dev)
{
	struct stat st;
	int fs, mnt, err;

	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
		err = -errno;
		close(fs);
		return err;
	}
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	err = -errno;
	close(fs);
	if (mnt < 0)
		return err;
	if (fstat(mnt, &st) != 0) {
		err = -errno;
		close(mnt);
		return err;
	}
	*dev = st.st_dev;
	return mnt;
}

int devnum_hold_below(dev_t want, struct devnum_hold **out)
{
	struct devnum_hold *h;
	int err = -ENOSPC;

	if (major(want) != 0 || minor(want) == 0)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	/* The kernel hands out the lowest free number: take them one by one
	 * until @want comes, then give it back for the mount that follows. */
	while (h->n < HOLD_MAX) {
		dev_t dev = 0;
		int fd = placeholder(&dev);

		if (fd < 0) {
			err = fd;
			break;
		}
		if (major(dev) == 0 && minor(dev) < minor(want)) {
			h->fds[h->n++] = fd;
			continue;
		}
		/* Closing a detached mount frees its superblock (and number)
		 * before close() returns. */
		close(fd);
		if (dev == want) {
			*out = h;
			return 0;
		}
		err = -EBUSY;
		break;
	}
	devnum_release(h);
	return err;
}

void devnum_release(struct devnum_hold *h)
{
	if (!h)
		return;
	while (h->n)
		close(h->fds[--h->n]);
	free(h);
}
