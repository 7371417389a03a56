/* SPDX-License-Identifier: MIT */
#include "lib/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mkdirp.h"
#include "lib/writeall.h"

static char *join(const char *dir, const char *prefix, const char *name, const char *suffix)
{
	char *path;

	return asprintf(&path, "%s/%s%s%s", dir, prefix, name, suffix) < 0 ? NULL : path;
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
	char *path = join(dir, "", name, "");
	int rc;

	*text = NULL;
	*len = 0;
	if (!path)
		return -ENOMEM;
	rc = statefile_read_path(path, text, len);
	free(path);
	return rc == -ENOENT ? 0 : rc;
}

int statefile_sync_dir(int at, const char *path)
{
	int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = -errno;
	close(fd);
	return rc;
}

int statefile_replace(const char *path, const char *text, size_t len, mode_t mode, uid_t uid,
		      gid_t gid)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL, *tmp = NULL;
	int fd, rc;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir || !(tmp = join(dir, ".", slash ? slash + 1 : path, ".XXXXXX"))) {
		rc = -ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
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
		goto out;
	}
	/* Make the rename itself durable. */
	rc = statefile_sync_dir(AT_FDCWD, dir);
out:
	free(tmp);
	free(dir);
	return rc;
}

int statefile_write(const char *dir, const char *name, const char *text, size_t len)
{
	char *path;
	int rc;

	rc = mkdir_p(dir, 0755);
	if (rc)
		return rc;
	path = join(dir, "", name, "");
	if (!path)
		return -ENOMEM;
	rc = statefile_replace(path, text, len, 0644, (uid_t)-1, (gid_t)-1);
	free(path);
	return rc;
}

int statefile_lock(const char *dir, const char *name)
{
	char *path;
	int fd, rc;

	rc = mkdir_p(dir, 0755);
	if (rc)
		return rc;
	path = join(dir, ".", name, ".lock");
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	rc = fd < 0 ? -errno : 0;
	free(path);
	if (rc)
		return rc;
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
