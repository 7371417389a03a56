/* SPDX-License-Identifier: MIT */
/* Daemon lifecycle: start, reload, image rescans, stop. */
#include "fusefs/daemon.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusefs/bootfollow.h"
#include "fusefs/control.h"
#include "fusefs/takeover.h"
#include "fusefs/serve/log.h"
#include "fusefs/serve/mount.h"
#include "fusefs/nodes.h"
#include "fusefs/serve/notify.h"
#include "fusefs/root/root.h"
#include "fusefs/tftp/tftp.h"
#include "fusefs/tftp/unknown_clients.h"
#include "fusefs/verifier.h"
#include "fusefs/serve/workers.h"

#define WORKER_THREADS 8

static void log_config_errors(const struct mapper_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		if (errs->v[i].line)
			log_err("%s:%u: %s", errs->v[i].file, errs->v[i].line, errs->v[i].msg);
		else
			log_err("%s: %s", errs->v[i].file, errs->v[i].msg);
	}
}

static struct node_rt *node_rt_create(unsigned slot, const char *name)
{
	struct node_rt *rt = calloc(1, sizeof(*rt));

	if (!rt)
		return NULL;
	rt->slot = slot;
	snprintf(rt->name, sizeof(rt->name), "%s", name);
	pthread_mutex_init(&rt->lock, NULL);
	atomic_init(&rt->tftp_bytes, 0);
	return rt;
}

/* Make sure every node of the current config has a runtime entry and a
 * pin. Existing nodes keep their pin: config changes wait for a boot. */
static int nodes_sync(struct daemon *d)
{
	size_t i, n;
	int err = 0;

	pthread_rwlock_rdlock(&d->cfg_lock);
	n = mapper_node_count(d->cfg);
	pthread_mutex_lock(&d->nodes_lock);
	if (!d->nodes[0])
		__atomic_store_n(&d->nodes[0], node_rt_create(0, "(tftp root)"), __ATOMIC_RELEASE);
	for (i = 0; i < n; i++) {
		const struct node *node = mapper_node_at(d->cfg, i);
		unsigned slot = node_slots_get(d->slots, node->name);

		if (!slot)
			continue;
		if (!d->nodes[slot])
			__atomic_store_n(&d->nodes[slot], node_rt_create(slot, node->name),
					 __ATOMIC_RELEASE);
		if (!d->nodes[slot]) {
			err = -ENOMEM;
			continue;
		}
		/* Unlike the rest of the config, a quota applies at once. */
		atomic_store(&d->nodes[slot]->quota, node->quota);
	}
	pthread_mutex_unlock(&d->nodes_lock);
	pthread_rwlock_unlock(&d->cfg_lock);
	if (!d->nodes[0])
		return -ENOMEM;
	for (i = 0; i <= NODE_SLOT_MAX; i++) {
		struct node_rt *rt = daemon_node(d, i);
		struct pin *p;

		if (!rt)
			continue;
		p = node_pin_get(rt);
		if (!p)
			node_repin(d, rt);
		pin_put(p);
	}
	return err;
}

/* Log what a catalog scan or verification made of an image file. */
static void report_image(void *ctx, const char *path, const struct image_gen *gen, int err,
			 const char *why)
{
	(void)ctx;
	if (gen)
		log_info("%s: image %s generation %u", path, image_gen_name(gen),
			 image_gen_id(gen));
	else
		log_err("%s: refused: %s (%s)", path, why, strerror(-err));
}

/* Who this daemon is in the node leases it takes: its [server:NAME], else
 * its host name. */
static void lease_me_init(struct daemon *d)
{
	struct lease_holder *me = &d->lease_me;
	const char *self = mapper_self(d->cfg);

	if (gethostname(me->host, sizeof(me->host)) != 0 || !me->host[0])
		snprintf(me->host, sizeof(me->host), "localhost");
	me->host[sizeof(me->host) - 1] = '\0';
	snprintf(me->server, sizeof(me->server), "%s", self && *self ? self : me->host);
	me->pid = (long)getpid();
}

static void log_ids_file(struct daemon *d)
{
	bool shared;
	const char *path = catalog_ids_file(d->catalog, &shared);

	if (shared)
		log_info("image generation ids in %s, shared with every server over these images",
			 path);
	else
		log_warn("image generation ids in %s: the images directory cannot be written "
			 "here, so other servers may number the same files differently",
			 path);
}

static void report_verify(void *ctx, const char *path, uint64_t done, uint64_t total)
{
	(void)ctx;
	(void)total;
	if (done == 0)
		log_info("%s: verifying every block before it becomes a generation", path);
}

int daemon_start(struct daemon *d)
{
	struct mapper_errors errs = {0};
	const struct server_config *srv;
	int err;

	pthread_rwlock_init(&d->cfg_lock, NULL);
	pthread_mutex_init(&d->nodes_lock, NULL);
	d->alive = (struct lease)LEASE_INIT; /* daemon_stop() releases it */
	err = mapper_load_as(d->config_path, d->self, &d->cfg, &errs);
	if (err) {
		log_config_errors(&errs);
		mapper_errors_free(&errs);
		return err;
	}
	srv = mapper_server(d->cfg);
	lease_me_init(d);
	/* First: a second daemon as the same server touches nothing. */
	err = takeover_start(d);
	if (err)
		return err;
	err = node_slots_load(srv->state, &d->slots);
	if (!err)
		err = node_slots_assign(d->slots, d->cfg);
	if (err) {
		log_err("%s: cannot keep node slots: %s", srv->state, strerror(-err));
		return err;
	}
	err = catalog_open(srv->images, srv->state, &d->catalog);
	if (err) {
		log_err("%s: cannot open the image catalog: %s", srv->images, strerror(-err));
		return err;
	}
	log_ids_file(d);
	/* Files found at start are verified before serving starts; later
	 * ones in the background, while the previous generation serves. */
	catalog_set_progress(d->catalog, report_verify, d);
	catalog_scan(d->catalog, report_image, d);
	catalog_defer_verify(d->catalog, true);
	err = verifier_start(d->catalog, report_image, d, &d->verifier);
	if (err)
		return err;
	err = control_open(d, srv->control, &d->control);
	if (err)
		return err;
	err = nodes_sync(d);
	if (err)
		return err;
	err = notifier_start(d, &d->notifier);
	if (err)
		return err;
	err = unknown_clients_start(d, &d->unknown);
	if (err)
		return err;
	err = pool_create(WORKER_THREADS, &d->pool);
	if (err)
		return err;
	/* No node may write before its files are out of local users' reach.
	 * A PXE server only reads the file server's overlays. */
	if (srv->role != ROLE_PXE)
		err = roots_secure_overlays(d);
	if (err)
		return err;
	/* Roots first: a node's boot tree is read through its root (a PXE
	 * server's roots are unmounted read-only views, roots.c). */
	d->devnum_retries = FS_MOUNT_BUSY_RETRIES;
	err = roots_mount_all(d);
	if (err)
		return err;
	if (srv->role == ROLE_FILES) {
		/* Records already there are of boots taken before. */
		daemon_poll_boot_records(d, true);
		log_info("serving %zu nodes (role files): roots under %s, no boot trees",
			 mapper_node_count(d->cfg), srv->nfs_root);
		return 0;
	}
	err = fs_mount_create(srv->tftp_root, &tftp_ops, d,
			      "ro,allow_other,default_permissions,nosuid,nodev,fsname=netbootfs,"
			      "subtype=netbootfs",
			      0, NULL, &d->tftp);
	if (err)
		return err;
	err = pool_add_session(d->pool, fs_mount_session(d->tftp));
	if (err)
		return err;
	if (srv->role == ROLE_PXE)
		log_info("serving %zu nodes (role pxe): boot trees at %s, roots on %s",
			 mapper_node_count(d->cfg), srv->tftp_root, srv->address);
	else
		log_info("serving %zu nodes: boot trees at %s, roots under %s",
			 mapper_node_count(d->cfg), srv->tftp_root, srv->nfs_root);
	return 0;
}

/* Names under <tftp_root> that @old had and @cur has not (or maps elsewhere). */
static void invalidate_gone_clients(struct daemon *d, const struct mapper *old,
				    const struct mapper *cur)
{
	size_t i;

	for (i = 0; i < mapper_node_count(old); i++) {
		const struct node *o = mapper_node_at(old, i);
		const struct node *c;

		c = o->serial[0] ? mapper_find_serial(cur, o->serial) : NULL;
		if (o->serial[0] && (!c || strcmp(c->name, o->name) != 0))
			notifier_inval_entry(d->notifier, fs_mount_session(d->tftp), FUSE_ROOT_ID,
					     o->serial);
		c = o->mac[0] ? mapper_find_mac(cur, o->mac) : NULL;
		if (o->mac[0] && (!c || strcmp(c->name, o->name) != 0))
			notifier_inval_entry(d->notifier, fs_mount_session(d->tftp), FUSE_ROOT_ID,
					     o->mac);
	}
}

int daemon_reload(struct daemon *d)
{
	struct mapper_errors errs = {0};
	struct mapper *fresh = NULL, *old;
	int err;

	err = mapper_load_as(d->config_path, d->self, &fresh, &errs);
	if (err) {
		log_config_errors(&errs);
		log_err("%s: reload refused, still serving the last good config", d->config_path);
		mapper_errors_free(&errs);
		return err;
	}
	err = takeover_adopt(d, fresh);
	if (!err)
		err = node_slots_assign(d->slots, fresh);
	if (err) {
		log_err("reload refused: cannot record node slots: %s", strerror(-err));
		mapper_free(fresh);
		return err;
	}
	pthread_rwlock_wrlock(&d->cfg_lock);
	old = d->cfg;
	d->cfg = fresh;
	pthread_rwlock_unlock(&d->cfg_lock);
	if (d->tftp)
		invalidate_gone_clients(d, old, fresh);
	mapper_free(old);
	err = nodes_sync(d);
	if (!err)
		err = roots_mount_all(d);
	log_info("%s: reloaded, %zu nodes", d->config_path, mapper_node_count(fresh));
	return err;
}

/* The TFTP root's bootcode.bin follows default_image at once; nodes take
 * new generations when they boot. */
static void images_changed(struct daemon *d)
{
	struct node_rt *rt = daemon_node(d, 0);

	if (rt && node_repin(d, rt) && d->tftp)
		notifier_inval_entry(d->notifier, fs_mount_session(d->tftp), FUSE_ROOT_ID,
				     "bootcode.bin");
	nodes_sync(d);
}

void daemon_rescan_images(struct daemon *d)
{
	if (catalog_scan(d->catalog, report_image, d) > 0)
		images_changed(d);
	else
		nodes_sync(d);
	verifier_kick(d->verifier);
}

void daemon_images_verified(struct daemon *d)
{
	verifier_drain(d->verifier);
	images_changed(d);
}

void daemon_stop(struct daemon *d)
{
	size_t i;

	/* First: it reads the catalog, and reports to the main loop. */
	verifier_stop(d->verifier);
	d->verifier = NULL;
	control_close(d->control);
	d->control = NULL;
	/* Unmount everything, stop the workers (their per-thread libfuse
	 * buffers are freed as they exit), then free the sessions. */
	if (d->pool) {
		roots_detach_all(d);
		if (d->tftp)
			pool_remove_session(d->pool, fs_mount_session(d->tftp));
	}
	fs_mount_unmount(d->tftp);
	pool_destroy(d->pool);
	d->pool = NULL;
	roots_unmount_all(d);
	fs_mount_destroy(d->tftp);
	d->tftp = NULL;
	notifier_stop(d->notifier);
	d->notifier = NULL;
	/* No request comes any more: write the clients still pending. */
	unknown_clients_stop(d->unknown);
	d->unknown = NULL;
	for (i = 0; i <= NODE_SLOT_MAX; i++) {
		struct node_rt *rt = d->nodes[i];

		if (!rt)
			continue;
		pin_put(rt->pin);
		pthread_mutex_destroy(&rt->lock);
		free(rt);
		d->nodes[i] = NULL;
	}
	if (d->catalog)
		catalog_close(d->catalog);
	d->catalog = NULL;
	node_slots_free(d->slots);
	d->slots = NULL;
	takeover_stop(d); /* after the roots: their leases went first */
	mapper_free(d->cfg);
	d->cfg = NULL;
}
