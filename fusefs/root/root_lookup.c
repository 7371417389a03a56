/* SPDX-License-Identifier: MIT */
/* Root mounts: names and attributes (LOOKUP, GETATTR, READLINK, STATFS). */
#include "fusefs/root/root_ops.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

void root_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
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

void root_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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

void root_readlink(fuse_req_t req, fuse_ino_t ino)
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

void root_statfs(fuse_req_t req, fuse_ino_t ino)
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
