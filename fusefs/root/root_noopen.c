/* SPDX-License-Identifier: MIT */
/*
 * Root mounts let the kernel open files without asking (FUSE "no_open"):
 * OPEN and RELEASE were most of the requests of a warm walk, and a root
 * file needs no per-open state. Reads and writes then come without a file
 * handle, and are served by node id:
 *
 *   - an overlay file through the cache of open host files (hfd.h);
 *   - an image or generated file through the node's pin, looked up afresh
 *     (a copy-up in between moves the next read to the copy);
 *   - an image file whose id resolves no more (the node rebooted onto a
 *     new generation, or the name was deleted) from its own generation,
 *     which the kernel's lookup count keeps loaded (genholds.h);
 *   - the first WRITE to a lower file copies it up.
 *
 * Files made by CREATE still get a handle (the kernel asks for one), and
 * go through the handle path of root_read.c.
 */
#include "fusefs/root/root_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusefs/serve/log.h"

/* An image file by its id alone, from a generation the kernel holds. */
static struct image_gen *held_image(struct root_fs *fs, uint64_t id, img_ino *ino)
{
	struct nid n;

	if (!nid_decode(id, &n) || n.kind != NID_IMG || n.slot != fs->u.slot)
		return NULL;
	*ino = n.payload;
	return genholds_get(&fs->u.holds, n.gen);
}

/* An image file deleted while open, then written: the writer gets a
 * private copy (the overlay's upper layer has no name for it any more). */
static int orphan_copy(struct rctx *c, uint64_t id, int *fd)
{
	struct image_gen *g;
	img_ino ino;
	char *buf = NULL;
	off_t off = 0;
	ssize_t n;
	int err = 0;

	g = held_image(c->fs, id, &ino);
	if (!g)
		return -ESTALE;
	*fd = renamex_tmpfile(&c->fs->caps, c->fs->u.work_fd, 0600);
	buf = malloc(1 << 17);
	if (*fd < 0 || !buf) {
		err = *fd < 0 ? *fd : -ENOMEM;
		goto out;
	}
	while ((n = img_read(g, ino, buf, 1 << 17, off)) > 0) {
		if (pwrite(*fd, buf, (size_t)n, off) != n) {
			err = -EIO;
			goto out;
		}
		off += n;
	}
	err = (int)(n < 0 ? n : 0);
out:
	if (err && *fd >= 0)
		close(*fd);
	free(buf);
	image_gen_put(g);
	return err;
}

/* The overlay file of @id, open for writing: from the cache, else copied
 * up if it is a lower file and opened. */
static int overlay_file_rw(struct rctx *c, uint64_t id, struct hfd **out)
{
	int fd = -1, err;

	*out = hfd_get(&c->fs->u.hfd, id, true);
	if (*out)
		return 0;
	err = root_open_upper(c, id, O_RDWR, &fd);
	if (err == -ENOENT || err == -ESTALE)
		err = orphan_copy(c, id, &fd);
	if (err)
		return err;
	return hfd_add(&c->fs->u.hfd, id, fd, true, out);
}

/* Reply with @id's bytes, found by its path (the overlay file is cached
 * for the next read). 0 once replied, else a negative errno to reply. */
static int read_by_id(fuse_req_t req, struct rctx *c, uint64_t id, size_t size, off_t off)
{
	char name[NAME_MAX + 1];
	struct dirlayers parent;
	struct image_gen *g;
	struct hfd *h;
	struct uobj o;
	img_ino ino;
	int err, fd;

	err = layers_resolve_id(&c->fs->u, c->p, id, &parent, name, &o);
	if (err == -ESTALE || err == -ENOENT) {
		g = held_image(c->fs, id, &ino);
		if (!g)
			return err;
		reply_image_data(req, g, ino, size, off);
		image_gen_put(g);
		return 0;
	}
	if (err)
		return err;
	switch (o.top) {
	case L_UPPER:
		fd = openat(parent.upper_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || (err = hfd_add(&c->fs->u.hfd, id, fd, false, &h)) != 0) {
			err = fd < 0 ? -errno : err;
			break;
		}
		reply_fd_data(req, h->fd, size, off);
		hfd_put(&c->fs->u.hfd, h);
		break;
	case L_SHARED:
		/* Not cached: the file may be copied up under the descriptor. */
		fd = openat(parent.shared_fd[o.top_shared], name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			break;
		}
		reply_fd_data(req, fd, size, off);
		close(fd);
		break;
	case L_GEN:
		reply_gen_data(req, o.ge, size, off);
		break;
	case L_IMAGE:
		reply_image_data(req, c->p->gen, o.img, size, off);
		break;
	default:
		err = -EIO;
		break;
	}
	layers_close(&parent);
	return err;
}

void root_read_noopen(fuse_req_t req, uint64_t id, size_t size, off_t off)
{
	struct hfd *h = NULL;
	struct rctx c;
	int err;

	err = rctx_get(req, &c);
	if (!err && (h = hfd_get(&c.fs->u.hfd, id, false))) {
		reply_fd_data(req, h->fd, size, off);
		hfd_put(&c.fs->u.hfd, h);
	} else if (!err) {
		err = read_by_id(req, &c, id, size, off);
	}
	if (err)
		fuse_reply_err(req, -err);
	rctx_put(&c);
}

void root_write_noopen(fuse_req_t req, uint64_t id, const char *buf, size_t size, off_t off)
{
	struct hfd *h = NULL;
	struct rctx c;
	ssize_t n;
	int err;

	err = rctx_get(req, &c);
	if (!err)
		err = overlay_file_rw(&c, id, &h);
	if (err) {
		fuse_reply_err(req, -err);
	} else {
		n = quota_pwrite(&c.fs->u, h->fd, buf, size, off);
		if (n < 0)
			fuse_reply_err(req, (int)-n);
		else
			fuse_reply_write(req, (size_t)n);
		hfd_put(&c.fs->u.hfd, h);
	}
	rctx_put(&c);
}

void root_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		    struct fuse_file_info *fi)
{
	struct ufile *f = (struct ufile *)(uintptr_t)fi->fh;
	struct hfd *h = NULL;
	struct rctx c;
	int err;

	err = rctx_get(req, &c);
	if (!err && f && f->fd < 0)
		err = -EBADF;
	if (!err && !f)
		err = overlay_file_rw(&c, ino, &h);
	if (!err)
		err = quota_fallocate(&c.fs->u, f ? f->fd : h->fd, mode, off, len);
	if (h)
		hfd_put(&c.fs->u.hfd, h);
	fuse_reply_err(req, -err);
	rctx_put(&c);
}

/* fsync() on any descriptor of the inode syncs what any other wrote. */
static int sync_by_path(struct rctx *c, uint64_t id, int datasync)
{
	char name[NAME_MAX + 1];
	struct dirlayers parent;
	struct uobj o;
	int fd, err;

	err = layers_resolve_id(&c->fs->u, c->p, id, &parent, name, &o);
	if (err)
		return err == -ENOENT ? 0 : err;
	if (o.top == L_UPPER) {
		fd = openat(parent.upper_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || (datasync ? fdatasync(fd) : fsync(fd)) != 0)
			err = -errno;
		if (fd >= 0)
			close(fd);
	} /* else a lower file: nothing of it is unwritten */
	layers_close(&parent);
	return err;
}

void root_fsync_noopen(fuse_req_t req, uint64_t id, int datasync)
{
	struct hfd *h = NULL;
	struct rctx c;
	int err;

	err = rctx_get(req, &c);
	if (!err && (h = hfd_get(&c.fs->u.hfd, id, false))) {
		if ((datasync ? fdatasync(h->fd) : fsync(h->fd)) != 0)
			err = -errno;
		hfd_put(&c.fs->u.hfd, h);
	} else if (!err) {
		err = sync_by_path(&c, id, datasync);
	}
	fuse_reply_err(req, -err);
	rctx_put(&c);
}

int root_getattr_unresolved(struct root_fs *fs, uint64_t id, struct stat *st)
{
	struct hfd *h = hfd_get(&fs->u.hfd, id, false);
	struct image_gen *g;
	img_ino ino;
	int err = -ESTALE;

	if (h) {
		err = fstat(h->fd, st) == 0 ? 0 : -errno;
		hfd_put(&fs->u.hfd, h);
	} else if ((g = held_image(fs, id, &ino))) {
		err = img_getattr(g, ino, st);
		image_gen_put(g);
	}
	if (!err) {
		st->st_ino = id;
		st->st_dev = 0;
	}
	return err;
}

static void forget_one(struct root_fs *fs, uint64_t id, uint64_t nlookup)
{
	genholds_forget(&fs->u.holds, id, nlookup);
	hfd_forget(&fs->u.hfd, id);
}

void root_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget_one(fuse_req_userdata(req), ino, nlookup);
	fuse_reply_none(req);
}

void root_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct root_fs *fs = fuse_req_userdata(req);
	size_t i;

	for (i = 0; i < count; i++)
		forget_one(fs, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}
