/* SPDX-License-Identifier: MIT */
/*
 * Persistent generation ids in <images>/.generations, one line per file:
 *
 *	next <id>
 *	<id> <name>.sqfs <inode> <size> <mtime in ns>
 *
 * The same file (name, inode, size, mtime) gets the same id after a
 * restart, so FUSE node ids built from it survive. New files take the next
 * id; the counter wraps but skips ids still listed, so an id is reused only
 * after thousands of generations and never while its file may be served.
 *
 * The file lives beside the images so that every server over shared
 * storage gives a file the same id (docs/scale-out.md, "The image catalog
 * on shared storage"). Every change is made under an OFD write lock on
 * <images>/.generations.lock: read the file afresh, change, rename the new
 * file into place, unlock. A daemon that cannot write the images directory
 * keeps its ids in <state>/generations, where they lived before, unshared;
 * that file is also read once to fill a missing <images>/.generations.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images/image_priv.h"
#include "lib/statefile.h"

#define IDS_FILE	 ".generations"
#define IDS_LOCK	 ".generations.lock"
#define IDS_FILE_LEGACY "generations"

static int rec_push(struct gen_ids *t, const struct gen_record *r)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct gen_record *bigger = realloc(t->recs, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		t->recs = bigger;
		t->cap = cap;
	}
	t->recs[t->n++] = *r;
	return 0;
}

static bool listed(const struct gen_ids *t, unsigned id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->recs[i].id == id)
			return true;
	return false;
}

/* Malformed lines are skipped: losing an id only costs stale handles. */
static void parse_line(struct gen_ids *t, const char *line)
{
	struct gen_record r = {0};
	unsigned next;
	char file[sizeof(r.file) + 1];
	uint64_t ino, size;
	int64_t mtime;

	if (sscanf(line, "next %u", &next) == 1) {
		if (next >= 1 && next <= IMAGE_GEN_ID_MAX)
			t->next = next;
		return;
	}
	if (sscanf(line, "%u %69s %" SCNu64 " %" SCNu64 " %" SCNd64, &r.id, file, &ino, &size,
		   &mtime) != 5)
		return;
	if (r.id < 1 || r.id > IMAGE_GEN_ID_MAX || strlen(file) >= sizeof(r.file) ||
	    listed(t, r.id))
		return;
	memcpy(r.file, file, strlen(file) + 1);
	r.ident.ino = ino;
	r.ident.size = size;
	r.ident.mtime_ns = mtime;
	rec_push(t, &r);
}

/* Read @path into @t (emptied first); a missing file is -ENOENT. */
static int read_file(struct gen_ids *t, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int err;

	t->n = 0;
	t->next = 1;
	t->dirty = false;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	errno = 0;
	while (getline(&line, &cap, f) > 0)
		parse_line(t, line);
	err = ferror(f) ? -(errno ? errno : EIO) : 0;
	free(line);
	fclose(f);
	return err;
}

/*
 * Another server replaced the file by rename: on a network filesystem the
 * name may still lead to the file it replaced for a moment (GlusterFS: up
 * to its entry timeout, 1 s) and the open or read fail with ESTALE. Open it
 * again, for up to 3 s.
 */
int gen_ids_reload(struct gen_ids *t)
{
	int err;

	for (int tries = 0;; tries++) {
		err = read_file(t, t->path);
		if (err != -ESTALE || tries == 30)
			break;
		usleep(100 * 1000);
	}
	return err == -ENOENT ? 0 : err;
}

static int lock_op(int fd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET};

	while (fcntl(fd, F_OFD_SETLKW, &fl) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int gen_ids_lock(struct gen_ids *t)
{
	int err;

	if (t->lock_fd >= 0) {
		err = lock_op(t->lock_fd, F_WRLCK);
		if (err)
			return err;
	}
	err = gen_ids_reload(t);
	if (err)
		gen_ids_unlock(t);
	return err;
}

void gen_ids_unlock(struct gen_ids *t)
{
	if (t->lock_fd >= 0)
		lock_op(t->lock_fd, F_UNLCK);
}

/* Under the lock: a missing shared file starts from <state>/generations. */
static int import_legacy(struct gen_ids *t, const char *state_dir)
{
	char *legacy;
	int err;

	if (access(t->path, F_OK) == 0 || errno != ENOENT)
		return 0;
	if (asprintf(&legacy, "%s/%s", state_dir, IDS_FILE_LEGACY) < 0)
		return -ENOMEM;
	err = read_file(t, legacy);
	free(legacy);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	t->dirty = true;
	return gen_ids_save(t);
}

int gen_ids_open(struct gen_ids *t, const char *images_dir, const char *state_dir)
{
	char *lock = NULL;
	int err;

	memset(t, 0, sizeof(*t));
	t->next = 1;
	t->lock_fd = -1;
	if (asprintf(&lock, "%s/%s", images_dir, IDS_LOCK) < 0)
		return -ENOMEM;
	t->lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	free(lock);
	if (t->lock_fd < 0 && errno != EROFS && errno != EACCES && errno != EPERM)
		return -errno;
	if (t->lock_fd < 0) {
		/* A read-only images directory: this daemon's own ids. */
		if (asprintf(&t->path, "%s/%s", state_dir, IDS_FILE_LEGACY) < 0)
			goto nomem;
		return gen_ids_reload(t);
	}
	t->shared = true;
	if (asprintf(&t->path, "%s/%s", images_dir, IDS_FILE) < 0)
		goto nomem;
	err = gen_ids_lock(t);
	if (err)
		return err;
	err = import_legacy(t, state_dir);
	gen_ids_unlock(t);
	return err;
nomem:
	t->path = NULL;
	return -ENOMEM;
}

void gen_ids_free(struct gen_ids *t)
{
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	free(t->recs);
	free(t->path);
	memset(t, 0, sizeof(*t));
	t->lock_fd = -1;
}

bool gen_ids_listed(const struct gen_ids *t, unsigned id)
{
	return listed(t, id);
}

int gen_ids_put(struct gen_ids *t, unsigned id, const char *file, const struct file_ident *ident)
{
	struct gen_record r = {.id = id, .ident = *ident};
	int err;

	if (strlen(file) >= sizeof(r.file))
		return -ENAMETOOLONG;
	if (listed(t, id))
		return -EEXIST;
	memcpy(r.file, file, strlen(file) + 1);
	err = rec_push(t, &r);
	if (!err)
		t->dirty = true;
	return err;
}

unsigned gen_ids_find(const struct gen_ids *t, const char *file, const struct file_ident *ident)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct gen_record *r = &t->recs[i];

		if (!strcmp(r->file, file) && r->ident.ino == ident->ino &&
		    r->ident.size == ident->size && r->ident.mtime_ns == ident->mtime_ns)
			return r->id;
	}
	return 0;
}

int gen_ids_add(struct gen_ids *t, const char *file, const struct file_ident *ident,
		bool (*in_use)(void *ctx, unsigned id), void *ctx, unsigned *out)
{
	struct gen_record r = {.ident = *ident};

	if (strlen(file) >= sizeof(r.file))
		return -ENAMETOOLONG;
	memcpy(r.file, file, strlen(file) + 1);
	for (unsigned tries = 0; tries < IMAGE_GEN_ID_MAX; tries++) {
		unsigned id = t->next;
		int err;

		t->next = id % IMAGE_GEN_ID_MAX + 1;
		if (listed(t, id) || (in_use && in_use(ctx, id)))
			continue;
		r.id = id;
		err = rec_push(t, &r);
		if (err)
			return err;
		t->dirty = true;
		*out = id;
		return 0;
	}
	return -ENOSPC;
}

void gen_ids_prune(struct gen_ids *t, bool (*keep)(void *ctx, const struct gen_record *r),
		   void *ctx)
{
	size_t j = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (keep(ctx, &t->recs[i]))
			t->recs[j++] = t->recs[i];
		else
			t->dirty = true;
	}
	t->n = j;
}

int gen_ids_save(struct gen_ids *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err = 0;

	if (!t->dirty)
		return 0;
	f = open_memstream(&text, &len);
	if (!f)
		return -errno;
	fprintf(f, "# netbootfs image generations: id file inode size mtime_ns\n");
	fprintf(f, "next %u\n", t->next);
	for (size_t i = 0; i < t->n; i++) {
		const struct gen_record *r = &t->recs[i];

		fprintf(f, "%u %s %" PRIu64 " %" PRIu64 " %" PRId64 "\n", r->id, r->file,
			r->ident.ino, r->ident.size, r->ident.mtime_ns);
	}
	if (fclose(f) != 0)
		err = -ENOMEM;
	if (!err)
		err = statefile_replace(t->path, text, len, 0600, (uid_t)-1, (gid_t)-1);
	if (!err)
		t->dirty = false;
	free(text);
	return err;
}
