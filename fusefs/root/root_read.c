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

/* Attributes of an open file, from the file itself: right even after the
 * node rebooted onto another generation and its id resolves no more. */
int rfile_getattr(struct rfile *f, struct stat *st)
{
	int fd =
		f->fd >= 0 ? f->fd : (f->fs ? __atomic_load_n(&f->upper_fd, __ATOMIC_ACQUIRE) : -1);

	if (fd >= 0)
		return fstat(fd, st) == 0 ? 0 : -errno;
	if (f->gen)
		return img_getattr(f->gen, f->ino, st);
	if (f->ge) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFREG | f->ge->mode;
		st->st_nlink = 1;
		st->st_size = (off_t)f->ge->len;
		st->st_mtime = st->st_ctime = st->st_atime = f->pin->genl.mtime;
		return 0;
	}
	return -EBADF;
}

int root_open_getattr(struct root_fs *fs, uint64_t id, struct stat *st)
{
	struct rfile *f;
	int err = -ESTALE;

	pthread_mutex_lock(&fs->open_lock);
	for (f = fs->open_list; f; f = f->open_next) {
		if (f->id == id) {
			err = rfile_getattr(f, st);
			break;
		}
	}
	pthread_mutex_unlock(&fs->open_lock);
	if (!err) {
		st->st_ino = id;
		st->st_dev = 0;
	}
	return err;
}

static void root_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rfile *f = fi ? (struct rfile *)(uintptr_t)fi->fh : NULL;
	struct stat st;
	struct rctx c;
	int err;

	err = rctx_get(req, &c);
	if (!err)
		err = root_getattr_id(&c, ino, &st, NULL);
	if ((err == -ESTALE || err == -ENOENT) && !f)
		err = root_getattr_unresolved(c.fs, ino, &st);
	if (err == -ESTALE && !f)
		err = root_open_getattr(c.fs, ino, &st);
	if (f && (err == -ESTALE || (!err && (f->fd >= 0 || f->upper_fd >= 0)))) {
		/* The open file knows best: its current size, or its
		 * attributes once the id resolves no more. */
		struct stat fst;

		if (rfile_getattr(f, &fst) == 0) {
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

#define WHITEOUT_MARK 0 /* dirlist type of a whiteout: hides lower names */

static int list_host_dir(struct dirlist *l, int dirfd, uint64_t base_id)
{
	DIR *d = host_opendir(dirfd, ".");
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		struct stat st;
		mode_t type;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		type = is_whiteout(&st) ? WHITEOUT_MARK : (st.st_mode & S_IFMT);
		err = dirlist_add(l, de->d_name, base_id | (uint32_t)st.st_ino, type);
	}
	closedir(d);
	return err;
}

struct gen_list_ctx {
	struct dirlist *l;
	uint64_t base_id;
};

static int list_gen_cb(void *ctx, const struct gen_entry *e, const char *name)
{
	struct gen_list_ctx *g = ctx;

	return dirlist_add(g->l, name, g->base_id, e->is_dir ? S_IFDIR : S_IFREG);
}

struct img_list_ctx {
	struct dirlist *l;
	struct nid base;
	uint32_t pos; /* index of the next entry in the image directory */
};

static int list_img_cb(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t off)
{
	struct img_list_ctx *g = ctx;
	struct nid n = g->base;

	(void)off;
	n.payload = ino;
	return dirlist_add_at(g->l, name, nid_encode(&n), type & S_IFMT, g->pos++);
}

int root_list_dir(struct rctx *c, struct dirlayers *dl, struct dirlist *l)
{
	struct nid n = {.kind = NID_UPPER, .slot = c->fs->u.slot};
	unsigned i;
	int err = 0;

	/* Top layer first: the first entry of a name wins. */
	if (dl->upper_fd >= 0)
		err = list_host_dir(l, dl->upper_fd, nid_encode(&n));
	if (!err && dl->gen_dir && !dl->lower_hidden) {
		struct gen_list_ctx g = {.l = l, .base_id = nid_encode(&n)};

		err = genlayer_children(&c->p->genl, dl->path, list_gen_cb, &g);
	}
	for (i = 0; !err && i < dl->n_shared; i++) {
		n = (struct nid){.kind = NID_SHARED, .slot = c->fs->u.slot, .gen = i};
		if (dl->shared_fd[i] >= 0)
			err = list_host_dir(l, dl->shared_fd[i], nid_encode(&n));
	}
	if (!err && dl->img_dir) {
		struct img_list_ctx g = {.l = l,
					 .base = {.kind = NID_IMG,
						  .slot = c->fs->u.slot,
						  .gen = image_gen_id(c->p->gen)}};

		err = img_readdir(c->p->gen, dl->img, 0, list_img_cb, &g);
		if (err > 0)
			err = 0;
	}
	if (err)
		return err;
	dirlist_finish(l);
	/* Whiteouts have done their job: hiding lower names. */
	size_t out = 0;
	for (i = 0; i < l->n; i++) {
		if (l->v[i].type == WHITEOUT_MARK) {
			free(l->v[i].name);
			continue;
		}
		l->v[out++] = l->v[i];
	}
	l->n = out;
	return 0;
}

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

int rfile_open_ro(struct rctx *c, struct dirlayers *parent, const char *name, const struct uobj *o,
		  struct rfile *f, bool *keep_cache)
{
	f->fd = -1;
	f->upper_fd = -1;
	f->fs = c->fs;
	f->id = o->id;
	f->epoch = atomic_load(&c->fs->u.epoch);
	pthread_mutex_init(&f->lock, NULL);
	atomic_fetch_add(&c->fs->users, 1); /* dropped by rfile_close() */
	pthread_mutex_lock(&c->fs->open_lock);
	f->open_next = c->fs->open_list;
	c->fs->open_list = f;
	pthread_mutex_unlock(&c->fs->open_lock);
	*keep_cache = false;
	switch (o->top) {
	case L_UPPER:
	case L_SHARED:
		f->fd = openat(o->top == L_UPPER ? parent->upper_fd
						 : parent->shared_fd[o->top_shared],
			       name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		return f->fd < 0 ? -errno : 0;
	case L_GEN:
		/* The open file keeps the pin, and so the data. */
		atomic_fetch_add(&c->p->refs, 1);
		f->pin = c->p;
		f->ge = o->ge;
		return 0;
	case L_IMAGE:
		f->gen = image_gen_ref(c->p->gen);
		f->ino = o->img;
		*keep_cache = true; /* immutable: keep decompressed pages */
		return 0;
	default:
		return -ENOENT;
	}
}

static void root_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char name[NAME_MAX + 1];
	struct rfile *f;
	struct dirlayers parent;
	bool keep_cache = false;
	struct uobj o;
	struct rctx c;
	int err;

	if (((struct root_fs *)fuse_req_userdata(req))->no_open) {
		fuse_reply_err(req, ENOSYS); /* the kernel opens by itself from now on */
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	f->fd = -1;
	f->upper_fd = -1;
	err = rctx_get(req, &c);
	if (err)
		goto fail;
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		err = root_open_upper(&c, ino, fi->flags, &f->fd);
	} else {
		err = layers_resolve_id(&c.fs->u, c.p, ino, &parent, name, &o);
		if (!err) {
			err = rfile_open_ro(&c, &parent, name, &o, f, &keep_cache);
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
	free(f);
	fuse_reply_err(req, -err);
}

/* The overlay copy of a lower file opened before it was copied up, or -1. */
static int rfile_copy_fd(struct rfile *f)
{
	char name[NAME_MAX + 1];
	struct dirlayers parent;
	struct uobj o;
	struct pin *p;
	uint64_t now;
	int fd;

	if (!f->fs || f->fd >= 0)
		return -1;
	fd = __atomic_load_n(&f->upper_fd, __ATOMIC_ACQUIRE);
	now = atomic_load(&f->fs->u.epoch);
	if (fd >= 0 || now == __atomic_load_n(&f->epoch, __ATOMIC_RELAXED))
		return fd;
	pthread_mutex_lock(&f->lock);
	p = node_pin_get(f->fs->rt);
	if (f->upper_fd < 0 && p &&
	    layers_resolve_id(&f->fs->u, p, f->id, &parent, name, &o) == 0) {
		if (o.top == L_UPPER)
			__atomic_store_n(
				&f->upper_fd,
				openat(parent.upper_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC),
				__ATOMIC_RELEASE);
		layers_close(&parent);
	}
	pin_put(p);
	__atomic_store_n(&f->epoch, now, __ATOMIC_RELAXED);
	fd = f->upper_fd;
	pthread_mutex_unlock(&f->lock);
	return fd;
}

ssize_t reply_fd_data(fuse_req_t req, int fd, size_t size, off_t off)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
	struct stat st;
	ssize_t n;

	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = fd;
	bv.buf[0].pos = off;
	n = fstat(fd, &st) == 0 && st.st_size > off ? st.st_size - off : 0;
	fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
	return n < (ssize_t)size ? n : (ssize_t)size;
}

ssize_t reply_gen_data(fuse_req_t req, const struct gen_entry *ge, size_t size, off_t off)
{
	size_t len = (size_t)off < ge->len ? ge->len - (size_t)off : 0;

	len = len < size ? len : size;
	fuse_reply_buf(req, ge->data + (len ? off : 0), len);
	return (ssize_t)len;
}

ssize_t reply_image_data(fuse_req_t req, struct image_gen *g, img_ino ino, size_t size, off_t off)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return -ENOMEM;
	}
	n = img_read(g, ino, buf, size, off);
	if (n < 0) {
		log_err("read of %s generation %u inode %u at %lld: %s", image_gen_name(g),
			image_gen_id(g), ino, (long long)off, strerror((int)-n));
		fuse_reply_err(req, (int)-n);
	} else {
		fuse_reply_buf(req, buf, (size_t)n);
	}
	free(buf);
	return n;
}

ssize_t rfile_read(fuse_req_t req, struct rfile *f, size_t size, off_t off)
{
	int fd = f->fd >= 0 ? f->fd : rfile_copy_fd(f);

	if (fd >= 0)
		return reply_fd_data(req, fd, size, off);
	if (f->ge)
		return reply_gen_data(req, f->ge, size, off);
	return reply_image_data(req, f->gen, f->ino, size, off);
}

void rfile_close(struct rfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->fs) {
		struct rfile **pp;

		pthread_mutex_lock(&f->fs->open_lock);
		for (pp = &f->fs->open_list; *pp; pp = &(*pp)->open_next) {
			if (*pp == f) {
				*pp = f->open_next;
				break;
			}
		}
		pthread_mutex_unlock(&f->fs->open_lock);
		if (f->upper_fd >= 0)
			close(f->upper_fd);
		pthread_mutex_destroy(&f->lock);
		root_fs_put(f->fs);
	}
	if (f->gen)
		image_gen_put(f->gen);
	pin_put(f->pin);
	free(f);
}

static void root_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	if (fi->fh)
		rfile_read(req, (struct rfile *)(uintptr_t)fi->fh, size, off);
	else
		root_read_noopen(req, ino, size, off);
}

static void root_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct rfile *f = (struct rfile *)(uintptr_t)fi->fh;
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
	struct rfile *f = (struct rfile *)(uintptr_t)fi->fh;
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
	rfile_close((struct rfile *)(uintptr_t)fi->fh);
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
