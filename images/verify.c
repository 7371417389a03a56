/* SPDX-License-Identifier: MIT */
/*
 * image_verify: read every inode, directory, xattr and data block and
 * report the first problem with the path inside the image.
 *
 * Squashfs has no checksums; what catches damaged data is the compressor
 * (zlib and xz check their streams) and the exact block sizes we expect.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "images/image_priv.h"

#define PROGRESS_STEP (8u << 20)

struct vfile {
	char *path;
	sqfs_inode_id id;
	uint64_t size;
};

struct vdir {
	char *path;
	sqfs_inode_id id;
};

struct verify {
	struct image_gen *g;
	sqfs *fs;
	struct ino_map seen;
	struct vfile *files;
	size_t nfiles, cap_files;
	struct vdir *dirs;
	size_t ndirs, cap_dirs;
	uint64_t total;
	const atomic_bool *cancel; /* may be NULL */
	char *why;
	size_t whylen;
};

static int grow(void **arr, size_t *cap, size_t n, size_t each)
{
	void *bigger;

	if (n < *cap)
		return 0;
	bigger = realloc(*arr, (*cap ? *cap * 2 : 64) * each);
	if (!bigger)
		return -ENOMEM;
	*arr = bigger;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

static char *path_join(const char *dir, const char *name)
{
	char *s;

	if (asprintf(&s, "%s/%s", strcmp(dir, "/") ? dir : "", name) < 0)
		return NULL;
	return s;
}

static int bad(struct verify *v, const char *path, const char *what)
{
	why_set(v->why, v->whylen, "%s: %s", path, what);
	return -EIO;
}

/* Everything about one inode except its file data. */
static int check_inode(struct verify *v, const char *path, const sqfs_inode *inode)
{
	uint32_t id;

	if (id_lookup(v->fs, inode->base.uid, &id) || id_lookup(v->fs, inode->base.guid, &id))
		return bad(v, path, "owner or group index out of range");
	if (xattr_check(v->fs, inode))
		return bad(v, path, "extended attributes are unreadable");
	if (S_ISLNK(inode->base.mode)) {
		char target[IMG_LINK_MAX + 1];
		sqfs_md_cursor cur = inode->next;
		size_t len = inode->xtra.symlink_size;

		if (len > IMG_LINK_MAX || md_read(v->fs, &cur, target, len))
			return bad(v, path, "symlink target is unreadable");
	}
	return 0;
}

static int check_entry(struct verify *v, const char *path, const struct dir_ent *e)
{
	sqfs_inode inode;
	sqfs_inode_id xid;
	sqfs_inode_id dummy;
	char what[96];
	int err;

	if (inode_load(v->fs, e->id, &inode))
		return bad(v, path, "inode is unreadable");
	if (inode.base.inode_number != e->ino || (inode.base.mode & S_IFMT) != e->type)
		return bad(v, path, "directory entry does not match its inode");
	if (v->g->has_export && (export_lookup(v->fs, e->ino, &xid) || xid != e->id)) {
		snprintf(what, sizeof(what), "export table entry for inode %" PRIu32 " is wrong",
			 e->ino);
		return bad(v, path, what);
	}
	err = check_inode(v, path, &inode);
	if (err)
		return err;
	if (ino_map_get(&v->seen, e->ino, &dummy)) {
		if (S_ISDIR(inode.base.mode)) /* directories cannot be hard links */
			return bad(v, path, "directory is linked twice");
		return 0;
	}
	if (ino_map_put(&v->seen, e->ino, e->id))
		return -ENOMEM;
	if (S_ISDIR(inode.base.mode)) {
		if (grow((void **)&v->dirs, &v->cap_dirs, v->ndirs, sizeof(*v->dirs)))
			return -ENOMEM;
		v->dirs[v->ndirs].path = strdup(path);
		v->dirs[v->ndirs].id = e->id;
		return v->dirs[v->ndirs++].path ? 0 : -ENOMEM;
	}
	if (S_ISREG(inode.base.mode)) {
		if (grow((void **)&v->files, &v->cap_files, v->nfiles, sizeof(*v->files)))
			return -ENOMEM;
		v->files[v->nfiles].path = strdup(path);
		v->files[v->nfiles].id = e->id;
		v->files[v->nfiles].size = inode.xtra.reg.file_size;
		v->total += inode.xtra.reg.file_size;
		return v->files[v->nfiles++].path ? 0 : -ENOMEM;
	}
	return 0;
}

static int walk_dir(struct verify *v, const char *path, sqfs_inode_id id)
{
	struct dir_ent e;
	struct dir_iter it;
	sqfs_inode dir;
	int more, err = 0;

	if (inode_load(v->fs, id, &dir) || dir_iter_open(v->fs, &dir, &it))
		return bad(v, path, "directory is unreadable");
	while ((more = dir_iter_next(v->fs, &it, &e)) > 0) {
		char *child = path_join(path, e.name);

		if (!child)
			return -ENOMEM;
		err = check_entry(v, child, &e);
		free(child);
		if (err)
			return err;
	}
	if (more < 0)
		return bad(v, path, "directory listing is corrupt");
	return 0;
}

static int walk_tree(struct verify *v)
{
	sqfs_inode root;
	int err;

	if (inode_load(v->fs, v->g->root_id, &root))
		return bad(v, "/", "inode is unreadable");
	err = check_inode(v, "/", &root);
	if (!err)
		err = ino_map_put(&v->seen, v->g->root_ino, v->g->root_id);
	if (!err)
		err = walk_dir(v, "/", v->g->root_id);
	for (size_t i = 0; !err && i < v->ndirs; i++)
		err = walk_dir(v, v->dirs[i].path, v->dirs[i].id);
	return err;
}

static int read_files(struct verify *v, image_progress_fn progress, void *ctx)
{
	uint64_t bs = v->fs->sb.block_size, done = 0, reported = 0;
	struct blk_cursor bc = {0};
	char *buf = malloc(bs);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; !err && i < v->nfiles; i++) {
		struct vfile *f = &v->files[i];
		sqfs_inode inode;

		if (inode_load(v->fs, f->id, &inode)) {
			err = bad(v, f->path, "inode is unreadable");
			break;
		}
		for (uint64_t off = 0; off < f->size; off += bs) {
			struct blk_fault fault = {.block = off / bs};
			ssize_t n;

			if (v->cancel && atomic_load_explicit(v->cancel, memory_order_relaxed)) {
				why_set(v->why, v->whylen, "cancelled");
				err = -ECANCELED;
				break;
			}
			n = file_read(v->fs, NULL, &bc, f->id, &inode, buf, bs, off, &fault);
			if (n < 0 || (uint64_t)n != (f->size - off < bs ? f->size - off : bs)) {
				if (n >= 0)
					snprintf(fault.what, sizeof(fault.what), "short read");
				why_set(v->why, v->whylen,
					"%s: %s %" PRIu64 " (image offset %" PRIu64 "): %s",
					f->path,
					fault.fragment ? "fragment of block" : "data block",
					fault.block, fault.image_pos, fault.what);
				err = -EIO;
				break;
			}
			done += (uint64_t)n;
			if (progress && done - reported >= PROGRESS_STEP) {
				progress(ctx, done, v->total);
				reported = done;
			}
		}
	}
	free(buf);
	if (!err && progress)
		progress(ctx, v->total, v->total);
	return err;
}

int gen_verify(struct image_gen *g, image_progress_fn progress, void *ctx,
	       const atomic_bool *cancel, char *why, size_t whylen)
{
	struct verify v = {.g = g, .cancel = cancel, .why = why, .whylen = whylen};
	struct img_reader *r;
	int err;

	r = reader_get(g);
	v.fs = &r->sq.fs;
	ino_map_init(&v.seen);
	err = walk_tree(&v);
	if (!err)
		err = read_files(&v, progress, ctx);
	if (err == -ENOMEM)
		why_set(why, whylen, "out of memory");
	ino_map_destroy(&v.seen);
	for (size_t i = 0; i < v.nfiles; i++)
		free(v.files[i].path);
	for (size_t i = 0; i < v.ndirs; i++)
		free(v.dirs[i].path);
	free(v.files);
	free(v.dirs);
	reader_put(r);
	return err;
}

int image_verify(const char *path, image_progress_fn progress, void *ctx, char *why, size_t whylen)
{
	struct image_gen *g;
	int err;

	err = image_gen_open(path, &g, why, whylen);
	if (err)
		return err;
	err = gen_verify(g, progress, ctx, NULL, why, whylen);
	image_gen_put(g);
	return err;
}
