/* SPDX-License-Identifier: MIT */
/*
 * Persistent generation ids in <state>/generations, one line per file:
 *
 *	next <id>
 *	<id> <name>.sqfs <inode> <size> <mtime in ns>
 *
 * The same file (name, inode, size, mtime) gets the same id after a
 * restart, so FUSE node ids built from it survive. New files take the next
 * id; the counter wraps but skips ids still listed, so an id is reused only
 * after thousands of generations and never while its file may be served.
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

#define IDS_FILE "generations"

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

int gen_ids_load(struct gen_ids *t, const char *state_dir)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	memset(t, 0, sizeof(*t));
	t->next = 1;
	if (asprintf(&t->path, "%s/%s", state_dir, IDS_FILE) < 0) {
		t->path = NULL;
		return -ENOMEM;
	}
	f = fopen(t->path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &cap, f) > 0)
		parse_line(t, line);
	free(line);
	fclose(f);
	return 0;
}

void gen_ids_free(struct gen_ids *t)
{
	free(t->recs);
	free(t->path);
	memset(t, 0, sizeof(*t));
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
