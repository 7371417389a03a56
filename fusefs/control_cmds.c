/* SPDX-License-Identifier: MIT */
/*
 * The control socket's requests: status, node-reset, node-boot, and the
 * error reply. Main thread only. control.c's dispatcher calls these; they
 * call nothing of it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fusefs/control.h"
#include "fusefs/context.h"
#include "fusefs/nodes.h"
#include "fusefs/serve/log.h"
#include "fusefs/root/root.h"

struct json_object *control_error(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

/* What status reports of one node, gathered first so that no lock is held
 * while the reply is built. */
struct node_view {
	char name[NODE_NAME_MAX + 1];
	char next_image[IMAGE_NAME_MAX + 1]; /* the image its config names */
	unsigned slot;
	bool in_config;
	struct pin *pin; /* a reference, or NULL */
};

struct status_ctx {
	struct node_view *v;
	size_t n;
	char overlays[PATH_MAX];
	unsigned boot_gap;
};

static void status_ctx_free(struct status_ctx *s)
{
	for (size_t i = 0; i < s->n; i++)
		pin_put(s->v[i].pin);
	free(s->v);
}

/* Nodes in config order, then nodes removed from it whose root is still
 * mounted (they go once idle). */
static int collect_nodes(struct daemon *d, struct status_ctx *s)
{
	size_t i, count;
	unsigned slot;

	pthread_rwlock_rdlock(&d->cfg_lock);
	count = mapper_node_count(d->cfg);
	s->v = calloc(count + NODE_SLOT_MAX + 1, sizeof(*s->v));
	if (!s->v) {
		pthread_rwlock_unlock(&d->cfg_lock);
		return -ENOMEM;
	}
	snprintf(s->overlays, sizeof(s->overlays), "%s", mapper_server(d->cfg)->overlays);
	s->boot_gap = mapper_server(d->cfg)->boot_gap;
	for (i = 0; i < count; i++) {
		const struct node *n = mapper_node_at(d->cfg, i);
		struct node_view *nv = &s->v[s->n++];

		snprintf(nv->name, sizeof(nv->name), "%s", n->name);
		snprintf(nv->next_image, sizeof(nv->next_image), "%s", n->image);
		nv->slot = node_slots_get(d->slots, n->name);
		nv->in_config = true;
	}
	for (slot = 1; slot <= NODE_SLOT_MAX; slot++) {
		struct root_fs *fs = d->roots[slot];
		struct node_view *nv;

		if (!fs || mapper_find_name(d->cfg, fs->rt->name))
			continue;
		nv = &s->v[s->n++];
		snprintf(nv->name, sizeof(nv->name), "%s", fs->rt->name);
		nv->slot = slot;
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	for (i = 0; i < s->n; i++) {
		struct node_rt *rt = s->v[i].slot ? daemon_node(d, s->v[i].slot) : NULL;

		s->v[i].pin = rt ? node_pin_get(rt) : NULL;
	}
	return 0;
}

static struct json_object *json_gen_id(const struct image_gen *g)
{
	return g ? json_object_new_int64(image_gen_id(g)) : NULL;
}

/* {"held": B, "server", "host", "pid", "since"}: this daemon's lease on
 * the node (held), or the holder it waits for; null when neither (role
 * pxe takes none; or the root failed to mount for another reason). */
static struct json_object *lease_json(const struct daemon *d, const struct node_rt *rt,
				      const struct root_fs *fs)
{
	const struct lease_holder *h = NULL;
	struct lease_holder mine;
	struct json_object *o;

	if (fs && lease_held(&fs->lease)) {
		mine = d->lease_me;
		mine.since = fs->lease.since;
		h = &mine;
	} else if (rt && rt->lease_wait) {
		h = &rt->lease_holder;
	}
	if (!h)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "held", json_object_new_boolean(h == &mine));
	/* An unknown holder: its line was not written yet, or was lost. */
	json_object_object_add(o, "server", h->pid ? json_object_new_string(h->server) : NULL);
	json_object_object_add(o, "host", h->pid ? json_object_new_string(h->host) : NULL);
	json_object_object_add(o, "pid", h->pid ? json_object_new_int64(h->pid) : NULL);
	json_object_object_add(o, "since",
			       h->pid ? json_object_new_int64((int64_t)h->since) : NULL);
	return o;
}

static struct json_object *node_json(struct daemon *d, const struct status_ctx *s,
				     const struct node_view *nv)
{
	struct json_object *o = json_object_new_object();
	struct node_rt *rt = nv->slot ? daemon_node(d, nv->slot) : NULL;
	const struct pin *p = nv->pin;
	struct image_gen *next = NULL;
	char overlay[PATH_MAX + NODE_NAME_MAX + 2];
	uint64_t tftp_bytes = 0, quota = 0;
	struct root_fs *fs = nv->slot ? root_fs_get(d, nv->slot) : NULL;
	time_t last_boot = 0;
	bool armed = false;
	int open_files;
	long idle;

	if (rt) {
		pthread_mutex_lock(&rt->lock);
		last_boot = rt->last_boot;
		armed = rt->boot_armed;
		pthread_mutex_unlock(&rt->lock);
		tftp_bytes = atomic_load(&rt->tftp_bytes);
		quota = atomic_load(&rt->quota);
	}
	idle = nv->slot ? roots_idle_seconds(d, nv->slot, &open_files) : -1;
	if (!nv->slot)
		open_files = 0;
	/* What the next boot takes, when it differs from the pin. */
	if (nv->in_config && nv->next_image[0])
		next = catalog_newest(d->catalog, nv->next_image);
	if (next && p && p->gen == next) {
		image_gen_put(next);
		next = NULL;
	}
	snprintf(overlay, sizeof(overlay), "%s/%s", s->overlays, nv->name);

	json_object_object_add(o, "name", json_object_new_string(nv->name));
	json_object_object_add(o, "in_config", json_object_new_boolean(nv->in_config));
	json_object_object_add(o, "mounted", json_object_new_boolean(fs && fs->mnt));
	json_object_object_add(o, "image", p ? json_object_new_string(p->image) : NULL);
	json_object_object_add(o, "generation", p ? json_gen_id(p->gen) : NULL);
	json_object_object_add(o, "next_image",
			       nv->in_config ? json_object_new_string(nv->next_image) : NULL);
	json_object_object_add(o, "newer", json_gen_id(next));
	json_object_object_add(o, "last_boot",
			       last_boot ? json_object_new_int64((int64_t)last_boot) : NULL);
	json_object_object_add(o, "boot_pending", json_object_new_boolean(armed));
	json_object_object_add(o, "tftp_bytes", json_object_new_int64((int64_t)tftp_bytes));
	json_object_object_add(o, "open_files", json_object_new_int(open_files));
	json_object_object_add(o, "idle_seconds", idle >= 0 ? json_object_new_int64(idle) : NULL);
	json_object_object_add(o, "up",
			       json_object_new_boolean(nv->slot && roots_node_up(d, nv->slot)));
	json_object_object_add(o, "overlay_dir", json_object_new_string(overlay));
	json_object_object_add(o, "quota", json_object_new_int64((int64_t)quota));
	json_object_object_add(o, "quota_used",
			       fs ? json_object_new_int64((int64_t)atomic_load(&fs->u.quota_used))
				  : NULL);
	json_object_object_add(o, "lease", lease_json(d, rt, fs));
	root_fs_put(fs);
	if (next)
		image_gen_put(next);
	return o;
}

static struct json_object *gen_json(struct daemon *d, const struct status_ctx *s,
				    struct image_gen *g)
{
	struct json_object *o = json_object_new_object();
	struct json_object *pinned_by = json_object_new_array();
	struct image_gen *newest = catalog_newest(d->catalog, image_gen_name(g));
	struct node_rt *root_rt = daemon_node(d, 0);
	struct pin *root_pin = root_rt ? node_pin_get(root_rt) : NULL;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].pin && s->v[i].pin->gen == g)
			json_object_array_add(pinned_by, json_object_new_string(s->v[i].name));
	json_object_object_add(o, "id", json_object_new_int64(image_gen_id(g)));
	json_object_object_add(o, "image", json_object_new_string(image_gen_name(g)));
	json_object_object_add(o, "path", json_object_new_string(image_gen_path(g)));
	json_object_object_add(o, "size",
			       json_object_new_int64((int64_t)image_gen_info(g)->file_size));
	/* Every holder but the reference taken for this report. */
	json_object_object_add(o, "refs", json_object_new_int64(image_gen_refcount(g) - 1));
	json_object_object_add(o, "newest", json_object_new_boolean(newest == g));
	json_object_object_add(o, "pinned_by", pinned_by);
	json_object_object_add(o, "tftp_root",
			       json_object_new_boolean(root_pin && root_pin->gen == g));
	pin_put(root_pin);
	if (newest)
		image_gen_put(newest);
	return o;
}

static int gen_cmp(const void *a, const void *b)
{
	unsigned x = image_gen_id(*(struct image_gen *const *)a);
	unsigned y = image_gen_id(*(struct image_gen *const *)b);

	return (x > y) - (x < y);
}

static struct json_object *gens_json(struct daemon *d, const struct status_ctx *s)
{
	struct json_object *arr = json_object_new_array();
	struct image_gen **gens;
	size_t n, i;

	if (catalog_open_gens(d->catalog, &gens, &n) != 0)
		return arr;
	qsort(gens, n, sizeof(*gens), gen_cmp);
	for (i = 0; i < n; i++) {
		json_object_array_add(arr, gen_json(d, s, gens[i]));
		image_gen_put(gens[i]);
	}
	free(gens);
	return arr;
}

/* Image files that are not generations: being verified, waiting, refused. */
static void unserved_json(struct daemon *d, struct json_object *o)
{
	struct json_object *verifying = json_object_new_array();
	struct json_object *refused = json_object_new_array();
	char images[PATH_MAX], path[PATH_MAX + sizeof(((struct catalog_file *)0)->file) + 1];
	struct catalog_file *v = NULL;
	size_t n = 0;

	pthread_rwlock_rdlock(&d->cfg_lock);
	snprintf(images, sizeof(images), "%s", mapper_server(d->cfg)->images);
	pthread_rwlock_unlock(&d->cfg_lock);
	if (catalog_files_unserved(d->catalog, &v, &n) != 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *f = json_object_new_object();

		snprintf(path, sizeof(path), "%s/%s", images, v[i].file);
		json_object_object_add(f, "image", json_object_new_string(v[i].name));
		json_object_object_add(f, "path", json_object_new_string(path));
		if (v[i].state == CATALOG_REFUSED) {
			json_object_object_add(f, "reason", json_object_new_string(v[i].why));
			json_object_array_add(refused, f);
			continue;
		}
		json_object_object_add(f, "active",
				       json_object_new_boolean(v[i].state == CATALOG_VERIFYING));
		json_object_object_add(f, "done", json_object_new_int64((int64_t)v[i].done));
		json_object_object_add(f, "total", json_object_new_int64((int64_t)v[i].total));
		json_object_array_add(verifying, f);
	}
	free(v);
	json_object_object_add(o, "verifying", verifying);
	json_object_object_add(o, "refused", refused);
}

/* Several servers: which one this is, and the nodes the others serve
 * (known here, never served nor discovered). Nothing with one server. */
static void servers_json(struct daemon *d, struct json_object *o)
{
	struct json_object *arr;
	size_t i;

	pthread_rwlock_rdlock(&d->cfg_lock);
	if (!*mapper_self(d->cfg)) {
		pthread_rwlock_unlock(&d->cfg_lock);
		return;
	}
	json_object_object_add(o, "server", json_object_new_string(mapper_self(d->cfg)));
	json_object_object_add(o, "address",
			       json_object_new_string(mapper_server(d->cfg)->address));
	/* Each node's server: this one, or (a node moved away that is still
	 * up here until its next boot) the one that serves it next. */
	arr = json_object_object_get(o, "nodes");
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *name;
		const struct node *n = NULL;

		if (json_object_object_get_ex(e, "name", &name)) {
			n = mapper_find_other(d->cfg, json_object_get_string(name));
			/* A node taken over keeps its own server. */
			if (!n)
				n = mapper_find_name(d->cfg, json_object_get_string(name));
		}
		json_object_object_add(e, "server",
				       json_object_new_string(n ? n->server : mapper_self(d->cfg)));
	}
	arr = json_object_new_array();
	for (i = 0; i < d->n_peers; i++)
		if (lease_held(&d->peers[i].adopt))
			json_object_array_add(arr, json_object_new_string(d->peers[i].name));
	json_object_object_add(o, "taking_over", arr);
	arr = json_object_new_array();
	for (i = 0; i < mapper_other_count(d->cfg); i++) {
		const struct node *n = mapper_other_at(d->cfg, i);
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "name", json_object_new_string(n->name));
		json_object_object_add(e, "server", json_object_new_string(n->server));
		json_object_array_add(arr, e);
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	json_object_object_add(o, "elsewhere", arr);
	json_object_object_add(o, "elsewhere_requests",
			       json_object_new_int64((int64_t)atomic_load(&d->elsewhere_requests)));
}

struct json_object *control_status(struct daemon *d)
{
	struct status_ctx s = {0};
	struct json_object *o, *nodes;
	size_t i;

	if (collect_nodes(d, &s) != 0)
		return control_error("out of memory");
	o = json_object_new_object();
	nodes = json_object_new_array();
	for (i = 0; i < s.n; i++)
		json_object_array_add(nodes, node_json(d, &s, &s.v[i]));
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "config", json_object_new_string(d->config_path));
	json_object_object_add(o, "boot_gap", json_object_new_int64(s.boot_gap));
	json_object_object_add(o, "nodes", nodes);
	servers_json(d, o);
	json_object_object_add(o, "generations", gens_json(d, &s));
	unserved_json(d, o);
	status_ctx_free(&s);
	return o;
}

/* The slot of config node @node, or 0. */
static unsigned config_slot(struct daemon *d, const char *node)
{
	unsigned slot = 0;

	pthread_rwlock_rdlock(&d->cfg_lock);
	if (mapper_find_name(d->cfg, node))
		slot = node_slots_get(d->slots, node);
	pthread_rwlock_unlock(&d->cfg_lock);
	return slot;
}

struct json_object *control_node_reset(struct daemon *d, const char *node, bool force)
{
	unsigned slot = config_slot(d, node);
	struct json_object *o;
	int open_files, err;
	bool up;
	long idle;

	if (!slot)
		return control_error("no node '%s' in %s", node, d->config_path);
	up = roots_node_up(d, slot);
	if (up && !force) {
		char why[96];

		idle = roots_idle_seconds(d, slot, &open_files);
		if (open_files > 0)
			snprintf(why, sizeof(why), "%d open files", open_files);
		else if (idle >= 0)
			snprintf(why, sizeof(why), "its root served a request %lds ago", idle);
		else
			snprintf(why, sizeof(why), "it is booting");
		o = control_error("node %s is up (%s); use --force to reset it anyway", node, why);
		json_object_object_add(o, "up", json_object_new_boolean(1));
		return o;
	}
	err = roots_reset_overlay(d, slot);
	if (err)
		return control_error("node %s: cannot reset its overlay: %s", node, strerror(-err));
	if (up)
		log_warn("node %s: overlay reset while the node is up (forced)", node);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "node", json_object_new_string(node));
	json_object_object_add(o, "was_up", json_object_new_boolean(up));
	return o;
}

struct json_object *control_node_boot(struct daemon *d, const char *node)
{
	unsigned slot = config_slot(d, node);
	struct node_rt *rt = slot ? daemon_node(d, slot) : NULL;
	struct json_object *o;
	struct pin *p;
	bool up;

	if (!rt)
		return control_error("no node '%s' in %s", node, d->config_path);
	up = roots_node_up(d, slot);
	if (up) {
		pthread_mutex_lock(&rt->lock);
		rt->boot_armed = true;
		pthread_mutex_unlock(&rt->lock);
		log_info("node %s: its next TFTP request starts its boot (netbootctl node boot)",
			 node);
	} else {
		node_boot(d, rt, "netbootctl node boot; the node is down");
	}
	p = node_pin_get(rt);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "node", json_object_new_string(node));
	json_object_object_add(o, "booted", json_object_new_boolean(!up));
	json_object_object_add(o, "image", p ? json_object_new_string(p->image) : NULL);
	json_object_object_add(o, "generation", p ? json_gen_id(p->gen) : NULL);
	pin_put(p);
	return o;
}
