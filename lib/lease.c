/* SPDX-License-Identifier: MIT */
#include "lib/lease.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#define HOLDER_MAX 256

int lease_holder_format(const struct lease_holder *h, char *buf, size_t size)
{
	int n = snprintf(buf, size, "server=%s host=%s pid=%ld since=%" PRId64 "\n", h->server,
			 h->host, h->pid, (int64_t)h->since);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

/* Copy the value of "@key=" in @line (up to a blank) into @out. */
static bool field(const char *line, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), len;
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=')
			break;
		p += klen;
	}
	if (!p)
		return false;
	p += klen + 1;
	len = strcspn(p, " \n");
	if (len >= size)
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

bool lease_holder_parse(const char *line, struct lease_holder *h)
{
	char pid[24], since[24], *end;
	long long v;

	memset(h, 0, sizeof(*h));
	if (!field(line, "server", h->server, sizeof(h->server)) ||
	    !field(line, "host", h->host, sizeof(h->host)) ||
	    !field(line, "pid", pid, sizeof(pid)) || !field(line, "since", since, sizeof(since)))
		goto bad;
	h->pid = strtol(pid, &end, 10);
	if (end == pid || *end || h->pid <= 0)
		goto bad;
	v = strtoll(since, &end, 10);
	if (end == since || *end || v < 0)
		goto bad;
	h->since = (time_t)v;
	return true;
bad:
	memset(h, 0, sizeof(*h));
	return false;
}

void lease_holder_describe(const struct lease_holder *h, char *buf, size_t size)
{
	if (!h->pid)
		snprintf(buf, size, "an unknown holder");
	else
		snprintf(buf, size, "%s (host %s, pid %ld)", h->server, h->host, h->pid);
}

static void holder_read(int fd, struct lease_holder *who)
{
	char line[HOLDER_MAX];
	ssize_t n = pread(fd, line, sizeof(line) - 1, 0);

	line[n > 0 ? n : 0] = '\0';
	lease_holder_parse(line, who);
}

/* Say who holds it; a failed write leaves the lease held all the same. */
static int holder_write(int fd, const struct lease_holder *me)
{
	char line[HOLDER_MAX];
	int n = lease_holder_format(me, line, sizeof(line));

	if (n < 0)
		return n;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n || fdatasync(fd) < 0)
		return -errno;
	return 0;
}

static int lock_fd(int fd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET};

	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

int lease_take(int overlays_fd, const char *node, const struct lease_holder *me, struct lease *l,
	       struct lease_holder *who)
{
	struct lease_holder self = *me;
	char path[sizeof(LEASE_DIR) + 256];
	int fd, err;

	if (who)
		memset(who, 0, sizeof(*who));
	if (lease_held(l))
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", LEASE_DIR, node) >= sizeof(path))
		return -ENAMETOOLONG;
	/* Root-only, like the rest of the overlays area (its check at start
	 * covers it from then on). */
	if (mkdirat(overlays_fd, LEASE_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(overlays_fd, path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = lock_fd(fd, F_WRLCK);
	if (err == -EAGAIN || err == -EACCES) {
		if (who)
			holder_read(fd, who);
		close(fd);
		return -EBUSY;
	}
	if (err) {
		close(fd);
		return err;
	}
	self.since = time(NULL);
	holder_write(fd, &self);
	l->fd = fd;
	l->since = self.since;
	return 0;
}

int lease_probe(int overlays_fd, const char *name, struct lease_holder *who)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	char path[sizeof(LEASE_DIR) + 256];
	int fd, err = 0;

	if (who)
		memset(who, 0, sizeof(*who));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", LEASE_DIR, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = openat(overlays_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		err = -errno;
	else if (fl.l_type != F_UNLCK)
		err = -EBUSY;
	if (err == -EBUSY && who)
		holder_read(fd, who);
	close(fd);
	return err;
}

void lease_release(struct lease *l)
{
	if (!lease_held(l))
		return;
	/* Emptied while still ours: a new holder's line is never erased. */
	if (ftruncate(l->fd, 0) < 0) {
		/* Only the holder line stays: status then names a holder gone. */
	}
	close(l->fd);
	l->fd = -1;
	l->since = 0;
}

bool lease_held(const struct lease *l)
{
	return l->fd >= 0;
}
