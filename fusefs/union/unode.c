/* SPDX-License-Identifier: MIT */
#include "fusefs/union/unode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STRIPE_BUCKETS 64 /* at the start; doubles as the stripe fills */

static uint64_t mix(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return id;
}

/* The stripe from the top bits, the bucket from the bottom ones. */
static size_t bucket_of(const struct unode_stripe *s, uint64_t id)
{
	return (size_t)(mix(id) & (s->nbuckets - 1));
}

struct unode_stripe *unode_stripe(struct unode_table *t, uint64_t id)
{
	return &t->s[mix(id) >> 60 & (UNODE_STRIPES - 1)];
}

int unode_table_init(struct unode_table *t)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < UNODE_STRIPES; i++) {
		struct unode_stripe *s = &t->s[i];

		s->nbuckets = STRIPE_BUCKETS;
		s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
		if (!s->buckets) {
			unode_table_destroy(t);
			return -ENOMEM;
		}
		pthread_rwlock_init(&s->lock, NULL);
	}
	return 0;
}

static void unode_free(struct unode *u)
{
	free(u->dir);
	free(u->name);
	free(u);
}

void unode_table_destroy(struct unode_table *t)
{
	unsigned i;
	size_t b;

	for (i = 0; i < UNODE_STRIPES; i++) {
		struct unode_stripe *s = &t->s[i];

		if (!s->buckets)
			continue;
		for (b = 0; b < s->nbuckets; b++) {
			struct unode *u = s->buckets[b];

			while (u) {
				struct unode *next = u->next;

				unode_free(u);
				u = next;
			}
		}
		free(s->buckets);
		s->buckets = NULL;
		free(s->dir_ring);
		s->dir_ring = NULL;
		pthread_rwlock_destroy(&s->lock);
	}
}

struct unode *unode_find(const struct unode_stripe *s, uint64_t id)
{
	struct unode *u = s->buckets[bucket_of(s, id)];

	while (u && u->id != id)
		u = u->next;
	return u;
}

static void grow(struct unode_stripe *s)
{
	size_t n = s->nbuckets * 2, oldn = s->nbuckets, i;
	struct unode **nb = calloc(n, sizeof(*nb)), **old = s->buckets;

	if (!nb)
		return; /* stay at the current size: slower, still correct */
	s->buckets = nb;
	s->nbuckets = n;
	for (i = 0; i < oldn; i++) {
		struct unode *u = old[i];

		while (u) {
			struct unode *next = u->next;
			size_t b = bucket_of(s, u->id);

			u->next = nb[b];
			nb[b] = u;
			u = next;
		}
	}
	free(old);
}

struct unode *unode_insert(struct unode_stripe *s, uint64_t id)
{
	struct unode *u = calloc(1, sizeof(*u));
	size_t b;

	if (!u)
		return NULL;
	u->id = id;
	if (s->count >= s->nbuckets)
		grow(s);
	b = bucket_of(s, id);
	u->next = s->buckets[b];
	s->buckets[b] = u;
	s->count++;
	return u;
}

bool unode_remove(struct unode_stripe *s, uint64_t id)
{
	struct unode **pp, *u;

	for (pp = &s->buckets[bucket_of(s, id)]; (u = *pp); pp = &u->next) {
		if (u->id == id) {
			*pp = u->next;
			s->count--;
			unode_free(u);
			return true;
		}
	}
	return false;
}

void unode_set_dir(struct unode_stripe *s, struct unode *u, struct udir *dir)
{
	struct unode *old;

	if (u->dir || !dir) {
		free(u->dir); /* already on the ring (or leaving it) */
		u->dir = dir;
		return;
	}
	if (!s->dir_ring && !(s->dir_ring = calloc(UNODE_DIRS_PER_STRIPE, sizeof(uint64_t)))) {
		free(dir);
		return;
	}
	if (s->dir_n == UNODE_DIRS_PER_STRIPE) {
		/* The oldest holder loses its facts (it may have left the
		 * table, or been given facts again since: both harmless). */
		old = unode_find(s, s->dir_ring[s->dir_head]);
		if (old) {
			free(old->dir);
			old->dir = NULL;
		}
		s->dir_head = (s->dir_head + 1) % UNODE_DIRS_PER_STRIPE;
		s->dir_n--;
	}
	s->dir_ring[(s->dir_head + s->dir_n++) % UNODE_DIRS_PER_STRIPE] = u->id;
	u->dir = dir;
}

void unode_lock_all(struct unode_table *t, bool write)
{
	unsigned i;

	for (i = 0; i < UNODE_STRIPES; i++) {
		if (write)
			pthread_rwlock_wrlock(&t->s[i].lock);
		else
			pthread_rwlock_rdlock(&t->s[i].lock);
	}
}

void unode_unlock_all(struct unode_table *t)
{
	unsigned i = UNODE_STRIPES;

	while (i--)
		pthread_rwlock_unlock(&t->s[i].lock);
}

size_t unode_count(const struct unode_table *t)
{
	size_t n = 0;
	unsigned i;

	for (i = 0; i < UNODE_STRIPES; i++)
		n += t->s[i].count;
	return n;
}
