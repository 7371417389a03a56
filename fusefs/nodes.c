/* SPDX-License-Identifier: MIT */
/* Pins and boots: building and installing a node's pin, boot detection. */
#include "fusefs/nodes.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fusefs/bootrec.h"
#include "fusefs/tftp/cmdline.h"
#include "fusefs/genusers.h"
#include "fusefs/serve/log.h"
#include "fusefs/serve/notify.h"
#include "fusefs/tftp/pxe.h"
#include "fusefs/root/root.h"

#define CMDLINE_MAX 4096
#define FSTAB_MAX   65536

/* "auto" for a PXE node means boot, where Debian and Ubuntu keep their
 * kernels (a PC image may have a /boot/firmware of its own). */
static int pin_find_boot_dir(struct pin *p, const char *boot_dir)
{
	const char *found;
	int err;

	if (p->pxe && strcmp(boot_dir, "auto") == 0)
		boot_dir = "boot";
	err = img_boot_dir(p->gen, boot_dir, &p->boot_ino, &found);
	if (err == 0)
		snprintf(p->boot_dir, sizeof(p->boot_dir), "%s", found);
	return err;
}

static size_t pin_read_image_cmdline(struct pin *p, char *buf, size_t size)
{
	struct stat st;
	img_ino ino;
	ssize_t n;

	if (img_lookup(p->gen, p->boot_ino, "cmdline.txt", &ino, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	n = img_read(p->gen, ino, buf, size, 0);
	return n > 0 ? (size_t)n : 0;
}

/* The root's generated layer: hostname, fstab, cmdline.txt, templates. */
static int pin_build_genlayer(struct pin *p, const struct node *n, const struct server_config *srv)
{
	char *fstab = NULL, cmdline_path[300] = "", mac[MAC_LEN + 1];
	struct genvars vars = {
		.node = n->name, .serial = n->serial, .mac = mac, .ip = n->ip, .image = n->image};
	ssize_t flen = 0;
	struct stat st;
	img_ino ino;
	int err;

	/* Templates get the MAC as config files write it: aa:bb:cc:dd:ee:ff. */
	snprintf(mac, sizeof(mac), "%s", n->mac);
	for (char *c = mac; *c; c++)
		if (*c == '-')
			*c = ':';
	if (p->gen && img_resolve(p->gen, "etc/fstab", true, &ino, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		fstab = malloc(FSTAB_MAX);
		flen = fstab ? img_read(p->gen, ino, fstab, FSTAB_MAX, 0) : -ENOMEM;
		if (flen < 0) {
			free(fstab);
			fstab = NULL;
		}
	}
	if (p->has_boot)
		snprintf(cmdline_path, sizeof(cmdline_path), "%s/%s", p->boot_dir,
			 p->pxe ? PXE_SCRIPT : "cmdline.txt");
	err = genlayer_build(&p->genl, &vars, fstab, fstab ? (size_t)flen : 0,
			     p->has_boot ? p->boot_dir : "boot/firmware", cmdline_path, p->cmdline,
			     srv->templates);
	free(fstab);
	/* The node boots without the shared accounts rather than not at all. */
	if (!err && n)
		genusers_add(&p->genl, p->gen, n, srv);
	return err;
}

/* Generation @gen_id if it is one of @image's, else the newest of @image:
 * a file server follows the generation its PXE server pinned at a boot. */
static struct image_gen *pin_pick_gen(struct daemon *d, const char *image, unsigned gen_id)
{
	struct image_gen *g = gen_id ? catalog_gen_get(d->catalog, gen_id) : NULL;

	if (g && strcmp(image_gen_name(g), image) == 0)
		return g;
	if (g)
		image_gen_put(g);
	if (gen_id)
		log_warn("image %s: generation %u of the boot record is not in the catalog: "
			 "taking the newest",
			 image, gen_id);
	return catalog_newest(d->catalog, image);
}

/* A pin for @n (NULL: the TFTP root's own pin, from default_image), on
 * generation @gen_id (0: the newest). */
static struct pin *pin_create(struct daemon *d, const struct node *n, unsigned gen_id)
{
	const struct server_config *srv = mapper_server(d->cfg);
	const char *image = n ? n->image : srv->default_image;
	struct pin *p = calloc(1, sizeof(*p));
	char image_cmdline[CMDLINE_MAX];
	size_t len = 0;

	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	p->seq = atomic_fetch_add(&d->pin_seq, 1) + 1;
	snprintf(p->image, sizeof(p->image), "%s", image);
	p->gen = *image ? pin_pick_gen(d, image, gen_id) : NULL;
	p->pxe = n && n->boot == BOOT_PXE;
	if (p->gen && pin_find_boot_dir(p, n ? n->boot_dir : "auto") == 0) {
		p->has_boot = true;
		/* A PC image's kernel line is its bootloader's, not a file. */
		if (!p->pxe)
			len = pin_read_image_cmdline(p, image_cmdline, sizeof(image_cmdline));
	}
	if (n) {
		p->cmdline = cmdline_render(image_cmdline, len, srv->address, srv->nfs_root,
					    n->name, n->cmdline);
		if (p->cmdline && p->pxe) {
			char *script = pxe_script_render(p->cmdline);

			free(p->cmdline);
			p->cmdline = script;
		}
		if (!p->cmdline) {
			pin_put(p);
			return NULL;
		}
		p->cmdline_len = strlen(p->cmdline);
		p->overlay = n->overlay;
		for (size_t i = 0; i < n->n_layers && i < MAX_SHARED_LAYERS; i++)
			snprintf(p->layers[p->n_layers++], sizeof(p->layers[0]), "%s",
				 n->layers[i]);
		if (pin_build_genlayer(p, n, srv) != 0) {
			pin_put(p);
			return NULL;
		}
	}
	return p;
}

static bool genlayer_same(const struct genlayer *a, const struct genlayer *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].path, b->v[i].path) != 0 || a->v[i].len != b->v[i].len ||
		    a->v[i].mode != b->v[i].mode ||
		    (a->v[i].len && memcmp(a->v[i].data, b->v[i].data, a->v[i].len) != 0))
			return false;
	}
	return true;
}

static bool pin_same(const struct pin *a, const struct pin *b)
{
	if (!a || !b)
		return a == b;
	if (a->gen != b->gen || a->has_boot != b->has_boot || a->boot_ino != b->boot_ino ||
	    a->pxe != b->pxe)
		return false;
	if (a->overlay != b->overlay || a->n_layers != b->n_layers ||
	    memcmp(a->layers, b->layers, sizeof(a->layers)) != 0 ||
	    !genlayer_same(&a->genl, &b->genl))
		return false;
	if (a->cmdline_len != b->cmdline_len)
		return false;
	return a->cmdline_len == 0 || memcmp(a->cmdline, b->cmdline, a->cmdline_len) == 0;
}

static bool node_repin_to(struct daemon *d, struct node_rt *rt, unsigned want_gen)
{
	const struct node *n = NULL;
	const char *who = rt->slot ? rt->name : "(tftp root)";
	char image[IMAGE_NAME_MAX + 1] = "";
	struct pin *fresh, *old;
	unsigned gen_id = 0;
	bool changed;

	pthread_rwlock_rdlock(&d->cfg_lock);
	if (rt->slot != 0) {
		n = mapper_find_name(d->cfg, rt->name);
		if (!n) {
			pthread_rwlock_unlock(&d->cfg_lock);
			return false;
		}
	}
	fresh = pin_create(d, n, want_gen);
	pthread_rwlock_unlock(&d->cfg_lock);
	if (!fresh) {
		log_err("node %s: cannot build its boot view: out of memory", rt->name);
		return false;
	}
	pthread_mutex_lock(&rt->lock);
	old = rt->pin;
	changed = !pin_same(old, fresh);
	if (changed) {
		rt->pin = fresh;
		gen_id = fresh->gen ? image_gen_id(fresh->gen) : 0;
		snprintf(image, sizeof(image), "%s", fresh->image);
		fresh = old;
	}
	pthread_mutex_unlock(&rt->lock);
	pin_put(fresh);
	if (changed && gen_id)
		log_info("node %s: pinned image %s generation %u", who, image, gen_id);
	else if (changed)
		log_warn("node %s: image '%s' is not available", who, image);
	return changed;
}

bool node_repin(struct daemon *d, struct node_rt *rt)
{
	return node_repin_to(d, rt, 0);
}

/* Under rt->lock: the boot starts now (one thread decides it). */
static void boot_mark_locked(struct node_rt *rt, long long now)
{
	rt->boot_start = now;
	rt->boot_armed = false;
	rt->last_boot = time(NULL);
}

/*
 * The moment a node boots, and the only one: it takes its current config
 * and the newest generation of its image (a new pin), a volatile overlay
 * is emptied, and the kernel's caches of its trees are dropped. The node's
 * kernel has not touched its root yet: its firmware is still loading.
 */
static void boot_now(struct daemon *d, struct node_rt *rt, const char *why, unsigned gen_id)
{
	char state[PATH_MAX];
	bool changed, pxe_role;
	struct pin *p;
	int err;

	log_info("node %s: boot started (%s)", rt->name, why);
	changed = node_repin_to(d, rt, gen_id);
	if (changed)
		notifier_node_changed(d->notifier, rt->slot);
	roots_node_booted(d, rt, changed);
	pthread_rwlock_rdlock(&d->cfg_lock);
	pxe_role = mapper_server(d->cfg)->role == ROLE_PXE;
	snprintf(state, sizeof(state), "%s", mapper_server(d->cfg)->state);
	pthread_rwlock_unlock(&d->cfg_lock);
	if (!pxe_role)
		return;
	/* The file server re-pins the root on this record (bootrec.h). */
	p = node_pin_get(rt);
	err = bootrec_write(state, rt->name, p && p->gen ? image_gen_id(p->gen) : 0);
	pin_put(p);
	if (err)
		log_err("node %s: cannot write its boot record in %s/%s: %s (its root keeps "
			"its old pin)",
			rt->name, state, BOOTREC_DIR, strerror(-err));
}

void node_boot_gen(struct daemon *d, struct node_rt *rt, unsigned gen_id, const char *why)
{
	pthread_mutex_lock(&rt->lock);
	boot_mark_locked(rt, mono_ms());
	pthread_mutex_unlock(&rt->lock);
	boot_now(d, rt, why, gen_id);
}

void node_boot(struct daemon *d, struct node_rt *rt, const char *why)
{
	node_boot_gen(d, rt, 0, why);
}

/*
 * The first file a Pi's firmware asks for in its own directory: the Pi 3's
 * bootcode.bin asks for start.elf, the Pi 4 bootloader probes start4.elf
 * (start.elf, start4x.elf ...), the Pi 5 bootloader reads config.txt first
 * (and a Pi 4's reads it second). bootcode.bin itself when dnsmasq's
 * tftp-unique-root puts the Pi 3 boot ROM into the node's directory.
 * A PXE node's iPXE asks for its script first (the loader it ran before
 * lies at <tftp_root>, in no node's directory), and for nothing of a Pi's.
 */
static bool is_first_boot_file(const char *name, bool pxe)
{
	size_t n = strlen(name);

	if (pxe)
		return strcmp(name, PXE_SCRIPT) == 0;
	if (strcmp(name, "config.txt") == 0 || strcmp(name, "bootcode.bin") == 0)
		return true;
	return n >= 9 && strncmp(name, "start", 5) == 0 && strcmp(name + n - 4, ".elf") == 0;
}

void node_tftp_request(struct daemon *d, struct node_rt *rt, const char *name, bool top)
{
	long long now = mono_ms(), root_active;
	unsigned gap, quiet;
	const char *why = NULL;
	struct pin *p = node_pin_get(rt);
	bool first = top && is_first_boot_file(name, p && p->pxe);
	int open_files;
	bool booting;

	pin_put(p);
	pthread_rwlock_rdlock(&d->cfg_lock);
	gap = mapper_server(d->cfg)->boot_gap;
	quiet = mapper_server(d->cfg)->boot_quiet;
	pthread_rwlock_unlock(&d->cfg_lock);
	root_active = roots_last_active_ms(d, rt->slot, &open_files);
	pthread_mutex_lock(&rt->lock);
	/* A boot lasts until its kernel uses the root, or until its TFTP
	 * requests pause for boot_gap (a boot that went nowhere). */
	booting = rt->boot_start && root_active < rt->boot_start &&
		  now - rt->last_tftp < (long long)gap * 1000;
	if (rt->boot_armed)
		why = "netbootctl node boot";
	else if (!booting && first && open_files == 0 &&
		 now - root_active >= (long long)quiet * 1000)
		why = root_active ? "its root is quiet" : "its root is unused";
	rt->last_tftp = now;
	if (why)
		boot_mark_locked(rt, now);
	pthread_mutex_unlock(&rt->lock);
	/* Why a boot file was no boot: what an admin asks when a node did not
	 * take its new image. */
	if (!why && first)
		log_debug("node %s: TFTP %s starts no boot: %s", rt->name, name,
			  booting      ? "it is booting"
			  : open_files ? "its root has open files"
				       : "its root served a request lately");
	if (!why && first && !booting && !open_files)
		log_debug("node %s: its root's last request was %lld ms ago (boot_quiet %u s)",
			  rt->name, now - root_active, quiet);
	if (why) {
		char msg[128];

		snprintf(msg, sizeof(msg), "TFTP %s; %s", name, why);
		boot_now(d, rt, msg, 0);
	}
}
