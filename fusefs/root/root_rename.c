/* SPDX-License-Identifier: MIT */
/* Root mounts: RENAME, directories of lower layers included (a redirect
 * xattr, as kernel overlayfs writes with redirect_dir=on). */
#include "fusefs/root/root_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

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
	return S_ISDIR(dst->st.st_mode) ? root_dir_is_empty(c, ddl, newname) : 0;
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
		err = union_set_redirect(&c->fs->u, sdl, name, src, samedir);
	layers_close(&me);
	if (!err && dst)
		err = root_remove_entry(c, ddl, newname, dst);
	if (err)
		return err;
	if (fstatat(ddl->upper_fd, newname, &st, AT_SYMLINK_NOFOLLOW) != 0 || !is_whiteout(&st)) {
		return root_move(c->fs, sdl->upper_fd, name, ddl->upper_fd, newname,
				 src->lower_present);
	}
	/* Over a whiteout: an overlay-only dir hides what the lower layers
	 * had there; the whiteout that the exchange leaves at the old name
	 * stays if a lower layer has that name. */
	if (!merged)
		err = root_set_opaque(sdl->upper_fd, name);
	if (!err)
		err = renamex_exchange(&c->fs->caps, c->fs->u.work_fd, sdl->upper_fd, name,
				       ddl->upper_fd, newname);
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
		err = root_move(c.fs, sdl.upper_fd, name, ddl.upper_fd, newname, src.lower_present);
		if (!err)
			quota_add(&c.fs->u, -gone);
	}
	if (!err) {
		if (dst_exists)
			itable_remove(&c.fs->u.itab, dst.id);
		itable_set(&c.fs->u.itab, src.id, newparent, newname);
	}
	/* A directory moved: the epoch moves, every cached directory location
	 * and listing is stale (dircache.h, listcache.h). A file moves no
	 * directory (copyup() bumped the epoch if it made one): only the
	 * two listings change. */
	if (S_ISDIR(src.st.st_mode)) {
		root_changed(c.fs);
	} else {
		root_dir_changed(c.fs, parent);
		root_dir_changed(c.fs, newparent);
	}
out:
	layers_close(&sdl);
	layers_close(&ddl);
	fuse_reply_err(req, -err);
	rctx_put(&c);
}
