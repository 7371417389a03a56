/* SPDX-License-Identifier: MIT */
/* Root mounts: new names (MKNOD, SYMLINK, MKDIR, CREATE, LINK), made in
 * the work dir and renamed into place (upper.c). */
#include "fusefs/root/root_ops.h"
#include "fusefs/root/rootattr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct newent {
	struct rctx c;
	uint64_t parent;
	struct dirlayers dl;
	bool over_whiteout; /* a lower object of this name was deleted */
	uid_t uid;
	gid_t gid;
	bool setgid_dir;
	char tmp[64];
};

/* Checks and preparation shared by every op that makes a name. */
static int newent_begin(fuse_req_t req, fuse_ino_t parent, const char *name, struct newent *ne)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct stat st;
	struct uobj o;
	int err;

	memset(ne, 0, sizeof(*ne));
	ne->dl.upper_fd = -1;
	ne->parent = parent;
	err = rctx_get(req, &ne->c);
	if (err)
		return err;
	err = root_dir_layers(&ne->c, parent, &ne->dl);
	if (err)
		return err;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	err = layers_lookup(&ne->c.fs->u, ne->c.p, &ne->dl, name, &o);
	if (err != -ENOENT)
		return err ? err : -EEXIST;
	err = quota_check(&ne->c.fs->u, 0);
	if (err)
		return err;
	err = copyup_dir_chain(&ne->c.fs->u, ne->c.p, &ne->dl);
	if (err)
		return err;
	ne->over_whiteout =
		fstatat(ne->dl.upper_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && is_whiteout(&st);
	ne->uid = ctx->uid;
	ne->gid = ctx->gid;
	/* BSD group semantics of a setgid directory, as a local fs has them. */
	if (fstat(ne->dl.upper_fd, &st) != 0)
		return -errno;
	if (ne->dl.id == FUSE_ROOT_ID)
		rootattr_apply(ne->dl.upper_fd, &st);
	if (st.st_mode & S_ISGID) {
		ne->gid = st.st_gid;
		ne->setgid_dir = true;
	}
	renamex_work_name(ne->tmp, sizeof(ne->tmp));
	return 0;
}

static void newent_end(struct newent *ne)
{
	layers_close(&ne->dl);
	rctx_put(&ne->c);
}

/* Move the object made at ne->tmp in the work dir to @name. */
static int newent_place(struct newent *ne, const char *name, bool is_dir)
{
	struct root_fs *fs = ne->c.fs;
	int err = 0;

	if (is_dir && ne->over_whiteout) {
		/* A directory cannot replace a char device by rename:
		 * exchange, then drop the whiteout now in the work dir. */
		err = renamex_exchange(&fs->caps, fs->u.work_fd, fs->u.work_fd, ne->tmp,
				       ne->dl.upper_fd, name);
		if (!err)
			unlinkat(fs->u.work_fd, ne->tmp, 0);
	} else if (renameat(fs->u.work_fd, ne->tmp, ne->dl.upper_fd, name) != 0) {
		err = -errno;
	}
	if (err) {
		unlinkat(fs->u.work_fd, ne->tmp, is_dir ? AT_REMOVEDIR : 0);
	} else {
		quota_add(&fs->u, quota_bytes_at(ne->dl.upper_fd, name));
		root_dir_changed(fs, ne->parent);
		/* The change epoch drops every cached directory location
		 * (dircache.h). A new file, device or symlink moves no
		 * directory: a parent copied up for it bumped the epoch
		 * itself (copyup.c). Bumping here cost each create a walk
		 * from the root on the next request. */
		if (is_dir)
			root_changed(fs);
	}
	return err;
}

static void newent_reply(fuse_req_t req, struct newent *ne, fuse_ino_t parent, const char *name,
			 int err)
{
	struct fuse_entry_param e;

	if (!err)
		err = root_make_entry(&ne->c, parent, &ne->dl, name, &e);
	if (err) {
		fuse_reply_err(req, -err);
	} else {
		root_reply_made_entry(req, &ne->c, &e);
	}
	newent_end(ne);
}

static int chown_tmp(struct newent *ne, mode_t mode, bool chmod_too)
{
	int wfd = ne->c.fs->u.work_fd;

	if (fchownat(wfd, ne->tmp, ne->uid, ne->gid, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	/* chown cleared set-id bits; put the requested mode back. */
	if (chmod_too && fchmodat(wfd, ne->tmp, mode & 07777, 0) != 0)
		return -errno;
	return 0;
}

void root_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct newent ne;
	int err;

	/* A 0/0 character device is a whiteout in the overlay: made by a
	 * node it would hide the name for good, even from a later image.
	 * Kernel overlayfs answers EPERM, before any copy-up; so do we. */
	if (S_ISCHR(mode) && rdev == makedev(0, 0)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	err = newent_begin(req, parent, name, &ne);

	if (!err && mknodat(ne.c.fs->u.work_fd, ne.tmp, mode, rdev) != 0)
		err = -errno;
	if (!err) {
		err = chown_tmp(&ne, mode, !S_ISSOCK(mode));
		if (!err)
			err = newent_place(&ne, name, false);
		else
			unlinkat(ne.c.fs->u.work_fd, ne.tmp, 0);
	}
	newent_reply(req, &ne, parent, name, err);
}

void root_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct newent ne;
	int err = newent_begin(req, parent, name, &ne);

	if (!err && symlinkat(link, ne.c.fs->u.work_fd, ne.tmp) != 0)
		err = -errno;
	if (!err) {
		err = chown_tmp(&ne, 0, false);
		if (!err)
			err = newent_place(&ne, name, false);
		else
			unlinkat(ne.c.fs->u.work_fd, ne.tmp, 0);
	}
	newent_reply(req, &ne, parent, name, err);
}

void root_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct newent ne;
	int err = newent_begin(req, parent, name, &ne);

	if (!err && mkdirat(ne.c.fs->u.work_fd, ne.tmp, 0700) != 0)
		err = -errno;
	if (!err) {
		if (ne.setgid_dir)
			mode |= S_ISGID;
		err = chown_tmp(&ne, mode, true);
		/* Replacing a deleted lower directory: hide what it held. */
		if (!err && ne.over_whiteout)
			err = root_set_opaque(ne.c.fs->u.work_fd, ne.tmp);
		if (!err)
			err = newent_place(&ne, name, true);
		else
			unlinkat(ne.c.fs->u.work_fd, ne.tmp, AT_REMOVEDIR);
	}
	newent_reply(req, &ne, parent, name, err);
}

void root_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		 struct fuse_file_info *fi)
{
	struct root_fs *fs = fuse_req_userdata(req);
	/* Without OPEN the kernel sends no RELEASE either, not even for a
	 * created file: no handle then, the file goes to the cache of open
	 * overlay files, where the writes that follow find it. Shared by
	 * every later writer, so it is opened plainly read-write (the kernel
	 * passes the offsets, and sends FSYNC for O_SYNC). */
	struct ufile *f = fs->no_open ? NULL : calloc(1, sizeof(*f));
	struct fuse_entry_param e;
	struct newent ne;
	int flags = fs->no_open
			    ? O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC
			    : (fi->flags & (O_ACCMODE | O_APPEND | O_SYNC | O_DSYNC | O_DIRECT)) |
				      O_CREAT | O_EXCL | O_CLOEXEC;
	struct hfd *h;
	int err, fd = -1;

	if (!fs->no_open && !f) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	err = newent_begin(req, parent, name, &ne);
	if (!err) {
		fd = openat(ne.c.fs->u.work_fd, ne.tmp, flags, mode & 07777);
		if (fd < 0)
			err = -errno;
	}
	if (!err)
		err = chown_tmp(&ne, mode, true);
	if (!err)
		err = newent_place(&ne, name, false);
	else if (fd >= 0)
		unlinkat(ne.c.fs->u.work_fd, ne.tmp, 0);
	if (!err)
		err = root_make_entry(&ne.c, parent, &ne.dl, name, &e);
	if (err) {
		if (fd >= 0)
			close(fd);
		free(f);
		fuse_reply_err(req, -err);
	} else {
		if (fs->no_open) {
			fi->fh = 0;
			if (hfd_add(&fs->u.hfd, e.ino, fd, true, &h) == 0)
				hfd_put(&fs->u.hfd, h);
		} else {
			f->fd = fd;
			fi->fh = (uintptr_t)f;
			fi->noflush = 1; /* as in root_open() */
			atomic_fetch_add(&fs->open_files, 1);
		}
		root_count_entry(&ne.c, &e); /* before the reply, as for every entry */
		fuse_reply_create(req, &e, fi);
	}
	newent_end(&ne);
}

void root_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	char name[NAME_MAX + 1];
	struct dirlayers src = {.upper_fd = -1};
	struct newent ne;
	struct uobj o;
	int err = newent_begin(req, newparent, newname, &ne);

	if (!err)
		err = layers_resolve_id(&ne.c.fs->u, ne.c.p, ino, &src, name, &o);
	if (err)
		goto out;
	if (S_ISDIR(o.st.st_mode)) {
		err = -EPERM;
	} else {
		err = copyup(&ne.c.fs->u, ne.c.p, &src, name, &o);
		/* Link in the work dir, rename over a possible whiteout. */
		if (!err && linkat(src.upper_fd, name, ne.c.fs->u.work_fd, ne.tmp, 0) != 0)
			err = -errno;
		if (!err)
			err = newent_place(&ne, newname, false);
	}
	layers_close(&src);
out:
	newent_reply(req, &ne, newparent, newname, err);
}
