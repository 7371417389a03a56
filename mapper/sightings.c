/* SPDX-License-Identifier: MIT */
#include "mapper/sightings.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/ident.h"
#include "mapper/strmap.h"

#define NONE UINT32_MAX

struct sighting {
	char id[sizeof(((struct discovered *)0)->id)];
	time_t first_seen, last_seen;
	unsigned long count; /* since the last take */
	unsigned epoch;
	uint32_t older, newer; /* the recency list */
};

struct sightings {
	struct strmap index; /* id -> entry */
	struct sighting *v;
	size_t cap, n;
	uint32_t oldest, newest;
	size_t pending; /* entries with count > 0 */
};

int sightings_create(size_t cap, struct sightings **out)
{
	struct sightings *s;

	if (!cap || cap >= NONE)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->v = calloc(cap, sizeof(*s->v));
	if (!s->v) {
		free(s);
		return -ENOMEM;
	}
	s->cap = cap;
	s->oldest = s->newest = NONE;
	*out = s;
	return 0;
}

void sightings_free(struct sightings *s)
{
	if (!s)
		return;
	strmap_free(&s->index);
	free(s->v);
	free(s);
}

static void unlink_entry(struct sightings *s, uint32_t i)
{
	struct sighting *e = &s->v[i];

	if (e->older != NONE)
		s->v[e->older].newer = e->newer;
	else
		s->oldest = e->newer;
	if (e->newer != NONE)
		s->v[e->newer].older = e->older;
	else
		s->newest = e->older;
}

static void append_newest(struct sightings *s, uint32_t i)
{
	s->v[i].older = s->newest;
	s->v[i].newer = NONE;
	if (s->newest != NONE)
		s->v[s->newest].newer = i;
	else
		s->oldest = i;
	s->newest = i;
}

/* A free entry for @id, replacing the client seen longest ago if full. */
static int new_entry(struct sightings *s, const char *id, time_t now, uint32_t *out)
{
	uint32_t i;
	int err;

	if (s->n < s->cap) {
		i = (uint32_t)s->n++;
	} else {
		i = s->oldest;
		unlink_entry(s, i);
		strmap_remove(&s->index, s->v[i].id);
		if (s->v[i].count)
			s->pending--;
	}
	memset(&s->v[i], 0, sizeof(s->v[i]));
	strcpy(s->v[i].id, id);
	s->v[i].first_seen = now;
	err = strmap_insert(&s->index, s->v[i].id, i, NULL);
	if (err < 0) {
		/* Unusable until reused: keep it off the index, oldest first. */
		s->v[i].id[0] = '\0';
		s->v[i].older = NONE;
		s->v[i].newer = s->oldest;
		if (s->oldest != NONE)
			s->v[s->oldest].older = i;
		else
			s->newest = i;
		s->oldest = i;
		return err;
	}
	append_newest(s, i);
	*out = i;
	return 0;
}

int sightings_add(struct sightings *s, const char *id, time_t now, unsigned epoch)
{
	struct sighting *e;
	uint32_t i;
	int err, first;

	if (strlen(id) >= sizeof(e->id) || (!ident_is_serial_name(id) && !ident_is_mac_name(id)))
		return -EINVAL;
	if (strmap_get(&s->index, id, &i)) {
		unlink_entry(s, i);
		append_newest(s, i);
	} else {
		err = new_entry(s, id, now, &i);
		if (err)
			return err;
	}
	e = &s->v[i];
	if (!e->count++)
		s->pending++;
	if (now > e->last_seen)
		e->last_seen = now;
	if (now < e->first_seen)
		e->first_seen = now;
	first = e->epoch != epoch;
	e->epoch = epoch;
	return first;
}

size_t sightings_pending(const struct sightings *s)
{
	return s->pending;
}

int sightings_take(struct sightings *s, const char *via, struct discovered **out, size_t *n)
{
	struct discovered *v;
	uint32_t i;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!s->pending)
		return 0;
	v = calloc(s->pending, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = s->oldest; i != NONE; i = s->v[i].newer) {
		struct sighting *e = &s->v[i];

		if (!e->count)
			continue;
		snprintf(v[k].id, sizeof(v[k].id), "%s", e->id);
		snprintf(v[k].via, sizeof(v[k].via), "%s", via);
		v[k].first_seen = e->first_seen;
		v[k].last_seen = e->last_seen;
		v[k].count = e->count;
		e->count = 0;
		k++;
	}
	s->pending = 0;
	*out = v;
	*n = k;
	return 0;
}

void sightings_restore(struct sightings *s, const struct discovered *v, size_t n)
{
	uint32_t i;

	for (size_t k = 0; k < n; k++) {
		struct sighting *e;

		if (!strmap_get(&s->index, v[k].id, &i))
			continue;
		e = &s->v[i];
		if (!e->count)
			s->pending++;
		e->count += v[k].count;
		if (v[k].first_seen < e->first_seen)
			e->first_seen = v[k].first_seen;
	}
}
