/* SPDX-License-Identifier: MIT */
/*
 * The reader API: inode numbers in, stat / entries / bytes out. Each call
 * borrows one reader of the generation for its duration and never calls
 * back into user code while holding it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "images/image_priv.h"

#define READDIR_BATCH 64

static int ino_to_id(struct image_gen *g, struct img_reader *r, img_ino ino, sqfs_inode_id *id)
{
	int err;

	if (ino == g->root_ino) {
		*id = g->root_id;
		return 0;
	}
	if (g->has_export)
		return export_lookup(&r->sq.fs, ino, id);
	if (ino_map_get(&g->map, ino, id))
		return 0;
	err = gen_map_walk(g, r);
	if (err)
		return err;
	return ino_map_get(&g->map, ino, id) ? 0 : -ESTALE;
}

int gen_inode(struct image_gen *g, struct img_reader *r, img_ino ino, sqfs_inode *inode,
	      sqfs_inode_id *id)
{
	sqfs_inode_id iid;
	int err;

	err = ino_to_id(g, r, ino, &iid);
	if (err)
		return err;
	if (inode_load(&r->sq.fs, iid, inode) || inode->base.inode_number != ino)
		return -EIO;
	if (id)
		*id = iid;
	return 0;
}

/*
 * Remember where an inode number lives when there is no export table, and
 * check that a number found in a directory leads to the inode later calls
 * by number will load (a corrupt image may give two inodes one number).
 */
static int learn(struct image_gen *g, struct img_reader *r, uint32_t ino, sqfs_inode_id id)
{
	sqfs_inode_id known;

	if (ino == g->root_ino)
		return id == g->root_id ? 0 : -EIO;
	if (!g->has_export)
		return ino_map_put(&g->map, ino, id);
	return export_lookup(&r->sq.fs, ino, &known) || known != id ? -EIO : 0;
}

/*
 * Each directory is listed once, however many entries lead to it: a
 * corrupt image may link directories in a cycle or to each other many
 * times over. A walk that met a corrupt listing is not tried again (the
 * image does not change), else every lookup of an unknown number would
 * walk the whole tree once more.
 */
int gen_map_walk(struct image_gen *g, struct img_reader *r)
{
	sqfs_inode_id *stack = NULL, dummy;
	struct ino_map walked;
	size_t n = 0, cap = 0;
	int err = 0;

	pthread_mutex_lock(&g->walk_lock);
	if (g->map.complete || g->walk_err) {
		err = g->walk_err;
		goto out;
	}
	ino_map_init(&walked);
	cap = 64;
	stack = malloc(cap * sizeof(*stack));
	if (!stack) {
		err = -ENOMEM;
		goto done;
	}
	stack[n++] = g->root_id;
	err = ino_map_put(&walked, g->root_ino, g->root_id);
	while (n && !err) {
		sqfs_inode dir;
		struct dir_iter it;
		struct dir_ent e;
		int more;

		if (inode_load(&r->sq.fs, stack[--n], &dir) ||
		    dir_iter_open(&r->sq.fs, &dir, &it)) {
			err = -EIO;
			break;
		}
		while ((more = dir_iter_next(&r->sq.fs, &it, &e)) > 0) {
			err = ino_map_put(&g->map, e.ino, e.id);
			if (err)
				break;
			if (e.type != S_IFDIR || ino_map_get(&walked, e.ino, &dummy))
				continue;
			err = ino_map_put(&walked, e.ino, e.id);
			if (!err && n == cap) {
				sqfs_inode_id *bigger = realloc(stack, 2 * cap * sizeof(*stack));

				if (!bigger)
					err = -ENOMEM;
				else
					stack = bigger;
				cap *= 2;
			}
			if (err)
				break;
			stack[n++] = e.id;
		}
		if (!err && more < 0)
			err = more;
	}
done:
	ino_map_destroy(&walked);
	if (!err)
		g->map.complete = true;
	else if (err != -ENOMEM)
		g->walk_err = err;
out:
	pthread_mutex_unlock(&g->walk_lock);
	free(stack);
	return err;
}

int img_root(struct image_gen *g, img_ino *ino)
{
	*ino = g->root_ino;
	return 0;
}

int img_getattr(struct image_gen *g, img_ino ino, struct stat *st)
{
	struct img_reader *r = reader_get(g);
	sqfs_inode inode;
	int err;

	err = gen_inode(g, r, ino, &inode, NULL);
	if (!err)
		err = inode_to_stat(&r->sq.fs, &inode, st);
	reader_put(r);
	return err;
}

static int parent_locked(struct image_gen *g, struct img_reader *r, const sqfs_inode *dir,
			 img_ino *parent)
{
	sqfs_inode p;
	int err;

	if (dir->base.inode_number == g->root_ino) {
		*parent = g->root_ino;
		return 0;
	}
	err = gen_inode(g, r, dir->xtra.dir.parent_inode, &p, NULL);
	if (err)
		return err == -ESTALE ? -EIO : err;
	if (!S_ISDIR(p.base.mode))
		return -EIO;
	*parent = p.base.inode_number;
	return 0;
}

int img_parent(struct image_gen *g, img_ino dir, img_ino *parent)
{
	struct img_reader *r = reader_get(g);
	sqfs_inode inode;
	int err;

	err = gen_inode(g, r, dir, &inode, NULL);
	if (!err && !S_ISDIR(inode.base.mode))
		err = -ENOTDIR;
	if (!err)
		err = parent_locked(g, r, &inode, parent);
	reader_put(r);
	return err;
}

int img_lookup(struct image_gen *g, img_ino dir, const char *name, img_ino *ino, struct stat *st)
{
	struct img_reader *r;
	sqfs_inode inode, child;
	struct dir_ent e;
	img_ino found;
	int err;

	if (!*name || strchr(name, '/'))
		return -ENOENT;
	if (strlen(name) > SQUASHFS_NAME_LEN)
		return -ENAMETOOLONG;
	r = reader_get(g);
	if (strcmp(name, ".") && strcmp(name, "..") && dir_index_cached(g, dir, name, &e, &err)) {
		if (err)
			goto out;
		goto child; /* no need for the directory's own inode */
	}
	err = gen_inode(g, r, dir, &inode, NULL);
	if (err)
		goto out;
	if (!S_ISDIR(inode.base.mode)) {
		err = -ENOTDIR;
		goto out;
	}
	if (!strcmp(name, ".")) {
		child = inode;
	} else if (!strcmp(name, "..")) {
		err = parent_locked(g, r, &inode, &found);
		if (!err)
			err = gen_inode(g, r, found, &child, NULL);
	} else {
		err = dir_index_find(g, r, dir, &inode, name, &e);
child:
		if (!err &&
		    (inode_load(&r->sq.fs, e.id, &child) || child.base.inode_number != e.ino ||
		     (child.base.mode & S_IFMT) != e.type))
			err = -EIO;
		if (!err)
			err = learn(g, r, e.ino, e.id);
	}
	if (err)
		goto out;
	if (st)
		err = inode_to_stat(&r->sq.fs, &child, st);
	if (!err && ino)
		*ino = child.base.inode_number;
out:
	reader_put(r);
	return err;
}

/* Read up to @max entries after @off; returns how many, or -errno. */
static int readdir_batch(struct image_gen *g, img_ino dir, uint64_t off, struct dir_ent *ents,
			 int max)
{
	struct img_reader *r = reader_get(g);
	sqfs_inode inode;
	struct dir_iter it;
	int n = 0, more = 0;
	int err;

	err = gen_inode(g, r, dir, &inode, NULL);
	if (!err && !S_ISDIR(inode.base.mode))
		err = -ENOTDIR;
	if (!err)
		err = dir_iter_seek_off(&r->sq.fs, &inode, &it, off);
	while (!err && n < max && (more = dir_iter_next(&r->sq.fs, &it, &ents[n])) > 0) {
		if (ents[n].off < off)
			continue;
		err = learn(g, r, ents[n].ino, ents[n].id);
		n++;
	}
	if (!err && more < 0)
		err = more;
	reader_put(r);
	return err ? err : n;
}

int img_readdir(struct image_gen *g, img_ino dir, uint64_t off, img_dirent_fn fn, void *ctx)
{
	struct dir_ent *ents = malloc(READDIR_BATCH * sizeof(*ents));
	int n, err = 0;

	if (!ents)
		return -ENOMEM;
	do {
		n = readdir_batch(g, dir, off, ents, READDIR_BATCH);
		if (n < 0) {
			err = n;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (fn(ctx, ents[i].name, ents[i].ino, ents[i].type, ents[i].next_off))
				goto out;
			off = ents[i].next_off;
		}
	} while (n == READDIR_BATCH);
out:
	free(ents);
	return err;
}

ssize_t img_read(struct image_gen *g, img_ino ino, void *buf, size_t size, off_t off)
{
	struct img_reader *r;
	sqfs_inode inode;
	sqfs_inode_id id;
	ssize_t n;
	int err;

	if (off < 0)
		return -EINVAL;
	r = reader_get(g);
	err = gen_inode(g, r, ino, &inode, &id);
	if (!err && S_ISDIR(inode.base.mode))
		err = -EISDIR;
	else if (!err && !S_ISREG(inode.base.mode))
		err = -EINVAL;
	n = err ? err
		: file_read(&r->sq.fs, &g->blocks, &r->cursor, id, &inode, buf, size, (uint64_t)off,
			    NULL);
	reader_put(r);
	return n;
}

uint64_t img_block_loads(struct image_gen *g)
{
	return block_cache_loads(&g->blocks);
}

ssize_t img_readlink(struct image_gen *g, img_ino ino, char *buf, size_t size)
{
	struct img_reader *r = reader_get(g);
	sqfs_inode inode;
	sqfs_md_cursor cur;
	size_t len = 0;
	int err;

	err = gen_inode(g, r, ino, &inode, NULL);
	if (!err && !S_ISLNK(inode.base.mode))
		err = -EINVAL;
	if (!err) {
		len = inode.xtra.symlink_size;
		if (len > IMG_LINK_MAX)
			err = -EIO;
		else if (size < len + 1)
			err = -ERANGE;
	}
	if (!err) {
		cur = inode.next;
		if (md_read(&r->sq.fs, &cur, buf, len))
			err = -EIO;
		buf[len] = '\0';
		if (!err && strlen(buf) != len)
			err = -EIO;
	}
	reader_put(r);
	return err ? err : (ssize_t)len;
}

ssize_t img_listxattr(struct image_gen *g, img_ino ino, char *buf, size_t size)
{
	struct img_reader *r = reader_get(g);
	sqfs_inode inode;
	ssize_t n;

	n = gen_inode(g, r, ino, &inode, NULL);
	if (!n)
		n = xattr_list(&r->sq.fs, &inode, buf, size);
	reader_put(r);
	return n;
}

ssize_t img_getxattr(struct image_gen *g, img_ino ino, const char *name, void *buf, size_t size)
{
	struct img_reader *r = reader_get(g);
	sqfs_inode inode;
	ssize_t n;

	n = gen_inode(g, r, ino, &inode, NULL);
	if (!n)
		n = xattr_get(&r->sq.fs, &inode, name, buf, size);
	reader_put(r);
	return n;
}
