/* SPDX-License-Identifier: MIT */
/*
 * Root mounts: everything that changes the tree. Changes land in the
 * node's overlay in the kernel overlayfs upper format: new objects are
 * made in the work dir and renamed into place (so they replace a whiteout
 * atomically), deletions of lower objects leave a whiteout (char 0/0), a
 * directory made where a lower one was deleted is opaque.
 */
#include "fusefs/root/root_ops.h"
#include "fusefs/root/rootattr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fusefs/serve/log.h"
#include "lib/rmtree.h"

#define XATTR_OPAQUE  "trusted.overlay.opaque"
#define ROOT_ATTR_SET (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)

static atomic_uint work_seq;

static void work_name(char *buf, size_t size)
{
	snprintf(buf, size, "new-%d-%u", getpid(), atomic_fetch_add(&work_seq, 1));
}

static bool xattr_private(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "trusted.netbootfs.", 18) == 0;
}

/* ---- new entries ----------------------------------------------------- */

struct newent {
	struct rctx c;
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
	if (!ne->dl.path[0])
		rootattr_apply(ne->dl.upper_fd, &st);
	if (st.st_mode & S_ISGID) {
		ne->gid = st.st_gid;
		ne->setgid_dir = true;
	}
	work_name(ne->tmp, sizeof(ne->tmp));
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
		if (renameat2(fs->u.work_fd, ne->tmp, ne->dl.upper_fd, name, RENAME_EXCHANGE) != 0)
			err = -errno;
		else
			unlinkat(fs->u.work_fd, ne->tmp, 0);
	} else if (renameat(fs->u.work_fd, ne->tmp, ne->dl.upper_fd, name) != 0) {
		err = -errno;
	}
	if (err) {
		unlinkat(fs->u.work_fd, ne->tmp, is_dir ? AT_REMOVEDIR : 0);
	} else {
		quota_add(&fs->u, quota_bytes_at(ne->dl.upper_fd, name));
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

static int set_opaque(int dirfd, const char *name)
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
			err = set_opaque(ne.c.fs->u.work_fd, ne.tmp);
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

/* ---- deletions ------------------------------------------------------- */

/* Remove @name from the overlay dir, leaving a whiteout when a lower
 * layer still has it. */
static int remove_entry_now(struct rctx *c, struct dirlayers *dl, const char *name,
			    const struct uobj *o);

static int remove_entry(struct rctx *c, struct dirlayers *dl, const char *name,
			const struct uobj *o)
{
	int err = remove_entry_now(c, dl, name, o);

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
	work_name(tmp, sizeof(tmp));
	if (renameat2(dl->upper_fd, name, fs->u.work_fd, tmp,
		      o->lower_present ? RENAME_WHITEOUT : 0) != 0)
		return -errno;
	quota_add(&fs->u, -gone);
	if (dir)
		rmtree_at(fs->u.work_fd, tmp);
	else
		unlinkat(fs->u.work_fd, tmp, 0);
	return 0;
}

static int dir_is_empty(struct rctx *c, struct dirlayers *parent, const char *name)
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

static void remove_common(fuse_req_t req, fuse_ino_t parent, const char *name, bool rmdir)
{
	struct dirlayers dl = {.upper_fd = -1};
	struct uobj o;
	struct rctx c;
	int err;

	err = rctx_get(req, &c);
	if (!err)
		err = root_dir_layers(&c, parent, &dl);
	if (err)
		goto out;
	err = layers_lookup(&c.fs->u, c.p, &dl, name, &o);
	if (!err && rmdir && !S_ISDIR(o.st.st_mode))
		err = -ENOTDIR;
	if (!err && !rmdir && S_ISDIR(o.st.st_mode))
		err = -EISDIR;
	if (!err && rmdir)
		err = dir_is_empty(&c, &dl, name);
	if (!err)
		err = remove_entry(&c, &dl, name, &o);
	if (!err && (rmdir || o.st.st_nlink <= 1))
		itable_remove(&c.fs->u.itab, o.id);
	layers_close(&dl);
out:
	fuse_reply_err(req, -err);
	rctx_put(&c);
}

void root_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_common(req, parent, name, false);
}

void root_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_common(req, parent, name, true);
}

/* ---- rename ---------------------------------------------------------- */

static int rename_checks(struct rctx *c, struct dirlayers *ddl, const char *newname,
			 const struct uobj *src, const struct uobj *dst, bool dst_exists)
{
	bool sdir = S_ISDIR(src->st.st_mode);

	if (!dst_exists)
		return 0;
	if (sdir && !S_ISDIR(dst->st.st_mode))
		return -ENOTDIR;
	if (!sdir && S_ISDIR(dst->st.st_mode))
		return -EISDIR;
	return S_ISDIR(dst->st.st_mode) ? dir_is_empty(c, ddl, newname) : 0;
}

/* Move overlay dir @name of @sdl (copied up) to @newname of @ddl, over
 * @dst (an empty directory) if not NULL. */
static int rename_dir(struct rctx *c, struct dirlayers *sdl, const char *name,
		      struct dirlayers *ddl, const char *newname, const struct uobj *src,
		      const struct uobj *dst, bool samedir)
{
	struct dirlayers me;
	bool merged;
	struct stat st;
	int err;

	err = layers_step(&c->fs->u, c->p, sdl, name, &me);
	if (err)
		return err;
	merged = layers_have_lower(&me);
	if (merged)
		err = union_set_redirect(sdl->upper_fd, name, &me, src, samedir);
	layers_close(&me);
	if (!err && dst)
		err = remove_entry(c, ddl, newname, dst);
	if (err)
		return err;
	if (fstatat(ddl->upper_fd, newname, &st, AT_SYMLINK_NOFOLLOW) != 0 || !is_whiteout(&st)) {
		if (renameat2(sdl->upper_fd, name, ddl->upper_fd, newname,
			      src->lower_present ? RENAME_WHITEOUT : 0) != 0)
			return -errno;
		return 0;
	}
	/* Over a whiteout: an overlay-only dir hides what the lower layers
	 * had there; the whiteout that the exchange leaves at the old name
	 * stays if a lower layer has that name. */
	if (!merged)
		err = set_opaque(sdl->upper_fd, name);
	if (!err && renameat2(sdl->upper_fd, name, ddl->upper_fd, newname, RENAME_EXCHANGE) != 0)
		err = -errno;
	if (!err && !src->lower_present)
		unlinkat(sdl->upper_fd, name, 0);
	return err;
}

void root_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		 const char *newname, unsigned int flags)
{
	struct dirlayers sdl = {.upper_fd = -1}, ddl = {.upper_fd = -1};
	struct uobj src, dst;
	bool dst_exists;
	struct rctx c;
	int err;

	err = rctx_get(req, &c);
	if (err)
		goto out;
	if (flags & ~RENAME_NOREPLACE) {
		err = -EINVAL; /* RENAME_EXCHANGE, RENAME_WHITEOUT: not offered */
		goto out;
	}
	err = root_dir_layers(&c, parent, &sdl);
	if (!err)
		err = root_dir_layers(&c, newparent, &ddl);
	if (!err)
		err = layers_lookup(&c.fs->u, c.p, &sdl, name, &src);
	if (err)
		goto out;
	err = layers_lookup(&c.fs->u, c.p, &ddl, newname, &dst);
	if (err && err != -ENOENT)
		goto out;
	dst_exists = err == 0;
	err = 0;
	if (dst_exists && (flags & RENAME_NOREPLACE)) {
		err = -EEXIST;
		goto out;
	}
	if (dst_exists && dst.id == src.id)
		goto out; /* the same file: nothing to do */
	err = rename_checks(&c, &ddl, newname, &src, &dst, dst_exists);
	if (!err)
		err = copyup(&c.fs->u, c.p, &sdl, name, &src);
	if (!err)
		err = copyup_dir_chain(&c.fs->u, c.p, &ddl);
	if (err)
		goto out;
	if (S_ISDIR(src.st.st_mode)) {
		err = rename_dir(&c, &sdl, name, &ddl, newname, &src, dst_exists ? &dst : NULL,
				 parent == newparent);
	} else {
		int64_t gone = 0;

		if (dst_exists && dst.top == L_UPPER && S_ISREG(dst.st.st_mode))
			root_keep_open(c.fs, dst.id, ddl.upper_fd, newname);
		if (dst_exists && dst.top == L_UPPER)
			gone = quota_bytes_at(ddl.upper_fd, newname);
		if (renameat2(sdl.upper_fd, name, ddl.upper_fd, newname,
			      src.lower_present ? RENAME_WHITEOUT : 0) != 0)
			err = -errno;
		else
			quota_add(&c.fs->u, -gone);
	}
	if (!err) {
		if (dst_exists)
			itable_remove(&c.fs->u.itab, dst.id);
		itable_set(&c.fs->u.itab, src.id, newparent, newname);
	}
	if (c.fs)
		root_changed(c.fs);
out:
	layers_close(&sdl);
	layers_close(&ddl);
	fuse_reply_err(req, -err);
	rctx_put(&c);
}

/* ---- attributes ------------------------------------------------------ */

/* Copy @id up and give the overlay dir and name that now hold it. */
static int copyup_id(struct rctx *c, uint64_t id, struct dirlayers *parent, char *name,
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
	err = copyup_id(c, id, &parent, name, &o);
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
		err = copyup_id(&c, ino, &parent, name, &o);
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

static void xattr_change(fuse_req_t req, fuse_ino_t ino, const char *attr, const char *value,
			 size_t size, int flags, bool remove)
{
	char name[NAME_MAX + 1], proc[64];
	struct dirlayers parent = {.upper_fd = -1};
	struct uobj o;
	struct rctx c;
	int err, fd = -1;

	err = rctx_get(req, &c);
	if (!err && xattr_private(attr))
		err = -EPERM;
	/* No POSIX ACLs: on the host they would change the mode behind the
	 * kernel's attribute cache. Without them cp and mv use chmod. */
	if (!err && strncmp(attr, "system.posix_acl_", 17) == 0)
		err = -EOPNOTSUPP;
	if (!err)
		err = copyup_id(&c, ino, &parent, name, &o);
	if (!err) {
		fd = openat(ino == FUSE_ROOT_ID ? c.fs->u.upper_fd : parent.upper_fd, name,
			    O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			err = -errno;
		layers_close(&parent);
	}
	if (!err) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if ((remove ? removexattr(proc, attr) : setxattr(proc, attr, value, size, flags)) !=
		    0)
			err = -errno;
	}
	if (fd >= 0)
		close(fd);
	fuse_reply_err(req, -err);
	rctx_put(&c);
}

void root_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
		   int flags)
{
	xattr_change(req, ino, name, value, size, flags, false);
}

void root_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	xattr_change(req, ino, name, NULL, 0, 0, true);
}
