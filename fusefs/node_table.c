/* SPDX-License-Identifier: MIT */
/*
 * The daemon's node table, read by every room: a slot's runtime (by slot or
 * by client name), its current pin, an image generation by id, and the
 * clock of boots and activity. It calls nothing above it; the boot logic
 * that changes pins is nodes.c.
 */
#include "fusefs/context.h"

#include <time.h>

#include "mapper/ident.h"

struct node_rt *daemon_node(struct daemon *d, unsigned slot)
{
	if (slot > NODE_SLOT_MAX)
		return NULL;
	return __atomic_load_n(&d->nodes[slot], __ATOMIC_ACQUIRE);
}

struct pin *node_pin_get(struct node_rt *rt)
{
	struct pin *p;

	pthread_mutex_lock(&rt->lock);
	p = rt->pin;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&rt->lock);
	return p;
}

long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct node_rt *daemon_node_by_client(struct daemon *d, const char *name, bool *via_mac)
{
	const struct node *n = NULL;
	unsigned slot = 0;

	*via_mac = false;
	pthread_rwlock_rdlock(&d->cfg_lock);
	if (ident_is_serial_name(name)) {
		n = mapper_find_serial(d->cfg, name);
	} else if (ident_is_mac_name(name)) {
		n = mapper_find_mac(d->cfg, name);
		*via_mac = true;
	}
	if (n)
		slot = node_slots_get(d->slots, n->name);
	pthread_rwlock_unlock(&d->cfg_lock);
	return slot ? daemon_node(d, slot) : NULL;
}

bool daemon_client_elsewhere(struct daemon *d, const char *name)
{
	bool other;

	pthread_rwlock_rdlock(&d->cfg_lock);
	other = mapper_find_other(d->cfg, name) != NULL;
	pthread_rwlock_unlock(&d->cfg_lock);
	return other;
}

struct image_gen *daemon_gen_get(struct daemon *d, unsigned slot, unsigned gen_id)
{
	struct node_rt *rt = daemon_node(d, slot);
	struct image_gen *g = NULL;
	struct pin *p;

	if (rt) {
		p = node_pin_get(rt);
		if (p && p->gen && image_gen_id(p->gen) == gen_id)
			g = image_gen_ref(p->gen);
		pin_put(p);
	}
	return g ? g : catalog_gen_get(d->catalog, gen_id);
}
