/* SPDX-License-Identifier: MIT */
/*
 * The catalog: which <images>/<name>.sqfs files exist, their newest valid
 * generation, and (through registry.c) every generation still open.
 *
 * Locks: scan_lock serialises scans and every change to an entry
 * (validation happens under it, and verification when not deferred); lock
 * guards the entry table for lookups and the progress of the file being
 * verified, and is held briefly; the registry has its own lock and outlives
 * the catalog while generations are still referenced. No lock is held while
 * a generation is read, nor while a deferred verification reads.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images/image_priv.h"

#define SUFFIX	   ".sqfs"
#define SUFFIX_LEN 5

struct cat_entry {
	const char *name; /* interned: valid until catalog_close */
	struct image_gen *newest;
	struct image_gen *pending; /* validated, waiting for its verification */
	bool rejected_known;
	struct file_ident rejected; /* last file that failed validation or verification */
	char rejected_why[256];
	bool present;
};

/* The file being verified (under lock). */
struct verifying {
	struct image_gen *g; /* NULL: none */
	uint64_t done, total;
};

struct catalog {
	char *images_dir;
	pthread_mutex_t scan_lock;
	pthread_mutex_t lock;
	struct cat_entry *ents; /* sorted by name */
	size_t n, cap;
	char **names; /* interned names */
	size_t nnames, cap_names;
	struct gen_ids ids;
	struct gen_registry *reg;
	bool defer_verify;
	atomic_bool cancel; /* stop verifying: the catalog closes */
	struct verifying active;
	catalog_progress_fn progress;
	void *progress_ctx;
};

bool image_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len < 1 || len > IMAGE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return false;
	}
	return true;
}

/* ---- entries ----------------------------------------------------------- */

static const char *intern(struct catalog *c, const char *name)
{
	char *copy;

	for (size_t i = 0; i < c->nnames; i++)
		if (!strcmp(c->names[i], name))
			return c->names[i];
	if (c->nnames == c->cap_names) {
		size_t cap = c->cap_names ? c->cap_names * 2 : 16;
		char **bigger = realloc(c->names, cap * sizeof(*bigger));

		if (!bigger)
			return NULL;
		c->names = bigger;
		c->cap_names = cap;
	}
	copy = strdup(name);
	if (copy)
		c->names[c->nnames++] = copy;
	return copy;
}

/* Index of @name, or where it would go (with *@found false). */
static size_t entry_find(const struct catalog *c, const char *name, bool *found)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(c->ents[mid].name, name);

		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Called under scan_lock; takes lock for the table change. */
static struct cat_entry *entry_get(struct catalog *c, const char *name)
{
	struct cat_entry e = {0};
	bool found;
	size_t i = entry_find(c, name, &found);

	if (found)
		return &c->ents[i];
	e.name = intern(c, name);
	if (!e.name)
		return NULL;
	pthread_mutex_lock(&c->lock);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct cat_entry *bigger = realloc(c->ents, cap * sizeof(*bigger));

		if (!bigger) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		c->ents = bigger;
		c->cap = cap;
	}
	memmove(&c->ents[i + 1], &c->ents[i], (c->n - i) * sizeof(*c->ents));
	c->ents[i] = e;
	c->n++;
	pthread_mutex_unlock(&c->lock);
	return &c->ents[i];
}

static bool ident_eq(const struct file_ident *a, const struct file_ident *b)
{
	return a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* ---- scan -------------------------------------------------------------- */

struct scan {
	struct catalog *c;
	catalog_report_fn report;
	void *ctx;
	int added;
};

static void refuse(struct scan *s, struct cat_entry *e, const char *path,
		   const struct file_ident *ident, int err, const char *why)
{
	e->rejected_known = true;
	e->rejected = *ident;
	snprintf(e->rejected_why, sizeof(e->rejected_why), "%s", why[0] ? why : strerror(-err));
	if (s->report)
		s->report(s->ctx, path, NULL, err, why);
}

/* Under the ids lock: record again every generation open here that the
 * file no longer lists (another daemon pruned it while its file was gone),
 * so that its id is not given to another file while it serves. */
static void ids_keep_open(struct catalog *c)
{
	char file[IMAGE_NAME_MAX + 6];
	struct image_gen **open_gens;
	size_t n;

	if (registry_list(c->reg, &open_gens, &n) != 0)
		return; /* out of memory: those records stay as they are */
	for (size_t i = 0; i < n; i++) {
		struct image_gen *g = open_gens[i];

		if (!gen_ids_listed(&c->ids, g->id)) {
			snprintf(file, sizeof(file), "%s" SUFFIX, g->name);
			gen_ids_put(&c->ids, g->id, file, &g->ident);
		}
		image_gen_put(g);
	}
	free(open_gens);
}

/*
 * The id of @file (@ident): the one the ids file has for it, or a new one,
 * under the lock every daemon over these images takes, so that two of them
 * seeing the same new file give it one id.
 */
static int ids_assign(struct catalog *c, const char *file, const struct file_ident *ident,
		      unsigned *id, const char **why)
{
	struct image_gen *open_g;
	int err;

	*why = "cannot update the generation ids";
	err = gen_ids_lock(&c->ids);
	if (err)
		return err;
	ids_keep_open(c);
	*id = gen_ids_find(&c->ids, file, ident);
	if (!*id) {
		err = gen_ids_add(&c->ids, file, ident, registry_has, c->reg, id);
		if (err)
			*why = "no free generation id";
	}
	/* Only after ids wrapped while this daemon held a deleted file open. */
	open_g = !err ? registry_get(c->reg, *id, NULL) : NULL;
	if (open_g) {
		err = -EEXIST;
		*why = "its generation id is still open here for an older file";
		image_gen_put(open_g);
	}
	if (!err)
		err = gen_ids_save(&c->ids);
	gen_ids_unlock(&c->ids);
	return err;
}

/* Make @g (our reference, given away) the newest generation of @e's name. */
static void promote(struct scan *s, struct cat_entry *e, const char *file, const char *path,
		    struct image_gen *g)
{
	struct catalog *c = s->c;
	struct image_gen *old;
	const char *why;
	unsigned id = g->id;
	int err;

	if (!g->reg) {
		err = ids_assign(c, file, &g->ident, &id, &why);
		if (err) {
			if (s->report)
				s->report(s->ctx, path, NULL, err, why);
			image_gen_put(g);
			return;
		}
		g->id = id;
		registry_add(c->reg, g);
	}
	e->rejected_known = false;
	pthread_mutex_lock(&c->lock);
	old = e->newest;
	e->newest = g;
	pthread_mutex_unlock(&c->lock);
	image_gen_put(old);
	s->added++;
	if (s->report)
		s->report(s->ctx, path, g, 0, NULL);
}

static void verify_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct catalog *c = ctx;

	pthread_mutex_lock(&c->lock);
	c->active.done = done;
	c->active.total = total;
	pthread_mutex_unlock(&c->lock);
	if (c->progress)
		c->progress(c->progress_ctx, c->active.g->path, done, total);
}

/* image_verify() of @g, shown as the file being verified meanwhile. */
static int verify(struct catalog *c, struct image_gen *g, char *why, size_t whylen)
{
	int err;

	pthread_mutex_lock(&c->lock);
	c->active = (struct verifying){.g = g};
	pthread_mutex_unlock(&c->lock);
	if (c->progress)
		c->progress(c->progress_ctx, g->path, 0, 0);
	err = gen_verify(g, verify_progress, c, &c->cancel, why, whylen);
	pthread_mutex_lock(&c->lock);
	c->active.g = NULL;
	pthread_mutex_unlock(&c->lock);
	return err;
}

static void pending_drop(struct catalog *c, struct cat_entry *e)
{
	struct image_gen *g = e->pending;

	pthread_mutex_lock(&c->lock);
	e->pending = NULL;
	pthread_mutex_unlock(&c->lock);
	image_gen_put(g);
}

/* Open @file as the newest generation of @e's name (once verified), or record why not. */
static int scan_new_file(struct scan *s, struct cat_entry *e, const char *file,
			 const struct file_ident *seen)
{
	struct catalog *c = s->c;
	struct image_gen *g;
	char why[256] = "";
	char *path;
	unsigned id;
	int err;

	if (asprintf(&path, "%s/%s", c->images_dir, file) < 0)
		return -ENOMEM;
	/* The same file may still be open as an older generation (rollback). */
	id = gen_ids_find(&c->ids, file, seen);
	g = id ? registry_get(c->reg, id, seen) : NULL;
	if (g)
		goto promote;
	err = gen_open(path, e->name, 0, &g, why, sizeof(why));
	if (err) {
		refuse(s, e, path, seen, err, why);
		goto out;
	}
	/* Recorded in the ids file: it was verified when it became a generation
	 * (here, or by another server over the same images). */
	if (gen_ids_find(&c->ids, file, &g->ident))
		goto promote;
	if (c->defer_verify) {
		pthread_mutex_lock(&c->lock);
		e->pending = g;
		pthread_mutex_unlock(&c->lock);
		goto out;
	}
	err = verify(c, g, why, sizeof(why));
	if (err) {
		refuse(s, e, path, &g->ident, err, why);
		image_gen_put(g);
		goto out;
	}
promote:
	promote(s, e, file, path, g);
out:
	free(path);
	return 0;
}

static int scan_one(struct scan *s, int dfd, const char *file)
{
	char name[IMAGE_NAME_MAX + 1];
	size_t len = strlen(file);
	struct file_ident seen;
	struct cat_entry *e;
	struct stat st;

	if (len <= SUFFIX_LEN || len - SUFFIX_LEN > IMAGE_NAME_MAX ||
	    strcmp(file + len - SUFFIX_LEN, SUFFIX))
		return 0;
	memcpy(name, file, len - SUFFIX_LEN);
	name[len - SUFFIX_LEN] = '\0';
	if (!image_name_valid(name))
		return 0;
	if (fstatat(dfd, file, &st, 0) < 0 || !S_ISREG(st.st_mode))
		return 0; /* vanished meanwhile, or not a file */
	seen.ino = st.st_ino;
	seen.size = (uint64_t)st.st_size;
	seen.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;

	e = entry_get(s->c, name);
	if (!e)
		return -ENOMEM;
	e->present = true;
	/* A file waiting for verification that is no longer there never serves. */
	if (e->pending && !ident_eq(&e->pending->ident, &seen))
		pending_drop(s->c, e);
	if (e->newest && ident_eq(&e->newest->ident, &seen))
		return 0;
	if (e->rejected_known && ident_eq(&e->rejected, &seen))
		return 0;
	if (e->pending)
		return 0;
	return scan_new_file(s, e, file, &seen);
}

/* Names whose file is gone stop being served by the catalog. */
static void drop_absent(struct catalog *c)
{
	size_t j = 0;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n; i++) {
		if (c->ents[i].present) {
			c->ents[j++] = c->ents[i];
			continue;
		}
		image_gen_put(c->ents[i].newest);
		image_gen_put(c->ents[i].pending);
	}
	c->n = j;
	pthread_mutex_unlock(&c->lock);
}

/* Keep a record while its generation is open here or its file exists, in
 * <images> or <images>/.history (another server may still serve it, and a
 * rollback then finds the same id). */
static bool record_keep(void *ctx, const struct gen_record *r)
{
	struct catalog *c = ctx;
	char name[IMAGE_NAME_MAX + 1], path[PATH_MAX];
	struct image_file_id fid = {r->ident.ino, r->ident.size, r->ident.mtime_ns};
	size_t len = strlen(r->file);

	if (registry_has(c->reg, r->id))
		return true;
	if (len <= SUFFIX_LEN || len - SUFFIX_LEN > IMAGE_NAME_MAX)
		return false;
	memcpy(name, r->file, len - SUFFIX_LEN);
	name[len - SUFFIX_LEN] = '\0';
	return image_find_file(c->images_dir, name, &fid, path, sizeof(path)) == 0;
}

static bool record_gone(struct catalog *c)
{
	for (size_t i = 0; i < c->ids.n; i++)
		if (!record_keep(c, &c->ids.recs[i]))
			return true;
	return false;
}

/* Drop the records of files gone everywhere, under the ids lock; only
 * when there are such (the lock is not taken at every scan). */
static int ids_prune(struct catalog *c)
{
	int err;

	if (!record_gone(c))
		return 0;
	err = gen_ids_lock(&c->ids);
	if (err)
		return err;
	ids_keep_open(c);
	gen_ids_prune(&c->ids, record_keep, c);
	err = gen_ids_save(&c->ids);
	gen_ids_unlock(&c->ids);
	return err;
}

int catalog_scan(struct catalog *c, catalog_report_fn report, void *ctx)
{
	struct scan s = {.c = c, .report = report, .ctx = ctx};
	struct dirent *de;
	DIR *d;
	int err = 0;

	pthread_mutex_lock(&c->scan_lock);
	/* What other servers over these images recorded meanwhile. */
	err = gen_ids_reload(&c->ids);
	if (err)
		goto out;
	d = opendir(c->images_dir);
	if (!d) {
		err = -errno;
		goto out;
	}
	for (size_t i = 0; i < c->n; i++)
		c->ents[i].present = false;
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue; /* dotfiles, temporaries and .history/ */
		err = scan_one(&s, dirfd(d), de->d_name);
	}
	closedir(d);
	if (err)
		goto out;
	drop_absent(c);
	err = ids_prune(c);
out:
	pthread_mutex_unlock(&c->scan_lock);
	return err ? err : s.added;
}

/* ---- deferred verification ----------------------------------------------- */

void catalog_defer_verify(struct catalog *c, bool defer)
{
	pthread_mutex_lock(&c->scan_lock);
	c->defer_verify = defer;
	pthread_mutex_unlock(&c->scan_lock);
}

void catalog_cancel_verify(struct catalog *c)
{
	atomic_store(&c->cancel, true);
}

void catalog_set_progress(struct catalog *c, catalog_progress_fn fn, void *ctx)
{
	pthread_mutex_lock(&c->scan_lock);
	c->progress = fn;
	c->progress_ctx = ctx;
	pthread_mutex_unlock(&c->scan_lock);
}

int catalog_verify_pending(struct catalog *c, catalog_report_fn report, void *ctx)
{
	struct scan s = {.c = c, .report = report, .ctx = ctx};
	char name[IMAGE_NAME_MAX + 1], file[IMAGE_NAME_MAX + 6], why[256] = "";
	struct image_gen *g = NULL;
	struct cat_entry *e;
	char *path = NULL;
	bool found;
	size_t i;
	int err, ret = 1;

	pthread_mutex_lock(&c->scan_lock);
	for (i = 0; i < c->n && !g; i++)
		g = image_gen_ref(c->ents[i].pending);
	pthread_mutex_unlock(&c->scan_lock);
	if (!g)
		return 0;
	snprintf(name, sizeof(name), "%s", g->name);
	snprintf(file, sizeof(file), "%s" SUFFIX, g->name);
	err = verify(c, g, why, sizeof(why));

	pthread_mutex_lock(&c->scan_lock);
	i = entry_find(c, name, &found);
	e = found ? &c->ents[i] : NULL;
	/* Replaced or removed meanwhile; or cancelled, and still pending. */
	if (!e || e->pending != g || err == -ECANCELED) {
		image_gen_put(g);
		ret = err == -ECANCELED ? 0 : 1;
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	e->pending = NULL; /* its reference is now ours, with the one we took */
	pthread_mutex_unlock(&c->lock);
	image_gen_put(g);
	if (asprintf(&path, "%s/%s", c->images_dir, file) < 0) {
		image_gen_put(g);
		ret = -ENOMEM;
		goto out;
	}
	if (err) {
		refuse(&s, e, path, &g->ident, err, why);
		image_gen_put(g);
		goto out;
	}
	promote(&s, e, file, path, g);
	ret = ids_prune(c);
	if (ret == 0)
		ret = 1;
out:
	pthread_mutex_unlock(&c->scan_lock);
	free(path);
	return ret;
}

int catalog_files_unserved(struct catalog *c, struct catalog_file **out, size_t *n)
{
	struct catalog_file *v;
	size_t k = 0;

	pthread_mutex_lock(&c->scan_lock);
	pthread_mutex_lock(&c->lock);
	v = calloc(c->n ? c->n : 1, sizeof(*v));
	for (size_t i = 0; v && i < c->n; i++) {
		const struct cat_entry *e = &c->ents[i];
		struct catalog_file *f = &v[k];

		if (e->pending && e->pending == c->active.g) {
			f->state = CATALOG_VERIFYING;
			f->done = c->active.done;
			f->total = c->active.total;
		} else if (e->pending) {
			f->state = CATALOG_QUEUED;
		} else if (e->rejected_known) {
			f->state = CATALOG_REFUSED;
			snprintf(f->why, sizeof(f->why), "%s", e->rejected_why);
		} else {
			continue;
		}
		snprintf(f->name, sizeof(f->name), "%s", e->name);
		snprintf(f->file, sizeof(f->file), "%s" SUFFIX, e->name);
		k++;
	}
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&c->scan_lock);
	if (!v)
		return -ENOMEM;
	*out = v;
	*n = k;
	return 0;
}

/* ---- open / close / queries --------------------------------------------- */

int catalog_open(const char *images_dir, const char *state_dir, struct catalog **out)
{
	struct catalog *c;
	int err;

	*out = NULL;
	if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->reg = registry_new();
	c->images_dir = strdup(images_dir);
	if (!c->reg || !c->images_dir) {
		registry_put(c->reg);
		free(c->images_dir);
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->scan_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	err = gen_ids_open(&c->ids, images_dir, state_dir);
	if (err) {
		catalog_close(c);
		return err;
	}
	*out = c;
	return 0;
}

void catalog_close(struct catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		image_gen_put(c->ents[i].newest);
		image_gen_put(c->ents[i].pending);
	}
	free(c->ents);
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	gen_ids_free(&c->ids);
	registry_put(c->reg);
	pthread_mutex_destroy(&c->scan_lock);
	pthread_mutex_destroy(&c->lock);
	free(c->images_dir);
	free(c);
}

const char *catalog_ids_file(const struct catalog *c, bool *shared)
{
	*shared = c->ids.shared;
	return c->ids.path;
}

size_t catalog_count(const struct catalog *c)
{
	struct catalog *mc = (struct catalog *)c;
	size_t n = 0;

	pthread_mutex_lock(&mc->lock);
	for (size_t i = 0; i < c->n; i++)
		n += c->ents[i].newest != NULL;
	pthread_mutex_unlock(&mc->lock);
	return n;
}

const char *catalog_name_at(const struct catalog *c, size_t i)
{
	struct catalog *mc = (struct catalog *)c;
	const char *name = NULL;

	pthread_mutex_lock(&mc->lock);
	for (size_t k = 0; k < c->n && !name; k++) {
		if (!c->ents[k].newest)
			continue;
		if (i-- == 0)
			name = c->ents[k].name;
	}
	pthread_mutex_unlock(&mc->lock);
	return name;
}

struct image_gen *catalog_newest(struct catalog *c, const char *name)
{
	struct image_gen *g = NULL;
	bool found;
	size_t i;

	pthread_mutex_lock(&c->lock);
	i = entry_find(c, name, &found);
	if (found)
		g = image_gen_ref(c->ents[i].newest);
	pthread_mutex_unlock(&c->lock);
	return g;
}

struct image_gen *catalog_gen_get(struct catalog *c, unsigned id)
{
	return id ? registry_get(c->reg, id, NULL) : NULL;
}

int catalog_open_gens(struct catalog *c, struct image_gen ***out, size_t *n)
{
	return registry_list(c->reg, out, n);
}

void image_gen_file_id(const struct image_gen *g, struct image_file_id *id)
{
	id->ino = g->ident.ino;
	id->size = g->ident.size;
	id->mtime_ns = g->ident.mtime_ns;
}

int image_base_format(const struct image_gen *g, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s %" PRIu64 " %" PRIu64 " %" PRId64 " %u", g->name,
			 g->ident.ino, g->ident.size, g->ident.mtime_ns, g->id);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

int image_base_parse(const char *s, char name[IMAGE_NAME_MAX + 1], struct image_file_id *id,
		     unsigned *gen_id)
{
	if (sscanf(s, "%63s %" SCNu64 " %" SCNu64 " %" SCNd64 " %u", name, &id->ino, &id->size,
		   &id->mtime_ns, gen_id) != 5)
		return -EINVAL;
	return 0;
}

static bool file_is(int dfd, const char *file, const struct image_file_id *id)
{
	struct stat st;

	return fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       st.st_ino == id->ino && (uint64_t)st.st_size == id->size &&
	       (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec == id->mtime_ns;
}

/* <dir>/<file> into @path if it is @id. */
static int path_if_same(const char *dir, const char *file, const struct image_file_id *id,
			char *path, size_t size)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool same;

	if (dfd < 0)
		return -errno;
	same = file_is(dfd, file, id);
	close(dfd);
	if (!same)
		return -ENOENT;
	snprintf(path, size, "%s/%s", dir, file);
	return 0;
}

int image_find_file(const char *images_dir, const char *name, const struct image_file_id *id,
		    char *path, size_t size)
{
	char dir[PATH_MAX], file[IMAGE_NAME_MAX + 8];
	size_t len = strlen(name);
	struct dirent *de;
	int err = -ENOENT;
	DIR *d;

	snprintf(file, sizeof(file), "%s" SUFFIX, name);
	if (path_if_same(images_dir, file, id, path, size) == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s/.history", images_dir);
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while (err && (de = readdir(d)))
		if (!strncmp(de->d_name, name, len) && de->d_name[len] == '.')
			err = path_if_same(dir, de->d_name, id, path, size);
	closedir(d);
	return err;
}

int catalog_find_gen(struct catalog *c, const char *name, const struct image_file_id *id,
		     struct image_gen **out)
{
	struct image_gen **gens;
	char path[PATH_MAX], why[160];
	size_t n, i;
	int err;

	*out = NULL;
	err = catalog_open_gens(c, &gens, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (!*out && !strcmp(gens[i]->name, name) && gens[i]->ident.ino == id->ino &&
		    gens[i]->ident.size == id->size && gens[i]->ident.mtime_ns == id->mtime_ns)
			*out = gens[i];
		else
			image_gen_put(gens[i]);
	}
	free(gens);
	if (*out)
		return 0;
	err = image_find_file(c->images_dir, name, id, path, sizeof(path));
	return err ? err : image_gen_open(path, out, why, sizeof(why));
}
