/* SPDX-License-Identifier: MIT */
/* Root mounts: directory listings (OPENDIR, READDIR, READDIRPLUS). */
#include "fusefs/root/root_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fusefs/serve/dirreply.h"

/*
 * Listings are served by directory id and offset alone, from a listing
 * built when a reader starts at the top and kept for the next chunks of
 * every reader (listcache.h); the kernel keeps what it read in its readdir
 * cache (FOPEN_CACHE_DIR), which it drops itself when an entry changes
 * through this mount. OPENDIR is still asked for (no no_opendir at INIT)
 * and answered without a handle: a listing served from the kernel's cache
 * sends nothing else, and a node whose root is used must be seen as used
 * (root_ops.c).
 */
void root_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	root_mark_active(fuse_req_userdata(req));
	fi->fh = 0;
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

/* The listing of @dir for a reader at @off, with a reference: built anew
 * for a reader at the top (a fresh listing for every new reader), else
 * the one built for the reader's start if it is still cached. @have: the
 * directory's layers if the caller opened them, else NULL. */
static int listing_get(struct rctx *c, uint64_t dir, off_t off, struct dirlayers *have,
		       struct listing **out)
{
	struct listcache *lc = &c->fs->lists;
	uint64_t epoch = atomic_load(&c->fs->u.epoch);
	uint64_t seq = c->p ? c->p->seq : 0;
	struct dirlist l = {0};
	struct dirlayers dl;
	int err;

	if (off > 0) {
		*out = listcache_get(lc, dir, seq, epoch);
		if (*out)
			return 0;
	}
	if (!have) {
		err = root_dir_layers(c, dir, &dl);
		if (err)
			return err;
	}
	err = root_list_dir(c, have ? have : &dl, &l);
	if (!have)
		layers_close(&dl);
	if (err) {
		dirlist_free(&l);
		return err;
	}
	*out = listcache_add(lc, dir, seq, epoch, &l);
	return *out ? 0 : -ENOMEM;
}

void root_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct listing *li = NULL;
	struct rctx c;
	bool end;
	int err;

	(void)fi;
	err = rctx_get(req, &c);
	if (!err)
		err = listing_get(&c, ino, off, NULL, &li);
	if (err) {
		fuse_reply_err(req, -err);
	} else {
		end = dirlist_reply(req, &li->l, ino, size, off, NULL, NULL, NULL);
		listcache_put(&c.fs->lists, li, end);
	}
	rctx_put(&c);
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
	struct plus_ctx pc = {.dir = ino};
	struct listing *li = NULL;
	bool end;
	int err;

	(void)fi;
	err = rctx_get(req, &pc.c);
	if (!err)
		err = root_dir_layers(&pc.c, ino, &pc.dl);
	if (err)
		goto out;
	err = listing_get(&pc.c, ino, off, &pc.dl, &li);
	if (!err) {
		end = dirlist_reply(req, &li->l, ino, size, off, plus_attr, plus_sent, &pc);
		listcache_put(&pc.c.fs->lists, li, end);
	}
	layers_close(&pc.dl);
out:
	if (err)
		fuse_reply_err(req, -err);
	rctx_put(&pc.c);
}

void root_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

void root_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}
