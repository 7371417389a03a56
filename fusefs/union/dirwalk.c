/* SPDX-License-Identifier: MIT */
/*
 * Directories by node id. The id table knows each id's parent and name;
 * a directory the cache (dircache.h) does not have is entered from its
 * nearest cached ancestor (the root at worst), one name at a time with
 * layers_step(), checking at each level that the name still resolves to
 * the id the table has, and caching each level. A miss costs the levels
 * that are missing; no path is built, so depth has no limit.
 */
#include "fusefs/union/union_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusefs/union/dircache.h"

#define UNION_ROOT_ID 1 /* the root's node id (FUSE_ROOT_ID) */

/* A chain in the id table longer than this is a loop (a damaged table). */
#define CHAIN_MAX    (1u << 20)
#define WALK_RETRIES 3

/* Ids from a directory up towards the root, nearest first. */
struct chain {
	uint64_t *v;
	size_t n, cap;
};

static int chain_push(struct chain *c, uint64_t id)
{
	if (c->n == CHAIN_MAX)
		return -ELOOP;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		uint64_t *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = id;
	return 0;
}

/* @id and its ancestors below the root, nearest first. */
static int chain_to_root(struct union_fs *fs, uint64_t id, struct chain *c)
{
	int err = 0;

	while (!err && id != UNION_ROOT_ID) {
		err = chain_push(c, id);
		if (!err && itable_parent(&fs->itab, id, &id) != 0)
			err = -ESTALE;
	}
	return err;
}

/* The root for a walk by id: no path kept. */
static int open_root(struct union_fs *fs, struct pin *p, struct dirlayers *dl)
{
	int err = layers_open_root(fs, p, dl);

	if (!err) {
		free(dl->path);
		dl->path = NULL;
	}
	return err;
}

/* One attempt of layers_walk_to_dir(); -EAGAIN: the table moved. */
static int walk_once(struct union_fs *fs, struct pin *p, uint64_t id, uint64_t epoch,
		     layers_level_fn fn, void *ctx, struct dirlayers *dl)
{
	struct chain c = {0};
	struct dirlayers top, next;
	char name[NAME_MAX + 1];
	uint64_t up = id, parent;
	struct uobj o;
	int err;

	/* Up to the nearest usable ancestor: cached (in the overlay, for
	 * @fn, which makes each level there), or the root. */
	for (;;) {
		err = chain_push(&c, up);
		if (!err && itable_parent(&fs->itab, up, &up) != 0)
			err = -ESTALE;
		if (err)
			goto out;
		if (up == UNION_ROOT_ID) {
			err = open_root(fs, p, &top);
			if (err)
				goto out;
			break;
		}
		if (dircache_open(fs, p, up, epoch, &top)) {
			if (!fn || top.upper_fd >= 0)
				break;
			layers_close(&top);
		}
	}
	/* Down again, one name at a time. */
	while (c.n--) {
		uint64_t cur = c.v[c.n];

		err = itable_get(&fs->itab, cur, &parent, name, sizeof(name));
		if (!err && parent != top.id)
			err = -EAGAIN;
		if (!err)
			err = layers_lookup(fs, p, &top, name, &o);
		if (!err && o.id != cur)
			err = -ESTALE; /* something else lives there now */
		if (!err && !S_ISDIR(o.st.st_mode))
			err = -ENOTDIR;
		if (!err && fn)
			err = fn(ctx, &top, name, &o);
		if (!err)
			err = layers_step(fs, p, &top, name, &next);
		layers_close(&top);
		if (err)
			goto out;
		top = next;
		top.id = cur;
		dircache_put(fs, p, cur, epoch, &top);
	}
	*dl = top;
out:
	free(c.v);
	return err == -ENOENT ? -ESTALE : err;
}

int layers_walk_to_dir(struct union_fs *fs, struct pin *p, uint64_t id, layers_level_fn fn,
		       void *ctx, struct dirlayers *dl)
{
	unsigned tries;
	int err = -ESTALE;

	if (id == UNION_ROOT_ID)
		return open_root(fs, p, dl);
	for (tries = 0; tries < WALK_RETRIES; tries++) {
		err = walk_once(fs, p, id, atomic_load(&fs->epoch), fn, ctx, dl);
		if (err != -EAGAIN)
			return err;
	}
	return -ESTALE;
}

int layers_open_dir_id(struct union_fs *fs, struct pin *p, uint64_t id, struct dirlayers *dl)
{
	if (id != UNION_ROOT_ID && dircache_open(fs, p, id, atomic_load(&fs->epoch), dl))
		return 0;
	return layers_walk_to_dir(fs, p, id, NULL, NULL, dl);
}

int layers_resolve_id(struct union_fs *fs, struct pin *p, uint64_t id, struct dirlayers *parent,
		      char *name, struct uobj *o)
{
	uint64_t pid;
	struct nid n;
	int err;

	if (!nid_decode(id, &n) || (n.kind != NID_ROOT && n.slot != fs->slot))
		return -ESTALE;
	if (itable_get(&fs->itab, id, &pid, name, NAME_MAX + 1) != 0)
		return -ESTALE;
	err = layers_open_dir_id(fs, p, pid, parent);
	if (err)
		return err == -ENOENT ? -ESTALE : err;
	err = layers_lookup(fs, p, parent, name, o);
	if (!err && o->id != id)
		err = -ESTALE; /* something else lives there now */
	if (err) {
		layers_close(parent);
		return err == -ENOENT ? -ESTALE : err;
	}
	return 0;
}

/*
 * One level down in layers_lower_path(): @fd is the overlay's directory
 * of the level above (-1: none), @lp where the lower layers have it. A
 * renamed directory's redirect is followed as layers_step() follows it.
 */
static int lower_step(int *fd, char **lp, const char *name)
{
	int child = -1;
	char *rd = NULL, *next;
	const char *r;

	if (*fd >= 0)
		child = openat(*fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (child >= 0 && !dir_is_opaque(*fd, name))
		rd = host_getxattr_str(*fd, name, XATTR_REDIRECT);
	if (rd && rd[0] == '/') {
		for (r = rd; *r == '/'; r++)
			;
		next = strdup(r);
	} else if (rd && rd[0] && !strchr(rd, '/')) {
		next = layers_join(*lp, rd);
	} else {
		next = layers_join(*lp, name);
	}
	free(rd);
	free(*lp);
	*lp = next;
	if (*fd >= 0)
		close(*fd);
	*fd = child;
	return next ? 0 : -ENOMEM;
}

int layers_lower_path(struct union_fs *fs, uint64_t id, const char *name, char **out)
{
	struct chain c = {0};
	char buf[NAME_MAX + 1], *lp = strdup("");
	uint64_t parent;
	int fd = openat(fs->upper_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int err = lp ? chain_to_root(fs, id, &c) : -ENOMEM;

	while (!err && c.n--) {
		err = itable_get(&fs->itab, c.v[c.n], &parent, buf, sizeof(buf));
		if (!err)
			err = lower_step(&fd, &lp, buf);
	}
	if (!err)
		err = lower_step(&fd, &lp, name);
	if (fd >= 0)
		close(fd);
	free(c.v);
	if (err) {
		free(lp);
		return err == -ENOENT ? -ESTALE : err;
	}
	*out = lp;
	return 0;
}

int layers_set_path(struct union_fs *fs, struct dirlayers *dl)
{
	char *path;
	int err;

	if (dl->path)
		return 0;
	if (!dl->id)
		return -EINVAL;
	err = itable_path(&fs->itab, dl->id, &path);
	if (!err)
		dl->path = path;
	return err;
}
