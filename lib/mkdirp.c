/* SPDX-License-Identifier: MIT */
#include "lib/mkdirp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir @path unless a directory is already there. */
static int mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	/* A dangling link is no directory; a mount point whose FUSE daemon
	 * died (ENOTCONN) is one, for the caller to mount over again. */
	return errno == ENOENT || errno == ELOOP ? -errno : 0;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *buf, *p;
	int err = 0;

	if (!path[0])
		return -ENOENT;
	buf = strdup(path);
	if (!buf)
		return -ENOMEM;
	/* Trailing slashes name the same directory. */
	for (p = buf + strlen(buf) - 1; p > buf && *p == '/'; p--)
		*p = '\0';
	for (p = buf + 1; *p && !err; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		err = mkdir_one(buf, 0755);
		*p = '/';
	}
	if (!err)
		err = mkdir_one(buf, mode);
	free(buf);
	return err;
}
