/* SPDX-License-Identifier: MIT */
/*
 * A generation: one open image file, reference counted, with a small pool
 * of independent libsquashfuse instances over the same descriptor.
 *
 * libsquashfuse 0.1.105 keeps unlocked caches inside each `sqfs`, so an
 * instance is used by one thread at a time (its own mutex); several
 * instances let that many threads read one image in parallel. pread() on
 * the shared descriptor needs no lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images/image_priv.h"

static void readers_destroy(struct image_gen *g)
{
	for (int i = 0; i < IMG_READERS; i++) {
		struct img_reader *r = &g->readers[i];

		if (r->ready)
			img_sqfs_destroy(&r->sq);
		r->ready = false;
		pthread_mutex_destroy(&r->lock);
	}
}

void gen_destroy(struct image_gen *g)
{
	if (!g)
		return;
	readers_destroy(g);
	ino_map_destroy(&g->map);
	dir_index_destroy(&g->dirs);
	block_cache_destroy(&g->blocks);
	pthread_mutex_destroy(&g->walk_lock);
	if (g->fd >= 0)
		close(g->fd);
	free(g->path);
	free(g);
}

static int readers_init(struct image_gen *g, char *why, size_t whylen)
{
	int err;

	err = image_validate_fd(g->fd, &g->readers[0].sq, &g->info, why, whylen);
	if (err)
		return err;
	g->readers[0].ready = true;
	for (int i = 1; i < IMG_READERS; i++) {
		struct img_reader *r = &g->readers[i];

		if (img_sqfs_init(&r->sq, g->fd)) {
			why_set(why, whylen, "cannot read the filesystem tables");
			return -EIO;
		}
		r->ready = true;
		/* The checks made through reader 0 hold only for the same bytes. */
		if (memcmp(&r->sq.fs.sb, &g->readers[0].sq.fs.sb, sizeof(r->sq.fs.sb))) {
			why_set(why, whylen, "image changed while being opened");
			return -EIO;
		}
	}
	return 0;
}

int gen_open(const char *path, const char *name, unsigned id, struct image_gen **out, char *why,
	     size_t whylen)
{
	struct image_gen *g;
	sqfs_inode root;
	int err;

	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	atomic_init(&g->refs, 1);
	g->id = id;
	snprintf(g->name, sizeof(g->name), "%s", name);
	ino_map_init(&g->map);
	dir_index_init(&g->dirs);
	block_cache_init(&g->blocks);
	pthread_mutex_init(&g->walk_lock, NULL);
	for (int i = 0; i < IMG_READERS; i++)
		pthread_mutex_init(&g->readers[i].lock, NULL);
	g->fd = -1;
	g->path = strdup(path);
	g->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!g->path || g->fd < 0) {
		err = g->path ? -errno : -ENOMEM;
		why_set(why, whylen, "open: %s", strerror(-err));
		goto fail;
	}
	err = file_ident_of(g->fd, &g->ident);
	if (err) {
		why_set(why, whylen, "stat: %s", strerror(-err));
		goto fail;
	}
	err = readers_init(g, why, whylen);
	if (err)
		goto fail;
	g->root_id = sqfs_inode_root(&g->readers[0].sq.fs);
	err = inode_load(&g->readers[0].sq.fs, g->root_id, &root);
	if (err) {
		why_set(why, whylen, "root inode is unreadable");
		goto fail;
	}
	g->root_ino = root.base.inode_number;
	g->has_export = sqfs_export_ok(&g->readers[0].sq.fs);
	*out = g;
	return 0;
fail:
	gen_destroy(g);
	return err;
}

struct img_reader *reader_get(struct image_gen *g)
{
	struct img_reader *r;

	/* Lowest free reader first: each reader has its own metadata and
	 * fragment caches, so one client's requests should keep landing on
	 * the same (warm) one; the others take what arrives in parallel. */
	for (unsigned i = 0; i < IMG_READERS; i++) {
		r = &g->readers[i];
		if (pthread_mutex_trylock(&r->lock) == 0)
			return r;
	}
	/* All busy: queue on one picked by thread, so waiters spread out. */
	r = &g->readers[(unsigned)gettid() % IMG_READERS];
	pthread_mutex_lock(&r->lock);
	return r;
}

void reader_put(struct img_reader *r)
{
	pthread_mutex_unlock(&r->lock);
}

int image_gen_open(const char *path, struct image_gen **out, char *why, size_t whylen)
{
	const char *base = strrchr(path, '/');
	char name[IMAGE_NAME_MAX + 1] = "";
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && len - 5 <= IMAGE_NAME_MAX && !strcmp(base + len - 5, ".sqfs"))
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), base);
	return gen_open(path, name, 0, out, why, whylen);
}

struct image_gen *image_gen_ref(struct image_gen *g)
{
	if (g)
		atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
	return g;
}

void image_gen_put(struct image_gen *g)
{
	if (!g)
		return;
	if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (g->reg)
		registry_forget(g->reg, g);
	gen_destroy(g);
}

unsigned image_gen_id(const struct image_gen *g)
{
	return g->id;
}

const char *image_gen_name(const struct image_gen *g)
{
	return g->name;
}

const char *image_gen_path(const struct image_gen *g)
{
	return g->path;
}

const struct image_info *image_gen_info(const struct image_gen *g)
{
	return &g->info;
}

unsigned image_gen_refcount(const struct image_gen *g)
{
	return atomic_load_explicit(&g->refs, memory_order_relaxed);
}
