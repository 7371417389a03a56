/* SPDX-License-Identifier: MIT */
#include "fusefs/bootrec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bootrec_dir(const char *state, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", state, BOOTREC_DIR) >= size)
		return -ENAMETOOLONG;
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int bootrec_write(const char *state, const char *node, unsigned gen_id)
{
	char dir[PATH_MAX], path[PATH_MAX + 80], tmp[PATH_MAX + 80], rec[32];
	int fd, len, err;

	err = bootrec_dir(state, dir, sizeof(dir));
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", dir, node);
	/* A dot name: the watcher skips it, and the rename is the event. */
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, node);
	len = snprintf(rec, sizeof(rec), "generation %u\n", gen_id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	err = write(fd, rec, (size_t)len) == len ? 0 : -EIO;
	if (close(fd) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) != 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int bootrec_read(const char *state, const char *node, unsigned *gen_id)
{
	char path[PATH_MAX + 80], rec[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", state, BOOTREC_DIR, node);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, rec, sizeof(rec) - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	rec[n] = '\0';
	return sscanf(rec, "generation %u", gen_id) == 1 ? 0 : -EINVAL;
}
