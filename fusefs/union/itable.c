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

int itable_init(struct itable *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->journal = (struct ijournal)IJOURNAL_INIT;
	err = unode_table_init(&t->nodes);
	if (!err)
		pthread_mutex_init(&t->jlock, NULL);
	return err;
}

void itable_destroy(struct itable *t)
{
	ijournal_close(&t->journal);
	unode_table_destroy(&t->nodes);
	pthread_mutex_destroy(&t->jlock);
}

static void journal_set(struct itable *t, uint64_t id, uint64_t parent, const char *name);
static void journal_remove(struct itable *t, uint64_t id);
static void journal_compact_if_full(struct itable *t);

static bool same(const struct unode *u, uint64_t parent, const char *name)
{
	return u && u->name && u->parent == parent && strcmp(u->name, name) == 0;
}

int itable_set(struct itable *t, uint64_t id, uint64_t parent, const char *name)
{
	struct unode_stripe *s = unode_stripe(&t->nodes, id);
	struct unode *u;
	char *copy;
	int err = 0;

	if (id == ROOT_ID)
		return 0;
	/* Nearly every call re-records what is there (each LOOKUP of a known
	 * name): check under the shared lock first. */
	pthread_rwlock_rdlock(&s->lock);
	u = unode_find(s, id);
	if (same(u, parent, name)) {
		pthread_rwlock_unlock(&s->lock);
		return 0;
	}
	pthread_rwlock_unlock(&s->lock);
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	pthread_rwlock_wrlock(&s->lock);
	u = unode_find(s, id);
	if (same(u, parent, name))
		goto out;
	if (!u && !(u = unode_insert(s, id))) {
		err = -ENOMEM;
		goto out;
	}
	journal_set(t, id, parent, name);
	free(u->name);
	u->name = copy;
	u->parent = parent;
	copy = NULL;
out:
	pthread_rwlock_unlock(&s->lock);
	free(copy);
	journal_compact_if_full(t);
	return err;
}

void itable_remove(struct itable *t, uint64_t id)
{
	struct unode_stripe *s = unode_stripe(&t->nodes, id);

	pthread_rwlock_wrlock(&s->lock);
	if (unode_remove(s, id))
		journal_remove(t, id);
	pthread_rwlock_unlock(&s->lock);
	journal_compact_if_full(t);
}

bool itable_has(struct itable *t, uint64_t id)
{
	struct unode_stripe *s = unode_stripe(&t->nodes, id);
	bool has;

	if (id == ROOT_ID)
		return true;
	pthread_rwlock_rdlock(&s->lock);
	has = unode_find(s, id) != NULL;
	pthread_rwlock_unlock(&s->lock);
	return has;
}

int itable_parent(struct itable *t, uint64_t id, uint64_t *parent)
{
	struct unode_stripe *s = unode_stripe(&t->nodes, id);
	struct unode *u;
	int err = 0;

	if (id == ROOT_ID) {
		*parent = ROOT_ID;
		return 0;
	}
	pthread_rwlock_rdlock(&s->lock);
	u = unode_find(s, id);
	if (u)
		*parent = u->parent;
	else
		err = -ENOENT;
	pthread_rwlock_unlock(&s->lock);
	return err;
}

int itable_get(struct itable *t, uint64_t id, uint64_t *parent, char *name, size_t size)
{
	struct unode_stripe *s = unode_stripe(&t->nodes, id);
	struct unode *u;
	int err = 0;

	if (id == ROOT_ID)
		return -ENOENT;
	pthread_rwlock_rdlock(&s->lock);
	u = unode_find(s, id);
	if (!u)
		err = -ENOENT;
	else if ((size_t)snprintf(name, size, "%s", u->name) >= size)
		err = -ENAMETOOLONG;
	else
		*parent = u->parent;
	pthread_rwlock_unlock(&s->lock);
	return err;
}

/* @id's name and a '/', in front of what @buf holds from *@pos (a path
 * built from its end); its parent in *@parent. */
static int prepend_name(struct itable *t, uint64_t id, char **buf, size_t *cap, size_t *pos,
			uint64_t *parent)
{
	struct unode_stripe *s = unode_stripe(&t->nodes, id);
	struct unode *u;
	size_t len;
	int err = 0;

	pthread_rwlock_rdlock(&s->lock);
	u = unode_find(s, id);
	if (!u) {
		err = -ENOENT;
		goto out;
	}
	len = strlen(u->name) + 1;
	while (*pos < len) {
		size_t ncap = *cap * 2, used = *cap - *pos;
		char *nb = malloc(ncap);

		if (!nb) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(nb + ncap - used, *buf + *pos, used);
		free(*buf);
		*buf = nb;
		*pos = ncap - used;
		*cap = ncap;
	}
	*pos -= len;
	memcpy(*buf + *pos, u->name, len - 1);
	(*buf)[*pos + len - 1] = '/';
	*parent = u->parent;
out:
	pthread_rwlock_unlock(&s->lock);
	return err;
}

int itable_path(struct itable *t, uint64_t id, char **out)
{
	size_t cap = 256, pos = cap - 1, n = 0;
	char *buf = malloc(cap);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	buf[pos] = '\0';
	/* One stripe at a time, as the kernel's dcache: a rename meanwhile
	 * may give a mixed path, which its user finds stale. */
	for (; !err && id != ROOT_ID; n++)
		err = n == MAX_DEPTH ? -ELOOP : prepend_name(t, id, &buf, &cap, &pos, &id);
	if (err) {
		free(buf);
		return err;
	}
	if (pos < cap - 1) {
		buf[cap - 2] = '\0'; /* the last name's '/' */
		memmove(buf, buf + pos, cap - 1 - pos);
	} else {
		buf[0] = '\0';
	}
	*out = buf;
	return 0;
}

void itable_foreach(struct itable *t, itable_visit_fn fn, void *ctx)
{
	unsigned i;
	size_t b;

	for (i = 0; i < UNODE_STRIPES; i++) {
		struct unode_stripe *s = &t->nodes.s[i];
		struct unode *u;

		pthread_rwlock_rdlock(&s->lock);
		for (b = 0; b < s->nbuckets; b++)
			for (u = s->buckets[b]; u; u = u->next)
				fn(ctx, u->id, u->parent, u->name);
		pthread_rwlock_unlock(&s->lock);
	}
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

/* Caller holds every stripe's lock (either way). */
static int write_snapshot(struct itable *t, const char *path)
{
	char rec[RECORD_MAX], *text = NULL;
	size_t b, n, len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned i;
	int err;

	if (!f)
		return -errno;
	fputs(ITABLE_HEADER, f);
	for (i = 0; i < UNODE_STRIPES; i++) {
		const struct unode_stripe *s = &t->nodes.s[i];
		const struct unode *u;

		for (b = 0; b < s->nbuckets; b++)
			for (u = s->buckets[b]; u; u = u->next)
				if ((n = format_entry(rec, u->id, u->parent, u->name)))
					fwrite(rec, 1, n, f);
	}
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

/* A new journal holding only its header (jlock held). */
static int journal_restart(struct itable *t)
{
	char jpath[PATH_MAX + 16];
	int err;

	ijournal_close(&t->journal);
	journal_path(t, jpath, sizeof(jpath));
	err = ijournal_open(&t->journal, jpath);
	if (!err)
		err = ijournal_append(&t->journal, ITABLE_HEADER, strlen(ITABLE_HEADER));
	return err;
}

/*
 * The journal is full: the snapshot takes what it holds. Called with no
 * lock held, after the change that found it full was made in memory: every
 * stripe is read-locked (no change can be half made, in memory but not yet
 * journalled), then the journal. Until then no record is appended, so the
 * journal never holds a later change without an earlier one. Without a
 * journal, a crash costs the handles made since.
 */
static void journal_compact_if_full(struct itable *t)
{
	if (!atomic_load(&t->jfull))
		return;
	unode_lock_all(&t->nodes, false);
	pthread_mutex_lock(&t->jlock);
	if (atomic_load(&t->jfull)) {
		ijournal_close(&t->journal);
		if (write_snapshot(t, t->path) == 0)
			journal_restart(t);
		atomic_store(&t->jfull, false);
	}
	pthread_mutex_unlock(&t->jlock);
	unode_unlock_all(&t->nodes);
}

/* Append a change's record; the caller holds the write lock of the
 * changed id's stripe, so the records of one id are in the order made. */
static void journal_append(struct itable *t, const char *rec, size_t len)
{
	pthread_mutex_lock(&t->jlock);
	if (t->journal.fd >= 0 && !atomic_load(&t->jfull) &&
	    ijournal_append(&t->journal, rec, len) == -ENOSPC)
		atomic_store(&t->jfull, true);
	pthread_mutex_unlock(&t->jlock);
}

static void journal_set(struct itable *t, uint64_t id, uint64_t parent, const char *name)
{
	char rec[RECORD_MAX];
	size_t n;

	if ((n = format_entry(rec, id, parent, name)))
		journal_append(t, rec, n);
}

static void journal_remove(struct itable *t, uint64_t id)
{
	char rec[32];

	journal_append(t, rec, (size_t)snprintf(rec, sizeof(rec), "-%" PRIx64 "\n", id));
}

/* Apply one line of a snapshot or journal (with its '\n' if it has one):
 * 1 when it changed the table, 0 when it was the header or damaged. */
static int apply_line(struct itable *t, char *line, size_t len, bool *escaped, bool *first)
{
	uint64_t id, parent;
	int off = 0;

	if (*first && strcmp(line, ITABLE_HEADER) == 0) {
		*escaped = true;
		*first = false;
		return 0;
	}
	*first = false;
	if (len && line[len - 1] == '\n')
		line[len - 1] = '\0';
	if (line[0] == '-' && sscanf(line + 1, "%" SCNx64, &id) == 1) {
		itable_remove(t, id);
		return 1;
	}
	/* A damaged line costs one handle, not the table. */
	if (sscanf(line, "%" SCNx64 " %" SCNx64 " %n", &id, &parent, &off) != 2 || !off)
		return 0;
	if (*escaped && !unescape_name(line + off))
		return 0;
	return itable_set(t, id, parent, line + off) ?: 1;
}

/* apply_line() counted into *@applied: 0, or a negative errno. */
static int apply_counted(struct itable *t, char *line, size_t len, bool *escaped, bool *first,
			 int *applied)
{
	int r = apply_line(t, line, len, escaped, first);

	*applied += r > 0;
	return r < 0 ? r : 0;
}

#define LOAD_CHUNK 65536

/* Apply the lines of a snapshot or journal; a missing file is empty. The
 * number of records applied, or a negative errno. The
 * journal is a mapped file of whole chunks: what was written is followed by
 * NUL padding to its end, where reading stops (the text before the first
 * NUL is still a line, as it always was). Reading the padding too cost a
 * MiB of reads per root at every restart after a crash, a GiB with 1,000
 * roots. */
static int load_file(struct itable *t, const char *path)
{
	bool escaped = false, first = true;
	size_t cap = 0, len = 0, start = 0;
	char *buf = NULL;
	int fd, err = 0, applied = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	buf = malloc(LOAD_CHUNK + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	cap = LOAD_CHUNK;
	while (!err) {
		char *line = buf + start, *nl, *nul;
		size_t avail = len - start, llen;
		ssize_t n;

		nl = avail ? memchr(line, '\n', avail) : NULL;
		llen = nl ? (size_t)(nl - line) + 1 : avail;
		nul = llen ? memchr(line, '\0', llen) : NULL;
		if (nul) {
			if (nul > line)
				err = apply_counted(t, line, (size_t)(nul - line), &escaped, &first,
						    &applied);
			break;
		}
		if (nl) {
			char next = line[llen]; /* buf has a byte beyond cap */

			line[llen] = '\0';
			err = apply_counted(t, line, llen, &escaped, &first, &applied);
			line[llen] = next;
			start += llen;
			continue;
		}
		/* No whole line left: keep the part, read more. */
		memmove(buf, line, avail);
		len = avail;
		start = 0;
		if (len == cap) {
			char *grown = realloc(buf, cap * 2 + 1);

			if (!grown) {
				err = -ENOMEM;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
		} else if (n == 0) {
			buf[len] = '\0';
			if (len)
				err = apply_counted(t, buf, len, &escaped, &first, &applied);
			break;
		} else {
			len += (size_t)n;
		}
	}
	free(buf);
	close(fd);
	return err ? err : applied;
}

/*
 * A crash leaves the snapshot of the last start or clean stop and the
 * journal of every change since; both are read, the snapshot is rewritten
 * with the result when the journal held any change, and the journal starts
 * afresh. Whichever step a crash
 * interrupts, the two files still hold the whole table: the journal is
 * emptied only once the snapshot that includes it has been renamed into
 * place, and reading it again over that snapshot changes nothing.
 */
int itable_open(struct itable *t, const char *path)
{
	char jpath[PATH_MAX + 16];
	int err, jerr, jn;

	snprintf(t->path, sizeof(t->path), "%s", path);
	journal_path(t, jpath, sizeof(jpath));
	err = load_file(t, t->path);
	jn = load_file(t, jpath);
	if (err > 0)
		err = 0;
	if (!err && jn < 0)
		err = jn;
	unode_lock_all(&t->nodes, false);
	pthread_mutex_lock(&t->jlock);
	/* A journal without records (a clean stop drops it) adds nothing to
	 * the snapshot: no rewrite, whose two fsyncs per root were most of a
	 * restart's wall time with 1,000 roots. */
	jerr = jn ? write_snapshot(t, t->path) : 0;
	if (!jerr)
		jerr = journal_restart(t);
	pthread_mutex_unlock(&t->jlock);
	unode_unlock_all(&t->nodes);
	return err ? err : jerr;
}

int itable_close(struct itable *t)
{
	char jpath[PATH_MAX + 16];
	int err;

	unode_lock_all(&t->nodes, false);
	pthread_mutex_lock(&t->jlock);
	/* Nothing journalled since the last snapshot (a root nobody changed
	 * a name in): it is current, no rewrite and its two fsyncs, which
	 * with 1,000 roots were most of a clean stop. */
	if (t->journal.fd >= 0 && !atomic_load(&t->jfull) &&
	    t->journal.pos == strlen(ITABLE_HEADER))
		err = 0;
	else
		err = write_snapshot(t, t->path);
	ijournal_close(&t->journal);
	if (!err) {
		journal_path(t, jpath, sizeof(jpath));
		unlink(jpath);
	}
	pthread_mutex_unlock(&t->jlock);
	unode_unlock_all(&t->nodes);
	return err;
}
