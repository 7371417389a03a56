/* SPDX-License-Identifier: MIT */
/*
 * <state>/discovered: clients seen on TFTP or DHCP that map to no node, one
 * per line, tab separated:
 *   id via first_seen last_seen count ip vendor hostname
 * Writers take a lock and rewrite the file atomically; readers need no lock.
 */
#include "mapper/ident.h"
#include "mapper/state.h"
#include "mapper/statefile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISCOVERED_FILE "discovered"
/* Anyone on the network can make up MACs: keep the list bounded, forgetting
 * the client seen longest ago. */
#define DISCOVERED_MAX 4096

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

int discovered_record(const char *state_dir, const char *id, const char *via, const char *ip,
		      const char *vendor, const char *hostname, time_t now)
{
	struct discovered *v = NULL, *d;
	size_t n = 0, i;
	int lock, rc;

	if (!id || !via || (!ident_is_serial_name(id) && !ident_is_mac_name(id)) || !valid_via(via))
		return -EINVAL;
	lock = statefile_lock(state_dir, DISCOVERED_FILE);
	if (lock < 0)
		return lock;
	rc = load(state_dir, &v, &n);
	if (rc)
		goto out;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			break;
	if (i == n) {
		if (n >= DISCOVERED_MAX) {
			size_t oldest = 0;

			for (i = 1; i < n; i++)
				if (v[i].last_seen < v[oldest].last_seen)
					oldest = i;
			memmove(&v[oldest], &v[oldest + 1], (n - oldest - 1) * sizeof(*v));
			n--;
		}
		d = reallocarray(v, n + 1, sizeof(*v));
		if (!d) {
			rc = -ENOMEM;
			goto out;
		}
		v = d;
		d = &v[n++];
		memset(d, 0, sizeof(*d));
		set_field(d->id, sizeof(d->id), id);
		d->first_seen = now;
	} else {
		d = &v[i];
		if (now < d->first_seen)
			d->first_seen = now;
	}
	if (now > d->last_seen)
		d->last_seen = now;
	d->count++;
	set_field(d->via, sizeof(d->via), via);
	if (ip && *ip)
		set_field(d->ip, sizeof(d->ip), ip);
	if (vendor && *vendor)
		set_field(d->vendor, sizeof(d->vendor), vendor);
	if (hostname && *hostname)
		set_field(d->hostname, sizeof(d->hostname), hostname);
	rc = save(state_dir, v, n);
out:
	free(v);
	statefile_unlock(lock);
	return rc;
}

int discovered_list(const char *state_dir, struct discovered **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return load(state_dir, out, n);
}
