/* SPDX-License-Identifier: MIT */
#include "fusefs/union/genholds.h"

#include <errno.h>
#include <stdlib.h>

#include "fusefs/union/nodeid.h"
#include "images/images.h"

void genholds_init(struct gen_holds *h)
{
	pthread_mutex_init(&h->lock, NULL);
	h->v = NULL;
	h->n = h->cap = 0;
}

void genholds_destroy(struct gen_holds *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		image_gen_put(h->v[i].gen);
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
	pthread_mutex_destroy(&h->lock);
}

/* Index of @gen_id's hold, or h->n. Call with the lock held. A mount sees
 * one generation at a time, two or three around a reboot: a scan is
 * cheaper than any map. */
static size_t hold_find(const struct gen_holds *h, unsigned gen_id)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->v[i].gen_id == gen_id)
			break;
	return i;
}

int genholds_add(struct gen_holds *h, uint64_t id, struct image_gen *g)
{
	struct nid n;
	size_t i;
	int err = 0;

	if (!nid_decode(id, &n) || n.kind != NID_IMG || !g || image_gen_id(g) != n.gen)
		return 0;
	pthread_mutex_lock(&h->lock);
	i = hold_find(h, n.gen);
	if (i == h->n) {
		if (h->n == h->cap) {
			size_t cap = h->cap ? 2 * h->cap : 4;
			struct gen_hold *v = realloc(h->v, cap * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				goto out;
			}
			h->v = v;
			h->cap = cap;
		}
		h->v[i] = (struct gen_hold){.gen_id = n.gen, .gen = image_gen_ref(g)};
		h->n++;
	}
	h->v[i].n++;
out:
	pthread_mutex_unlock(&h->lock);
	return err;
}

void genholds_forget(struct gen_holds *h, uint64_t id, uint64_t nlookup)
{
	struct image_gen *drop = NULL;
	struct nid n;
	size_t i;

	if (!nid_decode(id, &n) || n.kind != NID_IMG)
		return;
	pthread_mutex_lock(&h->lock);
	i = hold_find(h, n.gen);
	if (i < h->n) {
		struct gen_hold *e = &h->v[i];

		e->n = e->n > nlookup ? e->n - nlookup : 0;
		if (!e->n) {
			drop = e->gen;
			*e = h->v[--h->n];
		}
	}
	pthread_mutex_unlock(&h->lock);
	if (drop)
		image_gen_put(drop); /* may close the generation: outside the lock */
}

struct image_gen *genholds_get(struct gen_holds *h, unsigned gen_id)
{
	struct image_gen *g = NULL;
	size_t i;

	pthread_mutex_lock(&h->lock);
	i = hold_find(h, gen_id);
	if (i < h->n)
		g = image_gen_ref(h->v[i].gen);
	pthread_mutex_unlock(&h->lock);
	return g;
}

uint64_t genholds_count(struct gen_holds *h, unsigned gen_id)
{
	uint64_t n = 0;
	size_t i;

	pthread_mutex_lock(&h->lock);
	i = hold_find(h, gen_id);
	if (i < h->n)
		n = h->v[i].n;
	pthread_mutex_unlock(&h->lock);
	return n;
}
