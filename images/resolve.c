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

/* Replace *@work with "@target/@rest". */
static int splice_link(char **work, const char *target, const char *rest)
{
	size_t tl = strlen(target), rl = strlen(rest);
	char *next = malloc(tl + 1 + rl + 1);

	if (!next)
		return -ENOMEM;
	memcpy(next, target, tl);
	next[tl] = '/';
	memcpy(next + tl + 1, rest, rl + 1);
	free(*work);
	*work = next;
	return 0;
}

int img_resolve(struct image_gen *g, const char *path, bool follow, img_ino *ino, struct stat *st)
{
	char *work = strdup(path);
	char name[SQUASHFS_NAME_LEN + 1];
	char *target = NULL;
	img_ino cur = g->root_ino;
	const char *p;
	int links = 0;
	int err = 0;

	if (!work)
		return -ENOMEM;
	p = work;
	for (;;) {
		const char *end;
		struct stat cst;
		img_ino child;
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len > SQUASHFS_NAME_LEN) {
			err = -ENAMETOOLONG;
			break;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p = end;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			err = img_parent(g, cur, &cur); /* the root is its own parent */
			if (err)
				break;
			continue;
		}
		err = img_lookup(g, cur, name, &child, &cst);
		if (err)
			break;
		/* A trailing slash asks for the target too. */
		if (S_ISLNK(cst.st_mode) && (*p || follow)) {
			ssize_t n;

			if (++links > IMG_MAX_LINKS) {
				err = -ELOOP;
				break;
			}
			if (!target)
				target = malloc(IMG_LINK_MAX + 1);
			if (!target) {
				err = -ENOMEM;
				break;
			}
			n = img_readlink(g, child, target, IMG_LINK_MAX + 1);
			if (n < 0) {
				err = (int)n;
				break;
			}
			if (target[0] == '/')
				cur = g->root_ino;
			err = splice_link(&work, target, p);
			if (err)
				break;
			p = work;
			continue;
		}
		cur = child;
	}
	if (!err && (ino || st)) {
		if (st)
			err = img_getattr(g, cur, st);
		if (!err && ino)
			*ino = cur;
	}
	free(target);
	free(work);
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
