/* SPDX-License-Identifier: MIT */
/* Root mounts: lookups, attributes, listings, reads, xattrs. */
#include "fusefs/root/root_ops.h"
#include "fusefs/root/rootattr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fusefs/serve/dirreply.h"
#include "fusefs/serve/log.h"

int rctx_get(fuse_req_t req, struct rctx *c)
{
	c->fs = fuse_req_userdata(req);
	root_mark_active(c->fs);
	c->p = node_pin_get(c->fs->rt);
	return c->p ? 0 : -EIO;
}

void rctx_put(struct rctx *c)
{
	pin_put(c->p);
	c->p = NULL;
}

int root_dir_layers(struct rctx *c, uint64_t id, struct dirlayers *dl)
{
	return layers_open_dir_id(&c->fs->u, c->p, id, dl);
}

int root_getattr_id(struct rctx *c, uint64_t id, struct stat *st, uint64_t *fh_gen)
{
	struct dirlayers parent;
	char name[NAME_MAX + 1];
	struct uobj o;
	int err;

	if (id == FUSE_ROOT_ID) {
		if (fstat(c->fs->u.upper_fd, st) != 0)
			return -errno;
		rootattr_apply(c->fs->u.upper_fd, st);
		st->st_ino = FUSE_ROOT_ID;
		return 0;
	}
	err = layers_resolve_id(&c->fs->u, c->p, id, &parent, name, &o);
	if (err)
		return err;
	layers_close(&parent);
	*st = o.st;
	if (fh_gen)
		*fh_gen = o.fh_gen;
	return 0;
}

int root_make_entry(struct rctx *c, uint64_t parent, struct dirlayers *dl, const char *name,
		    struct fuse_entry_param *e)
{
	struct uobj o;
	int err = layers_lookup(&c->fs->u, c->p, dl, name, &o);

	memset(e, 0, sizeof(*e));
	e->attr_timeout = ROOT_TIMEOUT;
	e->entry_timeout = ROOT_TIMEOUT;
	if (!err)
		err = itable_set(&c->fs->u.itab, o.id, parent, name);
	if (err)
		return err;
	e->ino = o.id;
	e->generation = o.fh_gen;
	e->attr = o.st;
	return 0;
}

void root_reply_made_entry(fuse_req_t req, struct rctx *c, const struct fuse_entry_param *e)
{
	root_count_entry(c, e); /* before the reply: a FORGET may follow it at once */
	fuse_reply_entry(req, e);
}

void root_reply_entry(fuse_req_t req, struct rctx *c, uint64_t parent, struct dirlayers *dl,
		      const char *name)
{
	struct fuse_entry_param e;
	int err = root_make_entry(c, parent, dl, name, &e);

	if (err == -ENOENT) {
		fuse_reply_entry(req, &e); /* negative, cached */
	} else if (err) {
		fuse_reply_err(req, -err);
	} else {
		root_reply_made_entry(req, c, &e);
	}
}

static void root_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = {.attr_timeout = ROOT_TIMEOUT, .entry_timeout = ROOT_TIMEOUT};
	struct dirlayers dl;
	struct rctx c;
	uint64_t id = parent;
	int err;

	err = rctx_get(req, &c);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		if (name[1] == '.')
			err = itable_parent(&c.fs->u.itab, parent, &id);
		if (!err)
			err = root_getattr_id(&c, id, &e.attr, &e.generation);
		if (err) {
			fuse_reply_err(req, err == -ENOENT ? ESTALE : -err);
		} else {
			e.ino = id;
			root_reply_made_entry(req, &c, &e);
		}
		goto out;
	}
	err = root_dir_layers(&c, parent, &dl);
	if (err) {
		fuse_reply_err(req, -err);
		goto out;
	}
	root_reply_entry(req, &c, parent, &dl, name);
	layers_close(&dl);
out:
	rctx_put(&c);
}

static void root_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ufile *f = fi ? (struct ufile *)(uintptr_t)fi->fh : NULL;
	struct stat st;
	struct rctx c;
	int err;

	err = rctx_get(req, &c);
	if (!err)
		err = root_getattr_id(&c, ino, &st, NULL);
	if ((err == -ESTALE || err == -ENOENT) && !f)
		err = root_getattr_unresolved(c.fs, ino, &st);
	if (err == -ESTALE && !f)
		err = union_open_getattr(&c.fs->u, ino, &st);
	if (f && (err == -ESTALE || (!err && (f->fd >= 0 || f->upper_fd >= 0)))) {
		/* The open file knows best: its current size, or its
		 * attributes once the id resolves no more. */
		struct stat fst;

		if (ufile_getattr(f, &fst) == 0) {
			if (err) {
				st = fst;
				err = 0;
			} else {
				st.st_size = fst.st_size;
				st.st_blocks = fst.st_blocks;
				st.st_mtim = fst.st_mtim;
				st.st_ctim = fst.st_ctim;
			}
			st.st_ino = ino;
			st.st_dev = 0;
		}
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, ROOT_TIMEOUT);
	rctx_put(&c);
}

static void root_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char name[NAME_MAX + 1], target[PATH_MAX];
	struct dirlayers parent;
	struct uobj o;
	struct rctx c;
	ssize_t n = -EINVAL;
	int err;

	err = rctx_get(req, &c);
	if (!err)
		err = layers_resolve_id(&c.fs->u, c.p, ino, &parent, name, &o);
	if (err) {
		fuse_reply_err(req, -err);
		goto out;
	}
	if (!S_ISLNK(o.st.st_mode)) {
		n = -EINVAL;
	} else if (o.top == L_IMAGE) {
		n = img_readlink(c.p->gen, o.img, target, sizeof(target));
	} else {
		int dirfd = o.top == L_UPPER ? parent.upper_fd : parent.shared_fd[o.top_shared];

		n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0)
			n = -errno;
		else
			target[n] = '\0';
	}
	layers_close(&parent);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_readlink(req, target);
out:
	rctx_put(&c);
}

/* ---- directories ---------------------------------------------------- */

/*
 * The listing is built at the first READDIR, not at OPENDIR: with
 * cache_readdir the kernel answers repeated listings from its cache and
 * only the (cheap) OPENDIR reaches us. The kernel drops that cache itself
 * when an entry changes through this mount.
 */
struct rdir {
	uint64_t id;
	pthread_mutex_t lock;
	struct dirlist *l; /* NULL until the first READDIR */
};

static void root_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rdir *rd = calloc(1, sizeof(*rd));

	root_mark_active(fuse_req_userdata(req));
	if (!rd) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rd->id = ino;
	pthread_mutex_init(&rd->lock, NULL);
	fi->fh = (uintptr_t)rd;
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static int rdir_build(fuse_req_t req, struct rdir *rd)
{
	struct dirlist *l;
	struct dirlayers dl;
	struct rctx c;
	int err;

	if (rd->l)
		return 0;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	err = rctx_get(req, &c);
	if (!err)
		err = root_dir_layers(&c, rd->id, &dl);
	if (!err) {
		err = root_list_dir(&c, &dl, l);
		layers_close(&dl);
	}
	rctx_put(&c);
	if (err) {
		dirlist_free(l);
		free(l);
		return err;
	}
	rd->l = l;
	return 0;
}

static int rdir_build_locked(fuse_req_t req, struct rdir *rd)
{
	int err;

	pthread_mutex_lock(&rd->lock);
	err = rdir_build(req, rd);
	pthread_mutex_unlock(&rd->lock);
	return err;
}

static void root_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	struct rdir *rd = (struct rdir *)(uintptr_t)fi->fh;
	int err;

	/* Unlocked before the reply: once it is out, RELEASEDIR may free rd.
	 * The listing is immutable once built. */
	err = rdir_build_locked(req, rd);
	if (err)
		fuse_reply_err(req, -err);
	else
		dirlist_reply(req, rd->l, ino, size, off, NULL, NULL, NULL);
}

/* READDIRPLUS: each entry with what a LOOKUP of it would answer, so a walk
 * (find, tar, an NFS client's READDIRPLUS) costs one request per listing
 * chunk instead of one per name. */
struct plus_ctx {
	struct rctx c;
	struct dirlayers dl;
	uint64_t dir;
};

static int plus_attr(void *ctx, const struct dirent_rec *r, struct fuse_entry_param *e)
{
	struct plus_ctx *pc = ctx;

	/* A name that no longer resolves goes out without attributes: the
	 * kernel then looks it up by itself, as after a plain READDIR. */
	if (root_make_entry(&pc->c, pc->dir, &pc->dl, r->name, e) != 0)
		memset(e, 0, sizeof(*e));
	return 0;
}

/* The entry fits the reply: the kernel takes a lookup of it. */
static void plus_sent(void *ctx, const struct fuse_entry_param *e)
{
	root_count_entry(&((struct plus_ctx *)ctx)->c, e);
}

static void root_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			     struct fuse_file_info *fi)
{
	struct rdir *rd = (struct rdir *)(uintptr_t)fi->fh;
	struct plus_ctx pc = {.dir = ino};
	int err;

	err = rdir_build_locked(req, rd);
	if (!err)
		err = rctx_get(req, &pc.c);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	err = root_dir_layers(&pc.c, ino, &pc.dl);
	if (err)
		fuse_reply_err(req, -err);
	else
		dirlist_reply(req, rd->l, ino, size, off, plus_attr, plus_sent, &pc);
	if (!err)
		layers_close(&pc.dl);
	rctx_put(&pc.c);
}

static void root_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rdir *rd = (struct rdir *)(uintptr_t)fi->fh;

	(void)ino;
	if (rd->l) {
		dirlist_free(rd->l);
		free(rd->l);
	}
	pthread_mutex_destroy(&rd->lock);
	free(rd);
	fuse_reply_err(req, 0);
}

static void root_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}

/* ---- files ---------------------------------------------------------- */

static void root_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char name[NAME_MAX + 1];
	struct ufile *f;
	struct dirlayers parent;
	bool keep_cache = false;
	struct uobj o;
	struct rctx c;
	int err;

	if (((struct root_fs *)fuse_req_userdata(req))->no_open) {
		fuse_reply_err(req, ENOSYS); /* the kernel opens by itself from now on */
		return;
	}
	f = ufile_new();
	if (!f) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	err = rctx_get(req, &c);
	if (err)
		goto fail;
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		err = root_open_upper(&c, ino, fi->flags, &f->fd);
	} else {
		err = layers_resolve_id(&c.fs->u, c.p, ino, &parent, name, &o);
		if (!err) {
			err = ufile_open_ro(&c.fs->u, c.p, &parent, name, &o, f, &keep_cache);
			layers_close(&parent);
		}
	}
	rctx_put(&c);
	if (err)
		goto fail;
	fi->keep_cache = keep_cache;
	fi->noflush = 1; /* FLUSH has nothing to do here: spare the round trip */
	fi->fh = (uintptr_t)f;
	atomic_fetch_add(&c.fs->open_files, 1);
	fuse_reply_open(req, fi);
	return;
fail:
	ufile_close(f); /* also unlists a file whose open failed half way */
	fuse_reply_err(req, -err);
}

static void root_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	if (fi->fh)
		reply_ufile_data(req, (struct ufile *)(uintptr_t)fi->fh, size, off);
	else
		root_read_noopen(req, ino, size, off);
}

static void root_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct ufile *f = (struct ufile *)(uintptr_t)fi->fh;
	ssize_t n;

	if (!f) {
		root_write_noopen(req, ino, buf, size, off);
		return;
	}
	if (f->fd < 0) {
		fuse_reply_err(req, EBADF);
		return;
	}
	n = quota_pwrite(fuse_req_userdata(req), f->fd, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

/* Nothing to flush: ENOSYS tells the kernel to stop sending FLUSH on every
 * close (files opened without OPEN have no noflush flag). */
static void root_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, ENOSYS);
}

static void root_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct ufile *f = (struct ufile *)(uintptr_t)fi->fh;
	int err = 0;

	if (!f) {
		root_fsync_noopen(req, ino, datasync);
		return;
	}
	if (f->fd >= 0 && (datasync ? fdatasync(f->fd) : fsync(f->fd)) != 0)
		err = errno;
	fuse_reply_err(req, err);
}

static void root_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (!fi->fh) {
		/* Created before the kernel learnt that OPEN is not needed:
		 * it has a RELEASE for the handle-less file. */
		fuse_reply_err(req, 0);
		return;
	}
	ufile_close((struct ufile *)(uintptr_t)fi->fh);
	atomic_fetch_sub(&((struct root_fs *)fuse_req_userdata(req))->open_files, 1);
	fuse_reply_err(req, 0);
}

static void root_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct root_fs *fs = fuse_req_userdata(req);
	struct statvfs sv;

	(void)ino;
	root_mark_active(fs);
	if (fstatvfs(fs->u.upper_fd, &sv) != 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

/* ---- xattrs --------------------------------------------------------- */

/* Names the union keeps for itself and never shows. */
static bool xattr_private(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "trusted.netbootfs.", 18) == 0;
}

static ssize_t host_xattr(int dirfd, const char *name, const char *attr, char *buf, size_t size,
			  bool list)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char proc[64];
	ssize_t n;

	if (fd < 0)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = list ? listxattr(proc, buf, size) : getxattr(proc, attr, buf, size);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

static void reply_xattr(fuse_req_t req, const char *buf, ssize_t n, size_t size)
{
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else if ((size_t)n > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

static ssize_t get_xattr_of(struct rctx *c, uint64_t id, const char *attr, char *buf, size_t size,
			    bool list)
{
	char name[NAME_MAX + 1];
	struct dirlayers parent;
	struct uobj o;
	ssize_t n;
	int err;

	if (id == FUSE_ROOT_ID) {
		n = host_xattr(c->fs->u.upper_fd, ".", attr, buf, size, list);
		return n == -ENOTSUP ? (list ? 0 : -ENODATA) : n;
	}
	err = layers_resolve_id(&c->fs->u, c->p, id, &parent, name, &o);
	if (err)
		return err;
	if (o.top == L_UPPER)
		n = host_xattr(parent.upper_fd, name, attr, buf, size, list);
	else if (o.top == L_SHARED)
		n = host_xattr(parent.shared_fd[o.top_shared], name, attr, buf, size, list);
	else if (o.top == L_IMAGE)
		n = list ? img_listxattr(c->p->gen, o.img, buf, size)
			 : img_getxattr(c->p->gen, o.img, attr, buf, size);
	else
		n = list ? 0 : -ENODATA;
	layers_close(&parent);
	/* Symlinks on the host take no xattr through the magic link. */
	if (n == -ENOTSUP || n == -ELOOP)
		n = list ? 0 : -ENODATA;
	return n;
}

static void root_getxattr(fuse_req_t req, fuse_ino_t ino, const char *attr, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct rctx c;
	ssize_t n;
	int err;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	err = rctx_get(req, &c);
	if (err)
		n = err;
	else if (xattr_private(attr))
		n = -ENODATA;
	else
		n = get_xattr_of(&c, ino, attr, size ? buf : NULL, size, false);
	reply_xattr(req, buf, n, size);
	rctx_put(&c);
	free(buf);
}

static void root_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char *all = malloc(65536), *out = malloc(65536);
	size_t olen = 0;
	struct rctx c;
	ssize_t n, i;
	int err;

	if (!all || !out) {
		free(all);
		free(out);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	err = rctx_get(req, &c);
	n = err ? err : get_xattr_of(&c, ino, NULL, all, 65536, true);
	for (i = 0; n > 0 && i < n; i += (ssize_t)strlen(all + i) + 1) {
		size_t l = strlen(all + i) + 1;

		if (xattr_private(all + i))
			continue;
		memcpy(out + olen, all + i, l);
		olen += l;
	}
	reply_xattr(req, out, n < 0 ? n : (ssize_t)olen, size);
	rctx_put(&c);
	free(all);
	free(out);
}

static void root_init(void *userdata, struct fuse_conn_info *conn)
{
	struct root_fs *fs = userdata;

	/* Open files without an OPEN (and RELEASE) round trip each; an O_TRUNC
	 * then comes as a SETATTR of the size, which copies up. */
	if (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) {
		conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
		conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
		fs->no_open = true;
	}
	if (conn->capable & FUSE_CAP_EXPORT_SUPPORT)
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	/* Always READDIRPLUS: in "auto" mode the kernel asks for it only for
	 * the first chunk of a listing, and then LOOKUPs every later name. */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
}

const struct fuse_lowlevel_ops root_ops = {
	.init = root_init,
	.lookup = root_lookup,
	.getattr = root_getattr,
	.setattr = root_setattr,
	.readlink = root_readlink,
	.mknod = root_mknod,
	.mkdir = root_mkdir,
	.unlink = root_unlink,
	.rmdir = root_rmdir,
	.symlink = root_symlink,
	.rename = root_rename,
	.link = root_link,
	.open = root_open,
	.read = root_read,
	.write = root_write,
	.flush = root_flush,
	.release = root_release,
	.forget = root_forget,
	.forget_multi = root_forget_multi,
	.fsync = root_fsync,
	.fallocate = root_fallocate,
	.opendir = root_opendir,
	.readdir = root_readdir,
	.readdirplus = root_readdirplus,
	.releasedir = root_releasedir,
	.fsyncdir = root_fsyncdir,
	.statfs = root_statfs,
	.setxattr = root_setxattr,
	.getxattr = root_getxattr,
	.listxattr = root_listxattr,
	.removexattr = root_removexattr,
	.create = root_create,
};
