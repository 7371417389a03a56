/* SPDX-License-Identifier: MIT */
/* Writing the mark of a renamed directory (reading it: layers.c). */
#include "fusefs/union/union_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A directory that merges with lower ones keeps them wherever it goes, as
 * kernel overlayfs's redirect_dir=on records it: trusted.overlay.redirect
 * holds its old name within the same parent, else the absolute path the
 * lower layers have it at; a redirect that stays true is kept. It keeps its
 * id through the origin record.
 */
int union_set_redirect(struct union_fs *fs, const struct dirlayers *parent, const char *name,
		       const struct uobj *src, bool samedir)
{
	int dirfd = parent->upper_fd, err;
	char *rd, *lower;
	uint64_t v;

	if (host_getxattr(dirfd, name, XATTR_ORIGIN, &v, sizeof(v)) != sizeof(v) &&
	    host_setxattr(dirfd, name, XATTR_ORIGIN, &src->id, sizeof(src->id)) != 0)
		return -EXDEV;
	rd = host_getxattr_str(dirfd, name, XATTR_REDIRECT);
	if (rd && rd[0] && (samedir || rd[0] == '/')) {
		free(rd);
		return 0;
	}
	free(rd);
	if (samedir)
		return host_setxattr(dirfd, name, XATTR_REDIRECT, name, strlen(name)) ? -EXDEV : 0;
	err = layers_lower_path(fs, parent->id, name, &lower);
	if (err)
		return err;
	if (asprintf(&rd, "/%s", lower) < 0)
		rd = NULL;
	free(lower);
	if (!rd)
		return -ENOMEM;
	/* As the kernel: a redirect the host cannot store makes mv copy. */
	err = host_setxattr(dirfd, name, XATTR_REDIRECT, rd, strlen(rd)) ? -EXDEV : 0;
	free(rd);
	return err;
}
