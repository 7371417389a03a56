/* SPDX-License-Identifier: MIT */
/*
 * Copy-up: the first change to an object of a lower layer copies it into
 * the node's overlay. A file is written to a temporary in the work dir
 * (same filesystem), fsync'ed, and renamed into place, so a crash leaves
 * either no copy (the lower file shows) or the complete one, never a
 * partial file. The copy carries the id of its origin in an xattr, so the
 * node id stays the same.
 */
#include "fusefs/union/union_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/rmtree.h"

#define COPY_CHUNK (1 << 20)

#define LOG_PATH_MAX 200 /* a log line shows the end of a longer path */

static atomic_uint copyup_seq;

static const char *log_tail(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return !path ? "?" : n > LOG_PATH_MAX ? path + n - LOG_PATH_MAX : path;
}

static void temp_name(char *buf, size_t size, uint64_t id)
{
	snprintf(buf, size, "cu-%016llx-%u", (unsigned long long)id,
		 atomic_fetch_add(&copyup_seq, 1));
}

static bool all_zero(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

/* Copy the content of @o into @fd, keeping holes where the source reads
 * zeros. */
static int copy_data(struct union_fs *fs, struct pin *p, const struct dirlayers *dir,
		     const char *name, const struct uobj *o, int fd)
{
	off_t size = o->st.st_size, off = 0;
	char *buf = NULL;
	int src = -1, err = 0;

	(void)fs;
	if (o->top == L_GEN)
		return write(fd, o->ge->data, o->ge->len) == (ssize_t)o->ge->len ? 0 : -errno;
	buf = malloc(COPY_CHUNK);
	if (!buf)
		return -ENOMEM;
	if (o->top == L_SHARED) {
		src = openat(dir->shared_fd[o->top_shared], name,
			     O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (src < 0) {
			err = -errno;
			goto out;
		}
	}
	while (off < size) {
		size_t want = (size_t)(size - off) < COPY_CHUNK ? (size_t)(size - off) : COPY_CHUNK;
		ssize_t n = src >= 0 ? pread(src, buf, want, off)
				     : img_read(p->gen, o->img, buf, want, off);

		if (n < 0) {
			err = src >= 0 ? -errno : (int)n;
			goto out;
		}
		if (n == 0)
			break;
		if (!all_zero(buf, (size_t)n) && pwrite(fd, buf, (size_t)n, off) != n) {
			err = errno ? -errno : -EIO;
			goto out;
		}
		off += n;
	}
	if (ftruncate(fd, size) != 0)
		err = -errno;
out:
	if (src >= 0)
		close(src);
	free(buf);
	return err;
}

static int copy_image_xattrs(struct pin *p, const struct uobj *o, int fd)
{
	char names[4096], value[4096];
	ssize_t len, i;

	if (o->top != L_IMAGE)
		return 0;
	len = img_listxattr(p->gen, o->img, names, sizeof(names));
	if (len <= 0)
		return 0;
	for (i = 0; i < len; i += (ssize_t)strlen(names + i) + 1) {
		ssize_t vl = img_getxattr(p->gen, o->img, names + i, value, sizeof(value));

		if (vl >= 0 && fsetxattr(fd, names + i, value, (size_t)vl, 0) != 0 &&
		    errno != ENOTSUP)
			return -errno;
	}
	return 0;
}

static int readlink_lower(struct pin *p, const struct dirlayers *dir, const char *name,
			  const struct uobj *o, char *buf, size_t size)
{
	ssize_t n;

	if (o->top == L_IMAGE)
		return img_readlink(p->gen, o->img, buf, size) < 0 ? -EIO : 0;
	if (o->top != L_SHARED)
		return -EINVAL;
	n = readlinkat(dir->shared_fd[o->top_shared], name, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int make_temp(struct union_fs *fs, struct pin *p, const struct dirlayers *dir,
		     const char *name, const struct uobj *o, const char *tmp)
{
	const struct stat *st = &o->st;
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	char target[PATH_MAX];
	int fd, err = 0;

	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		fd = openat(fs->work_fd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		err = copy_data(fs, p, dir, name, o, fd);
		if (!err && fchown(fd, st->st_uid, st->st_gid) != 0)
			err = -errno;
		if (!err && fchmod(fd, st->st_mode & 07777) != 0)
			err = -errno;
		if (!err)
			err = copy_image_xattrs(p, o, fd);
		if (!err && fsetxattr(fd, XATTR_ORIGIN, &o->id, sizeof(o->id), 0) != 0)
			err = -errno;
		if (!err && futimens(fd, times) != 0)
			err = -errno;
		if (!err && fsync(fd) != 0)
			err = -errno;
		close(fd);
		return err;
	case S_IFLNK:
		err = readlink_lower(p, dir, name, o, target, sizeof(target));
		if (!err && symlinkat(target, fs->work_fd, tmp) != 0)
			err = -errno;
		break;
	default:
		if (mknodat(fs->work_fd, tmp, st->st_mode, st->st_rdev) != 0)
			err = -errno;
		break;
	}
	if (!err && fchownat(fs->work_fd, tmp, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) != 0)
		err = -errno;
	/* Every type keeps its id: a handle of an image symlink, FIFO or
	 * device must still name it after a chown -h or chmod. */
	if (!err)
		err = host_setxattr(fs->work_fd, tmp, XATTR_ORIGIN, &o->id, sizeof(o->id));
	if (!err && !S_ISLNK(st->st_mode) &&
	    fchmodat(fs->work_fd, tmp, st->st_mode & 07777, 0) != 0)
		err = -errno;
	if (!err && utimensat(fs->work_fd, tmp, times, AT_SYMLINK_NOFOLLOW) != 0)
		err = -errno;
	return err;
}

/* Make directory @name of @parent (in the overlay) exist there too, as
 * the lower directory @o is: owner, mode, times, and the origin's id. */
static int copy_dir_level(void *ctx, struct dirlayers *parent, const char *name,
			  const struct uobj *o)
{
	struct union_fs *fs = ctx;
	struct timespec times[2] = {o->st.st_atim, o->st.st_mtim};
	struct stat st;
	int err;

	if (parent->upper_fd < 0)
		return -EIO; /* the walk starts in the overlay: cannot happen */
	if (fstatat(parent->upper_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (mkdirat(parent->upper_fd, name, 0700) != 0 && errno != EEXIST)
		return -errno;
	if (fchownat(parent->upper_fd, name, o->st.st_uid, o->st.st_gid, AT_SYMLINK_NOFOLLOW) !=
		    0 ||
	    fchmodat(parent->upper_fd, name, o->st.st_mode & 07777, 0) != 0 ||
	    utimensat(parent->upper_fd, name, times, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	err = host_setxattr(parent->upper_fd, name, XATTR_ORIGIN, &o->id, sizeof(o->id));
	if (err)
		return err;
	quota_add(fs, quota_bytes_at(parent->upper_fd, name));
	union_changed(fs);
	return 0;
}

/*
 * Caller holds copyup_lock. The chain is made from the nearest ancestor
 * the overlay has, one level at a time by name (no path: any depth).
 */
static int dir_chain_locked(struct union_fs *fs, struct pin *p, struct dirlayers *dl)
{
	struct dirlayers made;
	int err;

	if (dl->upper_fd >= 0)
		return 0;
	if (!dl->id)
		return -EIO; /* every directory copied up comes by id */
	err = layers_walk_to_dir(fs, p, dl->id, copy_dir_level, fs, &made);
	if (err)
		return err;
	if (made.upper_fd < 0) {
		layers_close(&made);
		return -EIO;
	}
	dl->upper_fd = made.upper_fd;
	made.upper_fd = -1;
	layers_close(&made);
	return 0;
}

int copyup_dir_chain(struct union_fs *fs, struct pin *p, struct dirlayers *dl)
{
	int err;

	if (dl->upper_fd >= 0)
		return 0;
	pthread_mutex_lock(&fs->copyup_lock);
	err = dir_chain_locked(fs, p, dl);
	pthread_mutex_unlock(&fs->copyup_lock);
	return err;
}

int copyup(struct union_fs *fs, struct pin *p, struct dirlayers *dir, const char *name,
	   const struct uobj *o)
{
	char tmp[64];
	struct stat st;
	int err;

	if (o->top == L_UPPER)
		return 0;
	/* An image's 0/0 character device copied into the overlay would be a
	 * whiteout there, hiding the name for good: it cannot be changed. */
	if (is_whiteout(&o->st))
		return -EPERM;
	/* The copy takes about the lower file's size; checked before any
	 * parent is copied up, so that a refused copy-up leaves nothing. */
	if (!S_ISDIR(o->st.st_mode)) {
		err = quota_check(fs, S_ISREG(o->st.st_mode) ? (uint64_t)o->st.st_size : 0);
		if (err)
			return err;
	}
	pthread_mutex_lock(&fs->copyup_lock);
	err = dir_chain_locked(fs, p, dir);
	if (err)
		goto out;
	/* Someone else may have copied it up while we waited. */
	if (fstatat(dir->upper_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !is_whiteout(&st))
		goto out;
	if (S_ISDIR(o->st.st_mode)) {
		err = copy_dir_level(fs, dir, name, o);
		goto out;
	}
	temp_name(tmp, sizeof(tmp), o->id);
	err = make_temp(fs, p, dir, name, o, tmp);
	if (!err && renameat(fs->work_fd, tmp, dir->upper_fd, name) != 0)
		err = -errno;
	if (!err) {
		quota_add(fs, quota_bytes_at(dir->upper_fd, name));
		union_changed(fs);
	}
	if (err) {
		char *path = NULL;

		unlinkat(fs->work_fd, tmp, 0);
		itable_path(&fs->itab, dir->id, &path);
		union_log(fs, LOG_WARNING, "copy-up of %s%s%s%s failed: %s",
			  path && strlen(path) > LOG_PATH_MAX ? "..." : "", log_tail(path),
			  path && *path ? "/" : "", name, strerror(-err));
		free(path);
	}
out:
	pthread_mutex_unlock(&fs->copyup_lock);
	return err;
}

/* Temp files of copy-ups a crash interrupted (and half-removed trees). */
void copyup_clean_work(struct union_fs *fs)
{
	DIR *d = host_opendir(fs->work_fd, ".");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rmtree_at(fs->work_fd, de->d_name);
		union_log(fs, LOG_INFO, "removed %s, left in the work dir by a crash", de->d_name);
	}
	closedir(d);
}
