/* SPDX-License-Identifier: MIT */
#include "fusefs/union/dircache.h"

#include "fusefs/union/union_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DC_FH_MAX 48 /* ext4, xfs, btrfs, tmpfs directory handles fit */
#define DC_LAYERS (1 + MAX_SHARED_LAYERS)

enum { DC_UPPER = 1, DC_HIDDEN = 2, DC_GEN = 4, DC_IMG = 8 };

/* A host directory: its handle, and what it must be once reopened. */
struct dc_fh {
	uint64_t dev, ino;
	int type;
	unsigned len;
	unsigned char bytes[DC_FH_MAX];
};

/* A directory's layer facts: a field of its node object (unode.h). */
struct udir {
	uint64_t epoch, pin_seq;
	img_ino img;
	const struct gen_entry *gen; /* in the pin's generated layer */
	uint8_t flags;
	uint16_t shared; /* bit i: shared layer i has the dir */
	unsigned n_fh;
	struct dc_fh fh[]; /* the overlay's (DC_UPPER), then one per bit of @shared */
};

union fh_buf {
	struct file_handle fh;
	char buf[sizeof(struct file_handle) + DC_FH_MAX];
};

static bool fh_save(int fd, struct dc_fh *f)
{
	union fh_buf h;
	struct stat st;
	int mount_id;

	h.fh.handle_bytes = DC_FH_MAX;
	if (name_to_handle_at(fd, "", &h.fh, &mount_id, AT_EMPTY_PATH) != 0 || fstat(fd, &st) != 0)
		return false;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->type = h.fh.handle_type;
	f->len = h.fh.handle_bytes;
	memcpy(f->bytes, h.fh.f_handle, f->len);
	return true;
}

/* The directory @f names, on the file system of @mount_fd; -1 if it is
 * gone (or the handle decodes to anything else). */
static int fh_open(int mount_fd, const struct dc_fh *f)
{
	union fh_buf h;
	struct stat st;
	int fd;

	h.fh.handle_bytes = f->len;
	h.fh.handle_type = f->type;
	memcpy(h.fh.f_handle, f->bytes, f->len);
	fd = open_by_handle_at(mount_fd, &h.fh, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A removed directory still open somewhere decodes too: nlink 0. */
	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_dev != f->dev ||
	    st.st_ino != f->ino || st.st_nlink == 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct dircache {
	/* open_by_handle_at() wants a descriptor of the file system that is
	 * not O_PATH: the overlay's and the overlays area's, opened once. */
	int mnt_upper, mnt_overlays;
};

static struct dircache *dircache_new(struct union_fs *fs)
{
	struct dircache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->mnt_upper = openat(fs->upper_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->mnt_overlays = openat(fs->overlays_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return c;
}

bool dircache_open(struct union_fs *fs, struct pin *p, uint64_t id, uint64_t epoch,
		   struct dirlayers *dl)
{
	struct unode_stripe *s = unode_stripe(&fs->itab.nodes, id);
	int mnt_upper = -1, mnt_overlays = -1;
	struct dc_fh fh[DC_LAYERS];
	struct udir e;
	struct unode *u;
	bool hit = false;
	unsigned i, k = 0;

	pthread_mutex_lock(&fs->dircache_lock);
	if (fs->dircache) {
		/* Closed only with the cache itself, once the node is gone. */
		mnt_upper = fs->dircache->mnt_upper;
		mnt_overlays = fs->dircache->mnt_overlays;
		hit = true;
	}
	pthread_mutex_unlock(&fs->dircache_lock);
	if (!hit)
		return false; /* nothing was ever put */
	hit = false;
	pthread_rwlock_rdlock(&s->lock);
	u = unode_find(s, id);
	if (u && u->dir) {
		e = *u->dir;
		hit = e.epoch == epoch && e.pin_seq == p->seq;
		if (hit && e.n_fh)
			memcpy(fh, u->dir->fh, e.n_fh * sizeof(*fh));
	}
	pthread_rwlock_unlock(&s->lock);
	if (!hit)
		return false;

	memset(dl, 0, sizeof(*dl));
	dl->id = id;
	dl->upper_fd = -1;
	for (i = 0; i < MAX_SHARED_LAYERS; i++)
		dl->shared_fd[i] = -1;
	dl->lower_hidden = e.flags & DC_HIDDEN;
	dl->gen_dir = e.flags & DC_GEN;
	dl->gen = e.gen;
	dl->img_dir = e.flags & DC_IMG;
	dl->img = e.img;
	dl->n_shared = p->n_layers;
	if ((e.flags & DC_UPPER) && (dl->upper_fd = fh_open(mnt_upper, &fh[k++])) < 0)
		goto gone;
	for (i = 0; i < p->n_layers; i++) {
		if (!(e.shared & (1u << i)))
			continue;
		/* The shared layers live in the overlays area. */
		dl->shared_fd[i] = fh_open(mnt_overlays, &fh[k++]);
		if (dl->shared_fd[i] < 0)
			goto gone;
	}
	return true;
gone:
	layers_close(dl);
	return false;
}

void dircache_put(struct union_fs *fs, struct pin *p, uint64_t id, uint64_t epoch,
		  const struct dirlayers *dl)
{
	struct unode_stripe *s = unode_stripe(&fs->itab.nodes, id);
	struct dc_fh fh[DC_LAYERS];
	struct udir *e;
	struct unode *u;
	unsigned i, n_fh = 0;
	uint8_t flags;
	uint16_t shared = 0;

	flags = (dl->upper_fd >= 0 ? DC_UPPER : 0) | (dl->lower_hidden ? DC_HIDDEN : 0) |
		(dl->gen_dir ? DC_GEN : 0) | (dl->img_dir ? DC_IMG : 0);
	if (dl->upper_fd >= 0 && !fh_save(dl->upper_fd, &fh[n_fh++]))
		return;
	for (i = 0; i < dl->n_shared && i < MAX_SHARED_LAYERS; i++) {
		if (dl->shared_fd[i] < 0)
			continue;
		if (!fh_save(dl->shared_fd[i], &fh[n_fh++]))
			return;
		shared |= 1u << i;
	}
	e = malloc(sizeof(*e) + n_fh * sizeof(*fh));
	if (!e)
		return;
	*e = (struct udir){.epoch = epoch,
			   .pin_seq = p->seq,
			   .img = dl->img,
			   .gen = dl->gen,
			   .flags = flags,
			   .shared = shared,
			   .n_fh = n_fh};
	memcpy(e->fh, fh, n_fh * sizeof(*fh));
	pthread_mutex_lock(&fs->dircache_lock);
	if (!fs->dircache)
		fs->dircache = dircache_new(fs);
	pthread_mutex_unlock(&fs->dircache_lock);
	pthread_rwlock_wrlock(&s->lock);
	u = unode_find(s, id);
	if (u) {
		unode_set_dir(s, u, e);
		e = NULL;
	}
	pthread_rwlock_unlock(&s->lock);
	free(e); /* an id the table does not hold is not cached */
}

void dircache_free(struct union_fs *fs)
{
	if (!fs->dircache)
		return;
	if (fs->dircache->mnt_upper >= 0)
		close(fs->dircache->mnt_upper);
	if (fs->dircache->mnt_overlays >= 0)
		close(fs->dircache->mnt_overlays);
	free(fs->dircache);
	fs->dircache = NULL;
}
