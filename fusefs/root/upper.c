/* SPDX-License-Identifier: MIT */
/*
 * Changes land in the node's overlay in the kernel overlayfs upper format:
 * new objects are made in the work dir and renamed into place (so they
 * replace a whiteout atomically), deletions of lower objects leave a
 * whiteout (char 0/0), a directory made where a lower one was deleted is
 * opaque. The pieces the write handlers share: work names, the opaque
 * mark, removal, copy-up by id, opening for writing.
 */
#include "fusefs/root/root_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/rmtree.h"

#define XATTR_OPAQUE "trusted.overlay.opaque"

int root_move(struct root_fs *fs, int sfd, const char *sname, int dfd, const char *dname,
	      bool whiteout)
{
	if (whiteout)
		return renamex_whiteout(&fs->caps, fs->u.work_fd, sfd, sname, dfd, dname);
	return renameat(sfd, sname, dfd, dname) != 0 ? -errno : 0;
}

int root_set_opaque(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fsetxattr(fd, XATTR_OPAQUE, "y", 1, 0) != 0)
		err = -errno;
	close(fd);
	return err;
}

/* @name opened read-write if it can be, else read-only (*@rw says). */
static int open_kept_at(int dirfd, const char *name, bool *rw)
{
	int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	*rw = fd >= 0;
	if (fd < 0)
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/*
 * The file is opened through a link in the work dir, dropped at once: an
 * open file pins the host dentry it was opened by, and one left in the
 * directory it goes from made each later rmdir of that directory spin in
 * the host's dcache shrink (rm -rf of 27,718 files: 8.8 s of daemon CPU
 * instead of 4.1). A file system without hard links opens it by its name.
 */
void root_keep_open(struct root_fs *fs, uint64_t id, int dirfd, const char *name)
{
	char tmp[64];
	struct hfd *h;
	bool rw;
	int fd;

	renamex_work_name(tmp, sizeof(tmp));
	if (linkat(dirfd, name, fs->u.work_fd, tmp, 0) == 0) {
		fd = open_kept_at(fs->u.work_fd, tmp, &rw);
		unlinkat(fs->u.work_fd, tmp, 0);
	} else {
		fd = open_kept_at(dirfd, name, &rw);
	}
	/* Kept until the kernel forgets the id: at once, unless open. */
	if (fd >= 0 && hfd_add(&fs->u.hfd, id, fd, rw, &h) == 0)
		hfd_put(&fs->u.hfd, h);
}

/* Remove @name from the overlay dir, leaving a whiteout when a lower
 * layer still has it. */
static int remove_entry_now(struct rctx *c, struct dirlayers *dl, const char *name,
			    const struct uobj *o);

int root_remove_entry(struct rctx *c, struct dirlayers *dl, const char *name, const struct uobj *o)
{
	int err = remove_entry_now(c, dl, name, o);

	/* A directory gone drops every cached directory location (the change
	 * epoch, dircache.h). A file moves no directory (a parent copied up
	 * for its whiteout bumped the epoch itself, copyup.c): bumping there
	 * made the request after each unlink walk from the root again. */
	if (S_ISDIR(o->st.st_mode))
		root_changed(c->fs);
	return err;
}

static int remove_entry_now(struct rctx *c, struct dirlayers *dl, const char *name,
			    const struct uobj *o)
{
	struct root_fs *fs = c->fs;
	bool dir = S_ISDIR(o->st.st_mode);
	int64_t gone;
	char tmp[64];
	int err;

	if (o->top != L_UPPER) {
		err = copyup_dir_chain(&fs->u, c->p, dl);
		if (!err && mknodat(dl->upper_fd, name, S_IFCHR, makedev(0, 0)) != 0)
			err = -errno;
		return err;
	}
	if (S_ISREG(o->st.st_mode))
		root_keep_open(fs, o->id, dl->upper_fd, name);
	/* Counted as freed now, even if a file is still open. */
	gone = quota_bytes_at(dl->upper_fd, name);
	if (!dir && !o->lower_present) {
		if (unlinkat(dl->upper_fd, name, 0) != 0)
			return -errno;
		quota_add(&fs->u, -gone);
		return 0;
	}
	/* Atomically: the object moves to the work dir, a whiteout stays. */
	renamex_work_name(tmp, sizeof(tmp));
	err = root_move(fs, dl->upper_fd, name, fs->u.work_fd, tmp, o->lower_present);
	if (err)
		return err;
	quota_add(&fs->u, -gone);
	if (dir)
		rmtree_at(fs->u.work_fd, tmp);
	else
		unlinkat(fs->u.work_fd, tmp, 0);
	return 0;
}

int root_dir_is_empty(struct rctx *c, struct dirlayers *parent, const char *name)
{
	struct dirlist l = {0};
	struct dirlayers dl;
	int err = layers_step(&c->fs->u, c->p, parent, name, &dl);

	if (err)
		return err;
	err = root_list_dir(c, &dl, &l);
	layers_close(&dl);
	if (!err && l.n)
		err = -ENOTEMPTY;
	dirlist_free(&l);
	return err;
}

/* Copy @id up and give the overlay dir and name that now hold it. */
int root_copyup_id(struct rctx *c, uint64_t id, struct dirlayers *parent, char *name,
		   struct uobj *o)
{
	int err;

	if (id == FUSE_ROOT_ID) {
		parent->upper_fd = -1;
		strcpy(name, ".");
		return 0;
	}
	err = layers_resolve_id(&c->fs->u, c->p, id, parent, name, o);
	if (err)
		return err;
	err = copyup(&c->fs->u, c->p, parent, name, o);
	if (err)
		layers_close(parent);
	return err;
}

int root_open_upper(struct rctx *c, uint64_t id, int flags, int *fd)
{
	char name[NAME_MAX + 1];
	struct dirlayers parent;
	struct uobj o;
	int err;

	if (id == FUSE_ROOT_ID)
		return -EISDIR;
	err = root_copyup_id(c, id, &parent, name, &o);
	if (err)
		return err;
	if (S_ISDIR(o.st.st_mode)) {
		err = -EISDIR;
	} else {
		int64_t before = (flags & O_TRUNC) ? quota_bytes_at(parent.upper_fd, name) : 0;

		*fd = openat(parent.upper_fd, name,
			     (flags & ~(O_CREAT | O_EXCL | O_NOCTTY)) | O_NOFOLLOW | O_CLOEXEC);
		if (*fd < 0)
			err = -errno;
		else if (flags & O_TRUNC)
			quota_add(&c->fs->u, quota_bytes_at(parent.upper_fd, name) - before);
	}
	layers_close(&parent);
	return err;
}
