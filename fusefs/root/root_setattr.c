/* SPDX-License-Identifier: MIT */
/* Root mounts: SETATTR (mode, owner, size, times), on the overlay copy. */
#include "fusefs/root/root_ops.h"
#include "fusefs/root/rootattr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#define ROOT_ATTR_SET (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)

static int apply_setattr(struct root_fs *fs, int dirfd, const char *name, const struct uobj *o,
			 bool is_root, struct stat *attr, int to_set, struct ufile *f)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
	bool link = !is_root && S_ISLNK(o->st.st_mode);

	if ((to_set & FUSE_SET_ATTR_MODE) && !link &&
	    fchmodat(dirfd, name, attr->st_mode & 07777, 0) != 0)
		return -errno;
	if ((to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) &&
	    fchownat(dirfd, name, (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1,
		     (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1,
		     AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		int fd = f && f->fd >= 0 ? f->fd
					 : openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		int err = 0;

		if (fd < 0)
			return -errno;
		err = quota_ftruncate(&fs->u, fd, attr->st_size);
		if (!(f && f->fd >= 0))
			close(fd);
		if (err)
			return err;
	}
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		ts[0] = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		ts[1] = attr->st_mtim;
	if ((to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
		       FUSE_SET_ATTR_MTIME_NOW)) &&
	    utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	return 0;
}

void root_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		  struct fuse_file_info *fi)
{
	struct ufile *f = fi ? (struct ufile *)(uintptr_t)fi->fh : NULL;
	char name[NAME_MAX + 1];
	struct dirlayers parent = {.upper_fd = -1};
	struct uobj o = {0};
	struct stat st;
	struct rctx c;
	int err;

	err = rctx_get(req, &c);
	if (!err)
		err = root_copyup_id(&c, ino, &parent, name, &o);
	if (!err) {
		int dirfd = ino == FUSE_ROOT_ID ? c.fs->u.upper_fd : parent.upper_fd;

		/* The host dir stays root-only: the node's "/" is recorded. */
		if (ino == FUSE_ROOT_ID && (to_set & ROOT_ATTR_SET)) {
			err = rootattr_set(dirfd, to_set & FUSE_SET_ATTR_MODE, attr->st_mode,
					   (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1,
					   (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1);
			to_set &= ~ROOT_ATTR_SET;
		}
		if (!err)
			err = apply_setattr(c.fs, dirfd, name, &o, ino == FUSE_ROOT_ID, attr,
					    to_set, f);
		layers_close(&parent);
	}
	if (!err)
		err = root_getattr_id(&c, ino, &st, NULL);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, ROOT_TIMEOUT);
	rctx_put(&c);
}
