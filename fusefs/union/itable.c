/* SPDX-License-Identifier: MIT */
#include "fusefs/union/itable.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/statefile.h"

#define ROOT_ID	  1
#define MAX_DEPTH (1u << 20) /* a longer chain is a loop */

static size_t bucket_of(const struct itable *t, uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)(id & (t->nbuckets - 1));
}

int itable_init(struct itable *t)
{
	memset(t, 0, sizeof(*t));
	t->journal = (struct ijournal)IJOURNAL_INIT;
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	pthread_rwlock_init(&t->lock, NULL);
	return 0;
}

void itable_destroy(struct itable *t)
{
	ijournal_close(&t->journal);
	size_t i;

	for (i = 0; i < t->nbuckets; i++) {
		struct itable_ent *e = t->buckets[i];

		while (e) {
			struct itable_ent *next = e->next;

			free(e->name);
			free(e);
			e = next;
		}
	}
	free(t->buckets);
	pthread_rwlock_destroy(&t->lock);
}

static struct itable_ent *find(const struct itable *t, uint64_t id)
{
	struct itable_ent *e = t->buckets[bucket_of(t, id)];

	while (e && e->id != id)
		e = e->next;
	return e;
}

static void grow(struct itable *t)
{
	size_t n = t->nbuckets * 2, i;
	struct itable_ent **nb = calloc(n, sizeof(*nb));
	struct itable_ent **old = t->buckets;
	size_t oldn = t->nbuckets;

	if (!nb)
		return; /* stay at the current size: slower, still correct */
	t->buckets = nb;
	t->nbuckets = n;
	for (i = 0; i < oldn; i++) {
		struct itable_ent *e = old[i];

		while (e) {
			struct itable_ent *next = e->next;
			size_t b = bucket_of(t, e->id);

			e->next = nb[b];
			nb[b] = e;
			e = next;
		}
	}
	free(old);
}

static void journal_set(struct itable *t, uint64_t id, uint64_t parent, const char *name);
static void journal_remove(struct itable *t, uint64_t id);

int itable_set(struct itable *t, uint64_t id, uint64_t parent, const char *name)
{
	struct itable_ent *e;
	char *copy;
	int err = 0;

	if (id == ROOT_ID)
		return 0;
	/* Nearly every call re-records what is there (each LOOKUP of a known
	 * name): check under the shared lock first. */
	pthread_rwlock_rdlock(&t->lock);
	e = find(t, id);
	if (e && e->parent == parent && strcmp(e->name, name) == 0) {
		pthread_rwlock_unlock(&t->lock);
		return 0;
	}
	pthread_rwlock_unlock(&t->lock);
	pthread_rwlock_wrlock(&t->lock);
	e = find(t, id);
	if (e && e->parent == parent && strcmp(e->name, name) == 0)
		goto out;
	copy = strdup(name);
	if (!copy) {
		err = -ENOMEM;
		goto out;
	}
	journal_set(t, id, parent, name);
	if (e) {
		free(e->name);
		e->name = copy;
		e->parent = parent;
		goto out;
	}
	e = malloc(sizeof(*e));
	if (!e) {
		free(copy);
		err = -ENOMEM;
		goto out;
	}
	e->id = id;
	e->parent = parent;
	e->name = copy;
	if (t->count >= t->nbuckets)
		grow(t);
	size_t b = bucket_of(t, id);
	e->next = t->buckets[b];
	t->buckets[b] = e;
	t->count++;
out:
	pthread_rwlock_unlock(&t->lock);
	return err;
}

void itable_remove(struct itable *t, uint64_t id)
{
	struct itable_ent **pp, *e;

	pthread_rwlock_wrlock(&t->lock);
	for (pp = &t->buckets[bucket_of(t, id)]; (e = *pp); pp = &e->next) {
		if (e->id == id) {
			*pp = e->next;
			free(e->name);
			free(e);
			t->count--;
			journal_remove(t, id);
			break;
		}
	}
	pthread_rwlock_unlock(&t->lock);
}

bool itable_has(struct itable *t, uint64_t id)
{
	bool has;

	if (id == ROOT_ID)
		return true;
	pthread_rwlock_rdlock(&t->lock);
	has = find(t, id) != NULL;
	pthread_rwlock_unlock(&t->lock);
	return has;
}

int itable_parent(struct itable *t, uint64_t id, uint64_t *parent)
{
	struct itable_ent *e;
	int err = 0;

	if (id == ROOT_ID) {
		*parent = ROOT_ID;
		return 0;
	}
	pthread_rwlock_rdlock(&t->lock);
	e = find(t, id);
	if (e)
		*parent = e->parent;
	else
		err = -ENOENT;
	pthread_rwlock_unlock(&t->lock);
	return err;
}

int itable_get(struct itable *t, uint64_t id, uint64_t *parent, char *name, size_t size)
{
	struct itable_ent *e;
	int err = 0;

	pthread_rwlock_rdlock(&t->lock);
	e = id == ROOT_ID ? NULL : find(t, id);
	if (!e)
		err = -ENOENT;
	else if ((size_t)snprintf(name, size, "%s", e->name) >= size)
		err = -ENAMETOOLONG;
	else
		*parent = e->parent;
	pthread_rwlock_unlock(&t->lock);
	return err;
}

int itable_path(struct itable *t, uint64_t id, char **out)
{
	size_t len = 0, n = 0;
	struct itable_ent *e;
	uint64_t i;
	char *buf;
	int err = 0;

	pthread_rwlock_rdlock(&t->lock);
	/* Once to measure, once to fill: no limit on the length. */
	for (i = id; i != ROOT_ID; i = e->parent, n++) {
		e = find(t, i);
		if (!e || n == MAX_DEPTH) {
			err = e ? -ELOOP : -ENOENT;
			goto out;
		}
		len += strlen(e->name) + 1;
	}
	buf = malloc(len + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	buf[len ? len - 1 : 0] = '\0';
	for (i = id; i != ROOT_ID; i = e->parent) {
		size_t l;

		e = find(t, i);
		l = strlen(e->name);
		len -= l + 1;
		memcpy(buf + len, e->name, l);
		if (len)
			buf[len - 1] = '/';
	}
	*out = buf;
out:
	pthread_rwlock_unlock(&t->lock);
	return err;
}

void itable_foreach(struct itable *t, itable_visit_fn fn, void *ctx)
{
	struct itable_ent *e;
	size_t i;

	pthread_rwlock_rdlock(&t->lock);
	for (i = 0; i < t->nbuckets; i++)
		for (e = t->buckets[i]; e; e = e->next)
			fn(ctx, e->id, e->parent, e->name);
	pthread_rwlock_unlock(&t->lock);
}

/*
 * The file: a header line, then one "id parent name" per line, in hex. A
 * name may hold any byte but '/' and NUL, so a backslash in it is written as
 * two backslashes and a newline as a backslash and 'n'. A file without the
 * header (written before names were escaped) is read with its names as they
 * stand. The journal beside it has the same header and lines, and "-id"
 * lines for removed ids, in the order the changes were made.
 */
#define ITABLE_HEADER "netbootfs-itable 2\n"
#define RECORD_MAX    (2 * 4096 + 64)

/* One line for @id; 0 when @name cannot be written in RECORD_MAX. */
static size_t format_entry(char *buf, uint64_t id, uint64_t parent, const char *name)
{
	size_t n = (size_t)snprintf(buf, RECORD_MAX, "%" PRIx64 " %" PRIx64 " ", id, parent);

	for (; *name; name++) {
		if (n + 4 > RECORD_MAX)
			return 0;
		if (*name == '\\' || *name == '\n')
			buf[n++] = '\\';
		buf[n++] = *name == '\n' ? 'n' : *name;
	}
	buf[n++] = '\n';
	return n;
}

/* Undo format_entry's escapes in place; false for a damaged name. */
static bool unescape_name(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s != '\\') {
			*out++ = *s;
			continue;
		}
		s++;
		if (*s == '\\')
			*out++ = '\\';
		else if (*s == 'n')
			*out++ = '\n';
		else
			return false;
	}
	*out = '\0';
	return true;
}

/* Caller holds the lock (either way). */
static int write_snapshot(struct itable *t, const char *path)
{
	char rec[RECORD_MAX], *text = NULL;
	struct itable_ent *e;
	size_t i, n, len = 0;
	FILE *f = open_memstream(&text, &len);
	int err;

	if (!f)
		return -errno;
	fputs(ITABLE_HEADER, f);
	for (i = 0; i < t->nbuckets; i++)
		for (e = t->buckets[i]; e; e = e->next)
			if ((n = format_entry(rec, e->id, e->parent, e->name)))
				fwrite(rec, 1, n, f);
	err = fclose(f) == 0 ? 0 : -ENOMEM;
	if (!err)
		err = statefile_replace(path, text, len, 0644, (uid_t)-1, (gid_t)-1);
	free(text);
	return err;
}

static void journal_path(const struct itable *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s.journal", t->path);
}

/* The journal is full: the snapshot takes what it holds (caller holds the
 * write lock). Without a journal, a crash costs the handles made since. */
static void journal_compact(struct itable *t)
{
	char jpath[PATH_MAX + 16];

	ijournal_close(&t->journal);
	journal_path(t, jpath, sizeof(jpath));
	if (write_snapshot(t, t->path) == 0 && ijournal_open(&t->journal, jpath) == 0)
		ijournal_append(&t->journal, ITABLE_HEADER, strlen(ITABLE_HEADER));
}

static void journal_append(struct itable *t, const char *rec, size_t len)
{
	if (ijournal_append(&t->journal, rec, len) == -ENOSPC) {
		journal_compact(t);
		ijournal_append(&t->journal, rec, len);
	}
}

static void journal_set(struct itable *t, uint64_t id, uint64_t parent, const char *name)
{
	char rec[RECORD_MAX];
	size_t n;

	if (t->journal.fd >= 0 && (n = format_entry(rec, id, parent, name)))
		journal_append(t, rec, n);
}

static void journal_remove(struct itable *t, uint64_t id)
{
	char rec[32];

	if (t->journal.fd >= 0)
		journal_append(t, rec, (size_t)snprintf(rec, sizeof(rec), "-%" PRIx64 "\n", id));
}

/* Apply the lines of a snapshot or journal; a missing file is empty. */
static int load_file(struct itable *t, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	bool escaped = false, first = true;
	ssize_t len;
	int err = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (len = getline(&line, &cap, f)) > 0) {
		uint64_t id, parent;
		int off = 0;

		if (first && strcmp(line, ITABLE_HEADER) == 0) {
			escaped = true;
			first = false;
			continue;
		}
		first = false;
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (line[0] == '-' && sscanf(line + 1, "%" SCNx64, &id) == 1) {
			itable_remove(t, id);
			continue;
		}
		/* A damaged line (or the journal's NUL padding) costs one
		 * handle, not the table. */
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %n", &id, &parent, &off) != 2 || !off)
			continue;
		if (escaped && !unescape_name(line + off))
			continue;
		err = itable_set(t, id, parent, line + off);
	}
	free(line);
	fclose(f);
	return err;
}

/*
 * A crash leaves the snapshot of the last start or clean stop and the
 * journal of every change since; both are read, the snapshot is rewritten
 * with the result, and the journal starts afresh. Whichever step a crash
 * interrupts, the two files still hold the whole table: the journal is
 * emptied only once the snapshot that includes it has been renamed into
 * place, and reading it again over that snapshot changes nothing.
 */
int itable_open(struct itable *t, const char *path)
{
	char jpath[PATH_MAX + 16];
	int err, jerr;

	snprintf(t->path, sizeof(t->path), "%s", path);
	journal_path(t, jpath, sizeof(jpath));
	err = load_file(t, t->path);
	jerr = load_file(t, jpath);
	if (!err)
		err = jerr;
	pthread_rwlock_wrlock(&t->lock);
	jerr = write_snapshot(t, t->path);
	if (!jerr)
		jerr = ijournal_open(&t->journal, jpath);
	if (!jerr)
		jerr = ijournal_append(&t->journal, ITABLE_HEADER, strlen(ITABLE_HEADER));
	pthread_rwlock_unlock(&t->lock);
	return err ? err : jerr;
}

int itable_close(struct itable *t)
{
	char jpath[PATH_MAX + 16];
	int err;

	pthread_rwlock_wrlock(&t->lock);
	err = write_snapshot(t, t->path);
	ijournal_close(&t->journal);
	if (!err) {
		journal_path(t, jpath, sizeof(jpath));
		unlink(jpath);
	}
	pthread_rwlock_unlock(&t->lock);
	return err;
}
