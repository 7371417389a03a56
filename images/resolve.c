/* SPDX-License-Identifier: MIT */
/*
 * img_resolve: path walk confined to the image, like a chroot. Absolute
 * symlink targets restart at the image root and ".." stops there, so no
 * link in an image can name a file of the host.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "images/image_priv.h"
#include "lib/chroot_walk.h"

/* The walk's state: the current directory and the object just looked up. */
struct img_walk {
	struct image_gen *g;
	img_ino cur, found;
};

static int walk_lookup(void *ctx, const char *name, mode_t *mode)
{
	struct img_walk *iw = ctx;
	struct stat st;
	int err = img_lookup(iw->g, iw->cur, name, &iw->found, &st);

	if (!err)
		*mode = st.st_mode;
	return err;
}

static int walk_readlink(void *ctx, char *buf, size_t size)
{
	struct img_walk *iw = ctx;
	ssize_t n = img_readlink(iw->g, iw->found, buf, size);

	return n < 0 ? (int)n : 0;
}

static int walk_enter(void *ctx)
{
	struct img_walk *iw = ctx;

	iw->cur = iw->found;
	return 0;
}

static int walk_up(void *ctx, const char *path)
{
	struct img_walk *iw = ctx;

	(void)path;
	return img_parent(iw->g, iw->cur, &iw->cur);
}

static int walk_to_root(void *ctx)
{
	struct img_walk *iw = ctx;

	iw->cur = iw->g->root_ino;
	return 0;
}

static const struct chroot_walk_ops img_walk_ops = {
	.lookup = walk_lookup,
	.readlink = walk_readlink,
	.enter = walk_enter,
	.up = walk_up,
	.to_root = walk_to_root,
};

int img_resolve(struct image_gen *g, const char *path, bool follow, img_ino *ino, struct stat *st)
{
	struct img_walk iw = {.g = g, .cur = g->root_ino};
	struct chroot_walk w = {.flags = follow ? CHROOT_FOLLOW_LAST : 0};
	int err = chroot_walk(&img_walk_ops, &iw, path, &w);
	img_ino res = w.named ? iw.found : iw.cur;

	if (!err && st)
		err = img_getattr(g, res, st);
	if (!err && ino)
		*ino = res;
	return err;
}

int img_boot_dir(struct image_gen *g, const char *boot_dir, img_ino *ino, const char **found)
{
	static const char *const autos[] = {"boot/firmware", "boot"};
	struct stat st;
	size_t i;

	if (strcmp(boot_dir, "auto") != 0) {
		if (img_resolve(g, boot_dir, true, ino, &st) == 0 && S_ISDIR(st.st_mode)) {
			*found = boot_dir;
			return 0;
		}
		return -ENOENT;
	}
	for (i = 0; i < sizeof(autos) / sizeof(autos[0]); i++) {
		if (img_resolve(g, autos[i], true, ino, &st) == 0 && S_ISDIR(st.st_mode)) {
			*found = autos[i];
			return 0;
		}
	}
	return -ENOENT;
}
