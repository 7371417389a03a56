/* SPDX-License-Identifier: MIT */
/* Writing the mark of a renamed directory (reading it: layers.c). */
#include "fusefs/union/union_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * A directory that merges with lower ones keeps them wherever it goes, as
 * kernel overlayfs's redirect_dir=on records it: trusted.overlay.redirect
 * holds its old name within the same parent, else the absolute path the
 * lower layers have it at; a redirect that stays true is kept. It keeps its
 * id through the origin record. @me: its layers before the move.
 */
int union_set_redirect(int dirfd, const char *name, const struct dirlayers *me,
		       const struct uobj *src, bool samedir)
{
	char rd[PATH_MAX + 1];
	uint64_t v;
	int n;

	if (host_getxattr(dirfd, name, XATTR_ORIGIN, &v, sizeof(v)) != sizeof(v) &&
	    host_setxattr(dirfd, name, XATTR_ORIGIN, &src->id, sizeof(src->id)) != 0)
		return -EXDEV;
	n = host_getxattr(dirfd, name, XATTR_REDIRECT, rd, sizeof(rd) - 1);
	if (n > 0 && (samedir || rd[0] == '/'))
		return 0;
	if (samedir)
		snprintf(rd, sizeof(rd), "%s", name);
	else
		snprintf(rd, sizeof(rd), "/%s", me->lpath);
	/* As the kernel: a redirect the host cannot store makes mv copy. */
	return host_setxattr(dirfd, name, XATTR_REDIRECT, rd, strlen(rd)) ? -EXDEV : 0;
}
