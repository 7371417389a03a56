/* SPDX-License-Identifier: MIT */
/*
 * <state>/discovered: clients seen on TFTP or DHCP that map to no node, one
 * per line, tab separated:
 *   id via first_seen last_seen count ip vendor hostname
 * Writers take a lock and rewrite the file atomically; readers need no lock.
 */
#include "mapper/ident.h"
#include "mapper/mapper.h"
#include "mapper/state.h"
#include "lib/statefile.h"
#include "mapper/strmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISCOVERED_FILE "discovered"

/* Copy @src into a fixed field, cut to size, with tabs, newlines and other
 * control characters replaced so the line format stays intact. */
static void set_field(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < size; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '_' : src[i];
	dst[i] = '\0';
}

static bool parse_time(const char *s, time_t *t)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*t = (time_t)v;
	return true;
}

static bool parse_line(char *line, struct discovered *d)
{
	char *f[8], *end;
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	f[n++] = line;
	for (char *p = line; *p && n < 8; p++) {
		if (*p == '\t') {
			*p = '\0';
			f[n++] = p + 1;
		}
	}
	if (n != 8 || strchr(f[7], '\t'))
		return false;
	if (!ident_is_serial_name(f[0]) && !ident_is_mac_name(f[0]))
		return false;
	set_field(d->id, sizeof(d->id), f[0]);
	set_field(d->via, sizeof(d->via), f[1]);
	if (!parse_time(f[2], &d->first_seen) || !parse_time(f[3], &d->last_seen))
		return false;
	errno = 0;
	d->count = strtoul(f[4], &end, 10);
	if (errno || end == f[4] || *end)
		return false;
	set_field(d->ip, sizeof(d->ip), f[5]);
	set_field(d->vendor, sizeof(d->vendor), f[6]);
	set_field(d->hostname, sizeof(d->hostname), f[7]);
	return true;
}

/* Malformed lines are skipped: this is a cache of sightings, and the next
 * write drops them. */
static int parse_all(char *text, struct discovered **out, size_t *n)
{
	struct discovered *v = NULL;
	size_t cap = 0;
	char *line, *save = NULL;

	*n = 0;
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct discovered d;

		if (line[0] == '#' || !parse_line(line, &d))
			continue;
		if (*n == cap) {
			struct discovered *p;

			cap = cap ? cap * 2 : 16;
			p = reallocarray(v, cap, sizeof(*v));
			if (!p) {
				free(v);
				return -ENOMEM;
			}
			v = p;
		}
		v[(*n)++] = d;
	}
	*out = v;
	return 0;
}

static int load(const char *state_dir, struct discovered **out, size_t *n)
{
	char *text;
	size_t len;
	int rc;

	rc = statefile_read(state_dir, DISCOVERED_FILE, &text, &len);
	if (rc)
		return rc;
	rc = parse_all(text, out, n);
	free(text);
	return rc;
}

static int save(const char *state_dir, const struct discovered *v, size_t n)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;

	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	fputs("# id\tvia\tfirst_seen\tlast_seen\tcount\tip\tvendor\thostname\n", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\t%s\t%" PRIdMAX "\t%" PRIdMAX "\t%lu\t%s\t%s\t%s\n", v[i].id,
			v[i].via, (intmax_t)v[i].first_seen, (intmax_t)v[i].last_seen, v[i].count,
			v[i].ip, v[i].vendor, v[i].hostname);
	if (fclose(f)) {
		free(text);
		return -ENOMEM;
	}
	rc = statefile_write(state_dir, DISCOVERED_FILE, text, len);
	free(text);
	return rc;
}

static bool valid_via(const char *via)
{
	size_t n = strspn(via, "abcdefghijklmnopqrstuvwxyz");

	return n > 0 && n < sizeof(((struct discovered *)0)->via) && via[n] == '\0';
}

/* Fold @b into @d: counts add up, the time span widens, the newest via and
 * the known details win. */
static void merge_one(struct discovered *d, const struct discovered *b)
{
	if (!d->id[0]) {
		set_field(d->id, sizeof(d->id), b->id);
		d->first_seen = b->first_seen;
	}
	if (b->first_seen < d->first_seen)
		d->first_seen = b->first_seen;
	if (b->last_seen > d->last_seen)
		d->last_seen = b->last_seen;
	d->count += b->count;
	set_field(d->via, sizeof(d->via), b->via);
	if (b->ip[0])
		set_field(d->ip, sizeof(d->ip), b->ip);
	if (b->vendor[0])
		set_field(d->vendor, sizeof(d->vendor), b->vendor);
	if (b->hostname[0])
		set_field(d->hostname, sizeof(d->hostname), b->hostname);
}

static int cmp_last_seen(const void *a, const void *b)
{
	const struct discovered *const *x = a, *const *y = b;

	if ((*x)->last_seen != (*y)->last_seen)
		return (*x)->last_seen < (*y)->last_seen ? -1 : 1;
	return *x < *y ? -1 : *x > *y; /* the earlier line goes first */
}

/* Keep the DISCOVERED_MAX records seen last, in file order. */
static int trim(struct discovered *v, size_t *n)
{
	struct discovered **by_age;
	size_t i, j, drop;

	if (*n <= DISCOVERED_MAX)
		return 0;
	drop = *n - DISCOVERED_MAX;
	by_age = calloc(*n, sizeof(*by_age));
	if (!by_age)
		return -ENOMEM;
	for (i = 0; i < *n; i++)
		by_age[i] = &v[i];
	qsort(by_age, *n, sizeof(*by_age), cmp_last_seen);
	for (i = 0; i < drop; i++)
		by_age[i]->id[0] = '\0';
	free(by_age);
	for (i = j = 0; i < *n; i++)
		if (v[i].id[0])
			v[j++] = v[i];
	*n = j;
	return 0;
}

static bool valid_record(const struct discovered *b)
{
	return (ident_is_serial_name(b->id) || ident_is_mac_name(b->id)) && valid_via(b->via);
}

int discovered_merge(const char *state_dir, const struct discovered *batch, size_t n_batch)
{
	struct strmap index = {0};
	struct discovered *v = NULL, *p;
	size_t n = 0, i;
	uint32_t at;
	int lock, rc;

	for (i = 0; i < n_batch; i++)
		if (!valid_record(&batch[i]))
			return -EINVAL;
	lock = statefile_lock(state_dir, DISCOVERED_FILE);
	if (lock < 0)
		return lock;
	rc = load(state_dir, &v, &n);
	if (rc)
		goto out;
	/* Room for every record of the batch being new. */
	p = reallocarray(v, n + n_batch + 1, sizeof(*v));
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	v = p;
	for (i = 0; i < n && rc >= 0; i++)
		rc = strmap_insert(&index, v[i].id, (uint32_t)i, NULL);
	for (i = 0; i < n_batch && rc >= 0; i++) {
		rc = strmap_insert(&index, batch[i].id, (uint32_t)n, &at);
		if (rc == 0) {
			at = (uint32_t)n++;
			memset(&v[at], 0, sizeof(v[at]));
		}
		if (rc >= 0)
			merge_one(&v[at], &batch[i]);
	}
	if (rc >= 0)
		rc = trim(v, &n);
	if (rc >= 0)
		rc = save(state_dir, v, n);
out:
	strmap_free(&index);
	free(v);
	statefile_unlock(lock);
	return rc;
}

int discovered_record(const char *state_dir, const char *id, const char *via, const char *ip,
		      const char *vendor, const char *hostname, time_t now)
{
	struct discovered d = {.first_seen = now, .last_seen = now, .count = 1};

	if (!id || !via || strlen(id) >= sizeof(d.id) || strlen(via) >= sizeof(d.via))
		return -EINVAL;
	strcpy(d.id, id);
	strcpy(d.via, via);
	set_field(d.ip, sizeof(d.ip), ip);
	set_field(d.vendor, sizeof(d.vendor), vendor);
	set_field(d.hostname, sizeof(d.hostname), hostname);
	return discovered_merge(state_dir, &d, 1);
}

int discovered_list(const char *state_dir, struct discovered **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return load(state_dir, out, n);
}

bool discovered_is_node(const struct discovered *d, const struct mapper *m)
{
	if (mapper_find_other(m, d->id))
		return true; /* another server's node */
	return ident_is_serial_name(d->id) ? mapper_find_serial(m, d->id) != NULL
					   : mapper_find_mac(m, d->id) != NULL;
}

int discovered_forget_nodes(const char *state_dir, const struct mapper *m)
{
	struct discovered *v = NULL;
	size_t n = 0, i, kept = 0;
	int lock, rc;

	lock = statefile_lock(state_dir, DISCOVERED_FILE);
	if (lock < 0)
		return lock;
	rc = load(state_dir, &v, &n);
	if (rc)
		goto out;
	for (i = 0; i < n; i++)
		if (!discovered_is_node(&v[i], m))
			v[kept++] = v[i];
	if (kept < n)
		rc = save(state_dir, v, kept);
out:
	free(v);
	statefile_unlock(lock);
	return rc;
}
