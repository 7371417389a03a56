/* SPDX-License-Identifier: MIT */
/* The TFTP view: opening and reading a node's file, an image file shared
 * by nodes, a loader. */
#include "fusefs/tftp/tftp_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/statvfs.h>

#include "fusefs/serve/datareply.h"

static int open_node_file(struct daemon *d, const struct nid *n, uint64_t id, struct ufile *rf,
			  bool *keep_cache)
{
	struct nobj t;
	int err = tftp_node_object(d, n, id, &t);

	if (!err) {
		if (S_ISREG(t.o.st.st_mode))
			err = ufile_open_ro(t.c.fs, t.c.p, &t.parent, t.name, &t.o, rf, keep_cache);
		else
			err = -EISDIR;
		layers_close(&t.parent);
	}
	tftp_node_ctx_put(&t.c);
	return err;
}

static int open_image_file(struct daemon *d, const struct nid *n, struct ufile *rf,
			   bool *keep_cache)
{
	struct stat st;

	rf->gen = daemon_gen_get(d, 0, n->gen);
	if (!rf->gen)
		return -ESTALE;
	rf->ino = n->payload;
	*keep_cache = true;
	return img_getattr(rf->gen, rf->ino, &st);
}

static int open_loader(struct daemon *d, const struct nid *n, struct ufile *rf, bool *keep_cache)
{
	char path[PATH_MAX];
	int err = tftp_loader_path(d, n->payload, path, sizeof(path));

	if (err)
		return err;
	rf->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (rf->fd < 0)
		return -errno;
	*keep_cache = false;
	return 0;
}

void tftp_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = req_daemon(req);
	struct ufile *rf = ufile_new();
	bool keep_cache = false;
	struct nid n;
	int err;

	if (!rf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		err = -EROFS;
	else if (!nid_decode(ino, &n))
		err = -ESTALE;
	else if (n.kind == NID_ROOT || n.kind == NID_CLIENT)
		err = -EISDIR;
	else if (n.kind == NID_LOADER)
		err = open_loader(d, &n, rf, &keep_cache);
	else if (n.slot)
		/* Under the current pin: a boot re-pins at its lookup. */
		err = open_node_file(d, &n, ino, rf, &keep_cache);
	else
		err = open_image_file(d, &n, rf, &keep_cache);
	if (err) {
		ufile_close(rf);
		fuse_reply_err(req, -err);
		return;
	}
	fi->keep_cache = keep_cache;
	fi->noflush = 1; /* read-only: no FLUSH round trip per close */
	fi->fh = (uintptr_t)rf;
	fuse_reply_open(req, fi);
}

void tftp_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	reply_ufile_data(req, (struct ufile *)(uintptr_t)fi->fh, size, off);
}

void tftp_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	ufile_close((struct ufile *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

void tftp_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv = {.f_bsize = 4096, .f_frsize = 4096, .f_namemax = 255};

	(void)ino;
	fuse_reply_statfs(req, &sv);
}
