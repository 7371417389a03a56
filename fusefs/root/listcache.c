/* SPDX-License-Identifier: MIT */
#include "fusefs/root/listcache.h"

#include <stdlib.h>

void listcache_init(struct listcache *lc)
{
	pthread_mutex_init(&lc->lock, NULL);
	lc->head = NULL;
	lc->n = 0;
	lc->recs = 0;
}

static void listing_free(struct listing *li)
{
	dirlist_free(&li->l);
	free(li);
}

/* Take @li out of the list (@pp points at the link to it); the last
 * reference frees it. Under the lock. */
static void unlink_at(struct listcache *lc, struct listing **pp)
{
	struct listing *li = *pp;

	*pp = li->next;
	li->linked = false;
	lc->n--;
	lc->recs -= li->l.n;
	if (--li->refs == 0)
		listing_free(li);
}

void listcache_destroy(struct listcache *lc)
{
	while (lc->head)
		unlink_at(lc, &lc->head);
	pthread_mutex_destroy(&lc->lock);
}

static struct listing **find(struct listcache *lc, uint64_t dir)
{
	struct listing **pp = &lc->head;

	while (*pp && (*pp)->dir != dir)
		pp = &(*pp)->next;
	return pp;
}

struct listing *listcache_get(struct listcache *lc, uint64_t dir, uint64_t pin_seq, uint64_t epoch)
{
	struct listing **pp, *li = NULL;

	pthread_mutex_lock(&lc->lock);
	pp = find(lc, dir);
	if (*pp && ((*pp)->pin_seq != pin_seq || (*pp)->epoch != epoch))
		unlink_at(lc, pp); /* stale */
	else if (*pp)
		li = *pp;
	if (li)
		li->refs++;
	pthread_mutex_unlock(&lc->lock);
	return li;
}

/* Drop the oldest listings (never the newest) while over the bounds. */
static void evict(struct listcache *lc)
{
	while (lc->n > 1 && (lc->n > LISTCACHE_MAX || lc->recs > LISTCACHE_MAX_RECS)) {
		struct listing **pp = &lc->head;

		while ((*pp)->next)
			pp = &(*pp)->next;
		unlink_at(lc, pp);
	}
}

struct listing *listcache_add(struct listcache *lc, uint64_t dir, uint64_t pin_seq, uint64_t epoch,
			      struct dirlist *l)
{
	struct listing *li = calloc(1, sizeof(*li)), **pp;

	if (!li) {
		dirlist_free(l);
		return NULL;
	}
	li->dir = dir;
	li->pin_seq = pin_seq;
	li->epoch = epoch;
	li->l = *l;
	*l = (struct dirlist){0};
	li->refs = 2; /* the cache's and the caller's */
	li->linked = true;
	pthread_mutex_lock(&lc->lock);
	pp = find(lc, dir);
	if (*pp)
		unlink_at(lc, pp);
	li->next = lc->head;
	lc->head = li;
	lc->n++;
	lc->recs += li->l.n;
	evict(lc);
	pthread_mutex_unlock(&lc->lock);
	return li;
}

void listcache_put(struct listcache *lc, struct listing *li, bool forget)
{
	pthread_mutex_lock(&lc->lock);
	if (forget && li->linked) {
		struct listing **pp = &lc->head;

		while (*pp != li)
			pp = &(*pp)->next;
		unlink_at(lc, pp);
	}
	if (--li->refs == 0)
		listing_free(li);
	pthread_mutex_unlock(&lc->lock);
}

void listcache_forget(struct listcache *lc, uint64_t dir)
{
	struct listing **pp;

	pthread_mutex_lock(&lc->lock);
	pp = find(lc, dir);
	if (*pp)
		unlink_at(lc, pp);
	pthread_mutex_unlock(&lc->lock);
}
