/* SPDX-License-Identifier: MIT */
/*
 * The walk goes down one directory at a time, by descriptor, and holds the
 * streams of the OPEN_LEVELS deepest directories only. Climbing back into
 * a directory whose stream was closed reopens it through ".." of its child
 * and checks it is the same directory (device and inode), then reads it
 * again from the start: what was removed is gone, and what could not be
 * removed is in the skip list, so each rescan makes progress.
 */
#include "lib/rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPEN_LEVELS 32

struct level {
	char *name; /* in the parent level; NULL at the top */
	dev_t dev;
	ino_t ino;
	DIR *d; /* NULL while closed */
};

struct skip {
	dev_t dev;
	ino_t ino;
};

struct walk {
	struct level *lv;
	size_t n, cap;
	struct skip *skip;
	size_t nskip, skipcap;
	dev_t dev; /* the filesystem of the top */
	int err;   /* the first error */
};

/* Note error @err for the entry (@dev, @ino), which is not retried. */
static void fail(struct walk *w, int err, dev_t dev, ino_t ino)
{
	if (!w->err)
		w->err = err;
	if (w->nskip == w->skipcap) {
		size_t cap = w->skipcap ? w->skipcap * 2 : 16;
		struct skip *s = realloc(w->skip, cap * sizeof(*s));

		if (!s)
			return; /* a rescan retries it, and fails the same way */
		w->skip = s;
		w->skipcap = cap;
	}
	w->skip[w->nskip++] = (struct skip){dev, ino};
}

static bool skipped(const struct walk *w, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < w->nskip; i++)
		if (w->skip[i].dev == dev && w->skip[i].ino == ino)
			return true;
	return false;
}

static bool is_dot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* Make directory @fd (consumed), named @name in the current level, the new
 * deepest level. */
static int push(struct walk *w, int fd, const char *name, const struct stat *st)
{
	struct level *l;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct level *lv = realloc(w->lv, cap * sizeof(*lv));

		if (!lv) {
			close(fd);
			return -ENOMEM;
		}
		w->lv = lv;
		w->cap = cap;
	}
	l = &w->lv[w->n];
	l->name = name ? strdup(name) : NULL;
	l->d = (!name || l->name) ? fdopendir(fd) : NULL;
	if (!l->d) {
		free(l->name);
		close(fd);
		return -ENOMEM;
	}
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	w->n++;
	if (w->n > OPEN_LEVELS && w->lv[w->n - 1 - OPEN_LEVELS].d) {
		closedir(w->lv[w->n - 1 - OPEN_LEVELS].d);
		w->lv[w->n - 1 - OPEN_LEVELS].d = NULL;
	}
	return 0;
}

/*
 * Remove what can be removed from the deepest level's directory; returns
 * true when it went down into a subdirectory instead.
 */
static bool scan(struct walk *w)
{
	struct level *l = &w->lv[w->n - 1];
	int fd = dirfd(l->d);
	struct dirent *de;

	for (errno = 0; (de = readdir(l->d)); errno = 0) {
		struct stat st;
		int sub;

		if (is_dot(de->d_name) || skipped(w, l->dev, de->d_ino))
			continue;
		/* Not a directory (a link too): unlinked, never followed. */
		if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR) {
			fail(w, -errno, l->dev, de->d_ino);
			continue;
		}
		if (unlinkat(fd, de->d_name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			continue;
		if (errno != ENOTEMPTY && errno != EEXIST) {
			fail(w, -errno, l->dev, de->d_ino);
			continue;
		}
		sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || fstat(sub, &st) != 0) {
			fail(w, -errno, l->dev, de->d_ino);
			if (sub >= 0)
				close(sub);
			continue;
		}
		if (st.st_dev != w->dev) {
			close(sub);
			fail(w, -EXDEV, l->dev, de->d_ino);
			continue;
		}
		if (push(w, sub, de->d_name, &st) != 0) {
			fail(w, -ENOMEM, l->dev, de->d_ino);
			continue;
		}
		return true;
	}
	if (errno)
		fail(w, -errno, l->dev, l->ino);
	return false;
}

/* Leave the deepest level (emptied as far as it goes) and remove it from
 * its parent. Returns false when the parent cannot be reopened. */
static bool climb(struct walk *w)
{
	struct level *l = &w->lv[w->n - 1], *parent = &w->lv[w->n - 2];

	if (!parent->d) {
		int fd = openat(dirfd(l->d), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) != 0 || st.st_dev != parent->dev ||
		    st.st_ino != parent->ino || !(parent->d = fdopendir(fd))) {
			/* Moved away under us: stop rather than guess. */
			if (!w->err)
				w->err = fd < 0 ? -errno : -ESTALE;
			if (fd >= 0)
				close(fd);
			return false;
		}
	}
	closedir(l->d);
	l->d = NULL;
	if (unlinkat(dirfd(parent->d), l->name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		fail(w, -errno, l->dev, l->ino);
	free(l->name);
	w->n--;
	return true;
}

/* Remove everything below directory @fd (consumed). */
static int empty_tree(int fd)
{
	struct walk w = {0};
	struct stat st;
	int err;

	if (fstat(fd, &st) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	w.dev = st.st_dev;
	err = push(&w, fd, NULL, &st);
	if (err)
		return err;
	while (w.n) {
		if (scan(&w))
			continue;
		if (w.n == 1 || !climb(&w))
			break;
	}
	for (size_t i = 0; i < w.n; i++) {
		if (w.lv[i].d)
			closedir(w.lv[i].d);
		free(w.lv[i].name);
	}
	free(w.lv);
	free(w.skip);
	return w.err;
}

static int open_dir_nofollow(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int rmtree_at(int dirfd, const char *name)
{
	int fd, err;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return -errno;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (errno != ENOTEMPTY && errno != EEXIST)
		return -errno;
	fd = open_dir_nofollow(dirfd, name);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	err = empty_tree(fd);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT && !err)
		err = -errno;
	return err;
}

int rmtree_contents_at(int dirfd, const char *name)
{
	int fd = open_dir_nofollow(dirfd, name);

	return fd < 0 ? fd : empty_tree(fd);
}
