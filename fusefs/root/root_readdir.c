/* SPDX-License-Identifier: MIT */
/* Root mounts: directory listings (OPENDIR, READDIR, READDIRPLUS). */
#include "fusefs/root/root_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fusefs/serve/dirreply.h"

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

void root_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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

void root_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
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

void root_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
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

void root_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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

void root_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}
