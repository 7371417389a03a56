/* SPDX-License-Identifier: MIT */
/* Root mounts: UNLINK and RMDIR (a whiteout where a lower layer has the name). */
#include "fusefs/root/root_ops.h"

#include <errno.h>

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
		err = root_dir_is_empty(&c, &dl, name);
	if (!err)
		err = root_remove_entry(&c, &dl, name, &o);
	if (!err && (rmdir || o.st.st_nlink <= 1))
		itable_remove(&c.fs->u.itab, o.id);
	if (!err)
		root_dir_changed(c.fs, parent);
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
