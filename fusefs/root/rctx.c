/* SPDX-License-Identifier: MIT */
/*
 * A request on a root mount: its context (the mount and the node's pin,
 * taken once), the layers and attributes of an id, and the entries it
 * replies (each counted as a lookup the kernel holds).
 */
#include "fusefs/root/root_ops.h"
#include "fusefs/root/rootattr.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

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

void root_count_entry(struct rctx *c, const struct fuse_entry_param *e)
{
	if (e->ino && genholds_add(&c->fs->u.holds, e->ino, c->p ? c->p->gen : NULL) != 0)
		log_warn("node %s: out of memory counting the kernel's lookups", c->fs->rt->name);
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
