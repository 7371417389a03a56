/* SPDX-License-Identifier: MIT */
#include "fusefs/itable.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROOT_ID	  1
#define MAX_DEPTH 4096

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
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	pthread_rwlock_init(&t->lock, NULL);
	return 0;
}

void itable_destroy(struct itable *t)
{
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

int itable_path(struct itable *t, uint64_t id, char *buf, size_t size)
{
	const char *parts[MAX_DEPTH];
	size_t n = 0, len = 0, i;
	int err = 0;

	pthread_rwlock_rdlock(&t->lock);
	while (id != ROOT_ID) {
		struct itable_ent *e = find(t, id);

		if (!e) {
			err = -ENOENT;
			goto out;
		}
		if (n == MAX_DEPTH) {
			err = -ELOOP;
			goto out;
		}
		parts[n++] = e->name;
		id = e->parent;
	}
	buf[0] = '\0';
	for (i = n; i-- > 0;) {
		size_t l = strlen(parts[i]);

		if (len + l + 2 > size) {
			err = -ENAMETOOLONG;
			goto out;
		}
		if (len)
			buf[len++] = '/';
		memcpy(buf + len, parts[i], l + 1);
		len += l;
	}
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
 * Text, a header line, then one "id parent name" per line. A name may hold
 * any byte but '/' and NUL, so a backslash in it is written as two
 * backslashes and a newline as a backslash and 'n'. A file without the header (written before names
 * were escaped) is read with its names as they stand.
 */
#define ITABLE_HEADER "netbootfs-itable 2"

static void save_entry(void *ctx, uint64_t id, uint64_t parent, const char *name)
{
	FILE *f = ctx;

	fprintf(f, "%" PRIx64 " %" PRIx64 " ", id, parent);
	for (; *name; name++) {
		if (*name == '\\')
			fputs("\\\\", f);
		else if (*name == '\n')
			fputs("\\n", f);
		else
			fputc(*name, f);
	}
	fputc('\n', f);
}

/* Undo save_entry's escapes in place; false for a damaged name. */
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

int itable_save(struct itable *t, const char *path)
{
	char tmp[4096];
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fputs(ITABLE_HEADER "\n", f);
	itable_foreach(t, save_entry, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		err = -errno;
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) != 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int itable_load(struct itable *t, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	bool escaped = false, first = true;
	ssize_t len;
	int err = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		uint64_t id, parent;
		int off = 0;

		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (first && strcmp(line, ITABLE_HEADER) == 0) {
			escaped = true;
			first = false;
			continue;
		}
		first = false;
		/* A damaged line costs one handle, not the table. */
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %n", &id, &parent, &off) != 2 || !off)
			continue;
		if (escaped && !unescape_name(line + off))
			continue;
		err = itable_set(t, id, parent, line + off);
		if (err)
			break;
	}
	free(line);
	fclose(f);
	return err;
}
