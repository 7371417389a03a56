/* SPDX-License-Identifier: MIT */
/*
 * The registry of every generation still open, by id: the catalog adds the
 * generations it promotes, a generation leaves when its last reference goes
 * (image_gen_put). It has its own lock and outlives the catalog while
 * generations are still referenced. It sits below both: it reads and links
 * generations but calls neither.
 */
#include <errno.h>
#include <stdlib.h>

#include "images/image_priv.h"

struct gen_registry {
	pthread_mutex_t lock;
	atomic_uint refs; /* the owner + one per generation listed */
	struct image_gen *head;
};

struct gen_registry *registry_new(void)
{
	struct gen_registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return NULL;
	pthread_mutex_init(&reg->lock, NULL);
	atomic_init(&reg->refs, 1);
	return reg;
}

void registry_put(struct gen_registry *reg)
{
	if (!reg)
		return;
	if (atomic_fetch_sub_explicit(&reg->refs, 1, memory_order_acq_rel) != 1)
		return;
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

void registry_add(struct gen_registry *reg, struct image_gen *g)
{
	atomic_fetch_add_explicit(&reg->refs, 1, memory_order_relaxed);
	pthread_mutex_lock(&reg->lock);
	g->reg = reg;
	g->reg_next = reg->head;
	reg->head = g;
	pthread_mutex_unlock(&reg->lock);
}

void registry_forget(struct gen_registry *reg, struct image_gen *g)
{
	pthread_mutex_lock(&reg->lock);
	for (struct image_gen **pp = &reg->head; *pp; pp = &(*pp)->reg_next) {
		if (*pp == g) {
			*pp = g->reg_next;
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	g->reg = NULL;
	registry_put(reg);
}

/* A new reference unless the count already dropped to zero (closing). */
static bool ref_unless_zero(struct image_gen *g)
{
	unsigned n = atomic_load_explicit(&g->refs, memory_order_relaxed);

	while (n) {
		if (atomic_compare_exchange_weak_explicit(&g->refs, &n, n + 1, memory_order_acquire,
							  memory_order_relaxed))
			return true;
	}
	return false;
}

struct image_gen *registry_get(struct gen_registry *reg, unsigned id,
			       const struct file_ident *ident)
{
	struct image_gen *found = NULL;

	pthread_mutex_lock(&reg->lock);
	for (struct image_gen *g = reg->head; g; g = g->reg_next) {
		if (g->id != id)
			continue;
		if (ident && (g->ident.ino != ident->ino || g->ident.size != ident->size ||
			      g->ident.mtime_ns != ident->mtime_ns))
			continue;
		if (ref_unless_zero(g))
			found = g;
		break;
	}
	pthread_mutex_unlock(&reg->lock);
	return found;
}

bool registry_has(void *ctx, unsigned id)
{
	struct gen_registry *reg = ctx;
	bool found = false;

	pthread_mutex_lock(&reg->lock);
	for (struct image_gen *g = reg->head; g && !found; g = g->reg_next)
		found = g->id == id;
	pthread_mutex_unlock(&reg->lock);
	return found;
}

int registry_list(struct gen_registry *reg, struct image_gen ***out, size_t *n)
{
	struct image_gen **arr;
	size_t count = 0, k = 0;

	pthread_mutex_lock(&reg->lock);
	for (struct image_gen *g = reg->head; g; g = g->reg_next)
		count++;
	arr = calloc(count ? count : 1, sizeof(*arr));
	if (!arr) {
		pthread_mutex_unlock(&reg->lock);
		return -ENOMEM;
	}
	for (struct image_gen *g = reg->head; g; g = g->reg_next)
		if (ref_unless_zero(g))
			arr[k++] = g;
	pthread_mutex_unlock(&reg->lock);
	*out = arr;
	*n = k;
	return 0;
}
