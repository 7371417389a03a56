/* SPDX-License-Identifier: MIT */
#include "mapper/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int statefile_mkdirs(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir), i;

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		path[i] = i < len ? '/' : '\0';
	}
	return 0;
}

static int join(char *buf, size_t size, const char *dir, const char *prefix, const char *name,
		const char *suffix)
{
	int n = snprintf(buf, size, "%s/%s%s%s", dir, prefix, name, suffix);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int statefile_read_path(const char *path, char **text, size_t *len)
{
	size_t used = 0, cap = 0;
	char *buf = NULL;
	int fd, rc = 0;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (cap - used < 4096) {
			char *p;

			cap = cap ? cap * 2 : 8192;
			p = realloc(buf, cap);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			buf = p;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int statefile_read(const char *dir, const char *name, char **text, size_t *len)
{
	char path[PATH_MAX];
	int rc;

	*text = NULL;
	*len = 0;
	rc = join(path, sizeof(path), dir, "", name, "");
	if (rc)
		return rc;
	rc = statefile_read_path(path, text, len);
	return rc == -ENOENT ? 0 : rc;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int statefile_replace(const char *path, const char *text, size_t len, mode_t mode, uid_t uid,
		      gid_t gid)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, dfd, rc;

	if (slash)
		rc = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		rc = snprintf(dir, sizeof(dir), ".");
	if (rc < 0 || (size_t)rc >= sizeof(dir))
		return -ENAMETOOLONG;
	if (!dir[0])
		strcpy(dir, "/");
	rc = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, slash ? slash + 1 : path);
	if (rc < 0 || (size_t)rc >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, text, len);
	if (!rc && uid != (uid_t)-1 && fchown(fd, uid, gid))
		rc = -errno;
	if (!rc && fchmod(fd, mode))
		rc = -errno;
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	/* Make the rename itself durable. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int statefile_write(const char *dir, const char *name, const char *text, size_t len)
{
	char path[PATH_MAX];
	int rc;

	rc = statefile_mkdirs(dir);
	if (!rc)
		rc = join(path, sizeof(path), dir, "", name, "");
	if (rc)
		return rc;
	return statefile_replace(path, text, len, 0644, (uid_t)-1, (gid_t)-1);
}

int statefile_lock(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd, rc;

	rc = statefile_mkdirs(dir);
	if (!rc)
		rc = join(path, sizeof(path), dir, ".", name, ".lock");
	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX)) {
		if (errno != EINTR) {
			rc = -errno;
			close(fd);
			return rc;
		}
	}
	return fd;
}

void statefile_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
