/* SPDX-License-Identifier: MIT */
/* Root mounts: files with a handle (OPEN, READ, WRITE, FSYNC, RELEASE);
 * without one they go to root_noopen.c. */
#include "fusefs/root/root_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

void root_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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

void root_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	if (fi->fh)
		reply_ufile_data(req, (struct ufile *)(uintptr_t)fi->fh, size, off);
	else
		root_read_noopen(req, ino, size, off);
}

void root_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
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
void root_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, ENOSYS);
}

void root_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
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

void root_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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
