/* SPDX-License-Identifier: MIT */
#include "ctl/image_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* "pid 123 (image shell)" from the lock file, or "another process". */
static void holder(int fd, char *buf, size_t len)
{
	char raw[128];
	ssize_t n = pread(fd, raw, sizeof(raw) - 1, 0);
	char *sp;
	long pid;

	snprintf(buf, len, "another process");
	if (n <= 0)
		return;
	raw[n] = '\0';
	raw[strcspn(raw, "\n")] = '\0';
	pid = strtol(raw, &sp, 10);
	if (sp == raw || *sp != ' ' || pid <= 0)
		return;
	snprintf(buf, len, "pid %ld (%s)", pid, sp + 1);
}

int image_lock_acquire(const char *images, const char *name, const char *what, bool wait, char *why,
		       size_t whylen)
{
	char path[4096], who[160], line[160];
	int fd, err, n;

	n = snprintf(path, sizeof(path), "%s/%s", images, IMAGE_LOCK_DIR);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	n = snprintf(path, sizeof(path), "%s/%s/%s.lock", images, IMAGE_LOCK_DIR, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			err = -errno;
			goto fail;
		}
		holder(fd, who, sizeof(who));
		if (!wait) {
			snprintf(why, whylen, "image %s is locked by %s; try again later", name,
				 who);
			close(fd);
			return -EBUSY;
		}
		fprintf(stderr, "netbootctl: waiting for the lock on image %s held by %s...\n",
			name, who);
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				err = -errno;
				goto fail;
			}
		}
	}
	n = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(), what);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n) {
		/* Who holds it is for messages only: the lock is taken all the same. */
	}
	return fd;
fail:
	snprintf(why, whylen, "%s: %s", path, strerror(-err));
	close(fd);
	return err;
}

void image_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
