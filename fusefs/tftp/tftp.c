/* SPDX-License-Identifier: MIT */
/*
 * <tftp_root>/                 bootcode.bin (from default_image), and per node
 * <tftp_root>/<serial>/        the node's boot dir, as its root shows it
 * <tftp_root>/<mac>/           the same tree under the MAC name
 * <tftp_root>/undionly.kpxe ... the iPXE loaders of [server] loaders (pxe.h)
 *
 * A PXE node's tree (boot = pxe) is its /boot; its generated boot.ipxe asks
 * for "vmlinuz" and "initrd.img", which, when the tree has no such files,
 * name the newest vmlinuz-VERSION and its initrd.img-VERSION.
 *
 * A node's boot tree is the boot dir of its root's union, so a kernel the
 * node installs into its own overlay is what it boots next, and the
 * generated cmdline.txt shows unless the overlay holds its own copy.
 * Everything is presented read-only and owned by root, with the permission
 * bits the node's root shows less the write bits: what others may not read
 * in the node's root, dnsmasq does not serve. A symlink in the boot dir is
 * followed only while it stays inside the boot dir; one that leaves it is
 * hidden.
 *
 * Ids: a node object has its root-mount id with bit 60 set when reached
 * through the MAC dir, so the two trees never share a directory inode; the
 * root mount's id table resolves it, after eviction or a restart too.
 * A file the node's tree shows unchanged from its image is the exception:
 * it is named by its image generation and inode alone (slot 0), like
 * bootcode.bin, so every node booting that generation reads one kernel
 * inode and one copy of it in the page cache. Entries in a node's tree
 * still expire after TIMEOUT_NODE, so a file the node installs into its
 * overlay replaces the shared one at the next lookup.
 *
 * A boot is told from a running node by the TFTP server's lookups
 * (node_tftp_request): a shared file's OPEN and READs no longer say which
 * node asked, and lookups by anyone else are reads on the server.
 */
#include "fusefs/tftp/tftp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "fusefs/daemon.h"
#include "fusefs/serve/datareply.h"
#include "fusefs/serve/dirreply.h"
#include "fusefs/serve/log.h"
#include "fusefs/tftp/pxe.h"
#include "fusefs/union/union.h"
#include "fusefs/tftp/tftpcaller.h"
#include "fusefs/tftp/unknown_clients.h"
#include "mapper/ident.h"

#define TIMEOUT_LONG	 86400.0 /* the root and client dirs: invalidated explicitly */
#define TIMEOUT_NODE	 1.0	 /* node files: the node may rewrite them in its root */
#define TIMEOUT_NEGATIVE 1.0	 /* unknown clients may be added by a reload */

static struct daemon *req_daemon(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* How long the attributes of @id may be cached. */
static double timeout_for(uint64_t id)
{
	struct nid n;

	if (!nid_decode(id, &n))
		return TIMEOUT_LONG;
	if (n.kind == NID_LOADER) /* a package upgrade replaces them */
		return TIMEOUT_NODE;
	return n.slot && n.kind != NID_CLIENT ? TIMEOUT_NODE : TIMEOUT_LONG;
}

/* @entry_timeout: TIMEOUT_NODE for every name in a node's tree, whatever
 * its id; the attributes of an id are cached as long as the id allows. */
static void entry_init(struct fuse_entry_param *e, uint64_t id, double entry_timeout)
{
	memset(e, 0, sizeof(*e));
	e->ino = id;
	e->attr_timeout = id ? timeout_for(id) : entry_timeout;
	e->entry_timeout = entry_timeout;
}

/*
 * Read-only, owned by root, readable by whom the node's root lets read: the
 * kernel checks local users against these bits (default_permissions), and
 * dnsmasq serves only files others may read (as root it checks S_IROTH
 * itself; as user dnsmasq its open() fails).
 */
static void attr_present(struct stat *st, uint64_t id)
{
	st->st_ino = id;
	st->st_mode = (st->st_mode & S_IFMT) | (st->st_mode & 0555);
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_dev = 0;
}

static void attr_dir(struct stat *st, uint64_t id)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0555;
	attr_present(st, id);
	st->st_nlink = 2;
}

/* ---- a node's tree through its root --------------------------------- */

/* A request about a node's tree: the node, the union of its root and its
 * current pin. */
struct nctx {
	struct node_rt *rt;
	struct union_fs *fs;
	struct pin *p;
};

static int node_ctx(struct daemon *d, unsigned slot, struct nctx *c)
{
	c->rt = daemon_node(d, slot);
	c->fs = c->rt ? node_union_get(d, slot) : NULL;
	c->p = c->fs ? node_pin_get(c->rt) : NULL;
	if (!c->p) {
		union_fs_put(c->fs);
		c->fs = NULL;
		return -ENOENT;
	}
	return 0;
}

static void node_ctx_put(struct nctx *c)
{
	pin_put(c->p);
	union_fs_put(c->fs);
	c->p = NULL;
	c->fs = NULL;
}

/* Directory layers and the root id of the node's boot dir. */
static int boot_dir_layers(struct nctx *c, struct dirlayers *dl, uint64_t *id)
{
	struct dirlayers parent;
	char name[NAME_MAX + 1];
	uint64_t pid;
	bool via_link;
	struct uobj o;
	int err;

	if (!c->p->has_boot)
		return -ENOENT;
	err = union_resolve(c->fs, c->p, NULL, c->p->boot_dir, &parent, name, &o, &pid, &via_link);
	if (err)
		return err;
	err = S_ISDIR(o.st.st_mode) ? layers_step(c->fs, c->p, &parent, name, dl) : -ENOTDIR;
	layers_close(&parent);
	if (!err && id)
		*id = o.id;
	return err;
}

/*
 * The layers of directory @id of a node's tree (@n: its client dir is the
 * boot dir) and the boot dir's union path, @jail (PATH_MAX bytes), which
 * nothing in the tree may leave: node_child() walks from the node's root
 * again, so a directory the node moved out of its boot dir shows nothing.
 */
static int tree_dir_layers(struct nctx *c, const struct nid *n, uint64_t id, struct dirlayers *dl,
			   char *jail)
{
	struct dirlayers boot;
	int err = boot_dir_layers(c, &boot, NULL);

	if (err)
		return err;
	snprintf(jail, PATH_MAX, "%s", boot.path);
	if (n->kind == NID_CLIENT) {
		*dl = boot;
		return 0;
	}
	layers_close(&boot);
	return layers_open_dir_id(c->fs, c->p, id & ~NID_VIA_MAC_BIT, dl);
}

/*
 * @name in directory @dl, links followed while they stay inside @jail. A
 * link to a directory is hidden: a directory must have one parent.
 */
static int node_child(struct nctx *c, const char *jail, struct dirlayers *dl, const char *name,
		      struct uobj *o)
{
	char path[PATH_MAX], leaf[NAME_MAX + 1];
	struct dirlayers parent;
	uint64_t pid;
	bool via_link;
	int err;

	if (snprintf(path, sizeof(path), "%s/%s", dl->path, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	err = union_resolve(c->fs, c->p, jail, path, &parent, leaf, o, &pid, &via_link);
	if (err)
		return err == -EISDIR ? -ENOENT : err;
	layers_close(&parent);
	if (S_ISDIR(o->st.st_mode) && via_link)
		return -ENOENT;
	if (!S_ISDIR(o->st.st_mode) && !S_ISREG(o->st.st_mode))
		return -ENOENT; /* devices, fifos: nothing a boot loader reads */
	return 0;
}

/*
 * A PXE node's "vmlinuz" or "initrd.img" when its boot dir has none: the
 * file pxe_pick() chooses among the merged entries of @dl.
 */
static int pxe_alias_child(struct nctx *c, const char *jail, struct dirlayers *dl, const char *name,
			   struct uobj *o)
{
	struct dirlist raw = {0};
	const char **names = NULL;
	const char *pick;
	size_t i;
	int err;

	if (strcmp(name, PXE_KERNEL) != 0 && strcmp(name, PXE_INITRD) != 0)
		return -ENOENT;
	err = union_list_dir(c->fs, c->p, dl, &raw);
	if (!err) {
		names = calloc(raw.n + 1, sizeof(*names));
		err = names ? 0 : -ENOMEM;
	}
	for (i = 0; !err && i < raw.n; i++)
		names[i] = raw.v[i].name;
	pick = err ? NULL : pxe_pick(name, names, raw.n);
	if (!err)
		err = pick ? node_child(c, jail, dl, pick, o) : -ENOENT;
	free(names);
	dirlist_free(&raw);
	return err;
}

/* The id of node object @o in the tree reached through the serial or MAC
 * dir: shared by all nodes when it is a file of the image, unchanged. */
static uint64_t tree_id(const struct nctx *c, const struct uobj *o, bool via_mac)
{
	struct nid shared = {.kind = NID_IMG};

	if (o->top == L_IMAGE && S_ISREG(o->st.st_mode)) {
		shared.gen = image_gen_id(c->p->gen);
		shared.payload = (uint32_t)o->img;
		return nid_encode(&shared);
	}
	return o->id | (via_mac ? NID_VIA_MAC_BIT : 0);
}

/* A directory's id in the tree reached through the serial or MAC dir. */
static uint64_t tftp_dir_id(uint64_t root_id, bool via_mac)
{
	return root_id | (via_mac ? NID_VIA_MAC_BIT : 0);
}

/* Attributes of node object @n (id @id in this mount). */
static int node_getattr(struct daemon *d, const struct nid *n, uint64_t id, struct stat *st)
{
	char name[NAME_MAX + 1];
	struct dirlayers parent;
	struct uobj o;
	struct nctx c;
	int err = node_ctx(d, n->slot, &c);

	if (!err)
		err = layers_resolve_id(c.fs, c.p, id & ~NID_VIA_MAC_BIT, &parent, name, &o);
	if (!err) {
		layers_close(&parent);
		*st = o.st;
		attr_present(st, id);
	} else if (err == -ESTALE && c.fs &&
		   union_open_getattr(c.fs, id & ~NID_VIA_MAC_BIT, st) == 0) {
		attr_present(st, id); /* open before the node booted elsewhere */
		err = 0;
	}
	node_ctx_put(&c);
	return err == -ESTALE ? -ENOENT : err;
}

/* ---- the TFTP root and bootcode.bin ------------------------------------ */

/* bootcode.bin: default_image's, looked up inside that image only. */
static int bootcode(struct daemon *d, struct image_gen **g, img_ino *ino, struct stat *st)
{
	struct node_rt *rt = daemon_node(d, 0);
	struct pin *p = rt ? node_pin_get(rt) : NULL;
	char path[300];
	int err = -ENOENT;

	if (p && p->has_boot) {
		snprintf(path, sizeof(path), "%s/bootcode.bin", p->boot_dir);
		err = img_resolve(p->gen, path, true, ino, st);
		if (!err && !S_ISREG(st->st_mode))
			err = -ENOENT;
		if (!err)
			*g = image_gen_ref(p->gen);
	}
	pin_put(p);
	return err;
}

/* The host path of loader @idx under [server] loaders. */
static int loader_path(struct daemon *d, unsigned idx, char *path, size_t size)
{
	const char *name = pxe_loader_name(idx);
	int w;

	if (!name)
		return -ENOENT;
	pthread_rwlock_rdlock(&d->cfg_lock);
	w = snprintf(path, size, "%s/%s", mapper_server(d->cfg)->loaders, name);
	pthread_rwlock_unlock(&d->cfg_lock);
	return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
}

/* A loader is served when it is a regular file others may read. */
static int loader_stat(struct daemon *d, unsigned idx, struct stat *st)
{
	char path[PATH_MAX];
	int err = loader_path(d, idx, path, sizeof(path));

	if (!err && stat(path, st) != 0)
		err = -errno;
	if (!err && (!S_ISREG(st->st_mode) || !(st->st_mode & S_IROTH)))
		err = -ENOENT;
	return err;
}

static int getattr_id(struct daemon *d, uint64_t id, struct stat *st)
{
	struct image_gen *g;
	struct nid n;
	int err;

	if (!nid_decode(id, &n))
		return -ENOENT;
	switch (n.kind) {
	case NID_ROOT:
		attr_dir(st, id);
		return 0;
	case NID_CLIENT:
		if (!daemon_node(d, n.slot))
			return -ENOENT;
		attr_dir(st, id);
		return 0;
	case NID_LOADER:
		err = loader_stat(d, n.payload, st);
		if (!err)
			attr_present(st, id);
		return err == -ENOENT || err == -ENOTDIR ? -ENOENT : err;
	default:
		break;
	}
	if (n.slot)
		return node_getattr(d, &n, id, st);
	/* Slot 0: a file of an image generation (bootcode.bin, shared files). */
	g = n.kind == NID_IMG ? daemon_gen_get(d, 0, n.gen) : NULL;
	if (!g)
		return -ENOENT;
	err = img_getattr(g, n.payload, st);
	image_gen_put(g);
	if (!err)
		attr_present(st, id);
	return err;
}

static int lookup_in_root(struct daemon *d, const char *name, uint64_t *id)
{
	struct image_gen *g;
	struct node_rt *rt;
	struct stat st;
	img_ino ino;
	bool via_mac;
	struct nid n = {0};
	int loader = pxe_loader_index(name);

	if (strcmp(name, "bootcode.bin") == 0) {
		if (bootcode(d, &g, &ino, &st) != 0)
			return -ENOENT;
		n = (struct nid){.kind = NID_IMG, .gen = image_gen_id(g), .payload = ino};
		image_gen_put(g);
		*id = nid_encode(&n);
		return 0;
	}
	if (loader >= 0) {
		n = (struct nid){.kind = NID_LOADER, .payload = (uint32_t)loader};
		if (loader_stat(d, n.payload, &st) != 0)
			return -ENOENT;
		*id = nid_encode(&n);
		return 0;
	}
	rt = daemon_node_by_client(d, name, &via_mac);
	if (!rt) {
		if (ident_is_serial_name(name) || ident_is_mac_name(name))
			unknown_clients_lookup(d, name);
		return -ENOENT;
	}
	n = (struct nid){.kind = NID_CLIENT, .via_mac = via_mac, .slot = rt->slot};
	*id = nid_encode(&n);
	return 0;
}

/* @name in a node directory: its client dir (the boot dir) or below.
 * @by_server: the TFTP server asked (its bytes count in tftp_bytes). */
static int lookup_in_node(struct daemon *d, const struct nid *pn, uint64_t parent, const char *name,
			  bool by_server, uint64_t *id)
{
	char jail[PATH_MAX];
	struct dirlayers dl;
	struct uobj o;
	struct nctx c;
	int err = node_ctx(d, pn->slot, &c);

	if (err)
		return err;
	err = tree_dir_layers(&c, pn, parent, &dl, jail);
	if (!err) {
		err = node_child(&c, jail, &dl, name, &o);
		if (err == -ENOENT && c.p->pxe && pn->kind == NID_CLIENT)
			err = pxe_alias_child(&c, jail, &dl, name, &o);
		layers_close(&dl);
	}
	if (!err)
		*id = tree_id(&c, &o, pn->via_mac);
	if (!err && by_server && S_ISREG(o.st.st_mode))
		atomic_fetch_add(&c.rt->tftp_bytes, (uint64_t)o.st.st_size);
	node_ctx_put(&c);
	return err == -ESTALE ? -ENOENT : err;
}

/* ".." of a directory id. */
static int parent_of(struct daemon *d, const struct nid *n, uint64_t id, uint64_t *parent)
{
	struct dirlayers dl;
	uint64_t boot_id, up;
	struct nctx c;
	int err;

	if (n->kind == NID_ROOT || n->kind == NID_CLIENT) {
		*parent = FUSE_ROOT_ID;
		return 0;
	}
	if (!n->slot)
		return -ENOTDIR;
	err = node_ctx(d, n->slot, &c);
	if (err)
		return err;
	err = boot_dir_layers(&c, &dl, &boot_id);
	if (!err) {
		layers_close(&dl);
		err = itable_parent(&c.fs->itab, id & ~NID_VIA_MAC_BIT, &up);
	}
	if (!err) {
		struct nid client = {.kind = NID_CLIENT, .via_mac = n->via_mac, .slot = n->slot};

		*parent = up == boot_id ? nid_encode(&client) : tftp_dir_id(up, n->via_mac);
	}
	node_ctx_put(&c);
	return err;
}

static void reply_entry_for(fuse_req_t req, uint64_t id, double entry_timeout)
{
	struct fuse_entry_param e;
	int err;

	entry_init(&e, id, entry_timeout);
	err = getattr_id(req_daemon(req), id, &e.attr);
	if (err)
		fuse_reply_err(req, err == -ENOENT ? ESTALE : -err);
	else
		fuse_reply_entry(req, &e);
}

static void tftp_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct daemon *d = req_daemon(req);
	struct fuse_entry_param e;
	double node_timeout = TIMEOUT_NODE;
	struct node_rt *rt;
	bool by_server;
	uint64_t id = 0;
	struct nid pn;
	int err;

	if (!nid_decode(parent, &pn)) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (strcmp(name, ".") == 0) {
		reply_entry_for(req, parent, timeout_for(parent));
		return;
	}
	if (strcmp(name, "..") == 0) {
		err = parent_of(d, &pn, parent, &id);
	} else if (pn.kind == NID_ROOT) {
		err = lookup_in_root(d, name, &id);
	} else if (pn.slot) {
		rt = daemon_node(d, pn.slot);
		/* A boot re-pins before the pin is read; reads on the server
		 * itself never start one. */
		by_server = rt && tftp_caller_is_server(d, fuse_req_ctx(req)->pid);
		if (by_server)
			node_tftp_request(d, rt, name, pn.kind == NID_CLIENT);
		/* A name cached for a read on the server would hide the TFTP
		 * server's next lookup of it, which may be a boot's start. */
		if (!by_server)
			node_timeout = 0;
		err = lookup_in_node(d, &pn, parent, name, by_server, &id);
	} else {
		err = -ENOTDIR;
	}
	if (err == -ENOENT) {
		/* A negative entry, cached briefly. */
		entry_init(&e, 0, pn.slot ? node_timeout : TIMEOUT_NEGATIVE);
		fuse_reply_entry(req, &e);
	} else if (err) {
		fuse_reply_err(req, -err);
	} else {
		reply_entry_for(req, id, pn.slot ? node_timeout : timeout_for(id));
	}
}

static void tftp_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* An open file's handle: a node's root file or an image file. */
	struct ufile *f = fi ? (struct ufile *)(uintptr_t)fi->fh : NULL;
	struct stat st;
	int err = getattr_id(req_daemon(req), ino, &st);

	/* fstat() of an open file: the size of what it reads (dnsmasq sends
	 * exactly that many bytes), and its attributes even once the node
	 * booted onto another generation. */
	if (f) {
		struct stat fst;

		if (ufile_getattr(f, &fst) == 0) {
			if (err) {
				st = fst;
				attr_present(&st, ino);
				err = 0;
			}
			st.st_size = fst.st_size;
		}
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, timeout_for(ino));
}

/* ---- directories ---------------------------------------------------- */

static int list_root(struct daemon *d, struct dirlist *l)
{
	struct image_gen *g;
	struct stat st;
	img_ino ino;
	uint64_t id;
	size_t i;
	int err = 0;

	if (bootcode(d, &g, &ino, &st) == 0) {
		image_gen_put(g);
		if (lookup_in_root(d, "bootcode.bin", &id) == 0)
			err = dirlist_add(l, "bootcode.bin", id, S_IFREG);
	}
	for (i = 0; !err && i < PXE_N_LOADERS; i++)
		if (lookup_in_root(d, pxe_loader_name((unsigned)i), &id) == 0)
			err = dirlist_add(l, pxe_loader_name((unsigned)i), id, S_IFREG);
	pthread_rwlock_rdlock(&d->cfg_lock);
	for (i = 0; !err && i < mapper_node_count(d->cfg); i++) {
		const struct node *node = mapper_node_at(d->cfg, i);
		struct nid n = {.kind = NID_CLIENT, .slot = node_slots_get(d->slots, node->name)};

		if (!n.slot || !daemon_node(d, n.slot))
			continue;
		if (node->serial[0])
			err = dirlist_add(l, node->serial, nid_encode(&n), S_IFDIR);
		n.via_mac = true;
		if (!err && node->mac[0])
			err = dirlist_add(l, node->mac, nid_encode(&n), S_IFDIR);
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	return err;
}

/* The merged listing of a node directory, each entry resolved as a lookup
 * would (links followed or hidden), so the ids are exact. */
static int list_node_dir(struct daemon *d, const struct nid *n, uint64_t id, struct dirlist *l)
{
	struct dirlist raw = {0};
	char jail[PATH_MAX];
	struct dirlayers dl;
	struct nctx c;
	size_t i;
	int err = node_ctx(d, n->slot, &c);

	if (err)
		return err;
	err = tree_dir_layers(&c, n, id, &dl, jail);
	if (!err) {
		err = union_list_dir(c.fs, c.p, &dl, &raw);
		for (i = 0; !err && i < raw.n; i++) {
			struct uobj o;

			if (node_child(&c, jail, &dl, raw.v[i].name, &o) != 0)
				continue;
			err = dirlist_add(l, raw.v[i].name, tree_id(&c, &o, n->via_mac),
					  o.st.st_mode & S_IFMT);
		}
		layers_close(&dl);
	}
	dirlist_free(&raw);
	node_ctx_put(&c);
	return err;
}

static void tftp_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = req_daemon(req);
	struct dirlist *l = calloc(1, sizeof(*l));
	struct nid n;
	int err;

	if (!l) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!nid_decode(ino, &n))
		err = -ESTALE;
	else if (n.kind == NID_ROOT)
		err = list_root(d, l);
	else if (n.slot)
		err = list_node_dir(d, &n, ino, l);
	else
		err = -ENOTDIR;
	if (err) {
		dirlist_free(l);
		free(l);
		fuse_reply_err(req, -err);
		return;
	}
	dirlist_finish(l);
	fi->fh = (uintptr_t)l;
	fuse_reply_open(req, fi);
}

static int tftp_root_entry_attr(void *ctx, const struct dirent_rec *r, struct fuse_entry_param *e)
{
	entry_init(e, r->ino, timeout_for(r->ino));
	return getattr_id(ctx, r->ino, &e->attr);
}

/* Names listed in a node's tree are not cached: the TFTP server never
 * lists, and a cached name would hide its next lookup (tftp_lookup). */
static int tftp_node_entry_attr(void *ctx, const struct dirent_rec *r, struct fuse_entry_param *e)
{
	entry_init(e, r->ino, 0);
	return getattr_id(ctx, r->ino, &e->attr);
}

static void tftp_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	dirlist_reply(req, (struct dirlist *)(uintptr_t)fi->fh, ino, size, off, NULL, NULL, NULL);
}

static void tftp_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			     struct fuse_file_info *fi)
{
	struct nid n;
	bool in_node = nid_decode(ino, &n) && n.slot;

	dirlist_reply(req, (struct dirlist *)(uintptr_t)fi->fh, ino, size, off,
		      in_node ? tftp_node_entry_attr : tftp_root_entry_attr, NULL, req_daemon(req));
}

static void tftp_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirlist *l = (struct dirlist *)(uintptr_t)fi->fh;

	(void)ino;
	dirlist_free(l);
	free(l);
	fuse_reply_err(req, 0);
}

/* ---- files ---------------------------------------------------------- */

static int open_node_file(struct daemon *d, const struct nid *n, uint64_t id, struct ufile *rf,
			  bool *keep_cache)
{
	char name[NAME_MAX + 1];
	struct dirlayers parent;
	struct uobj o;
	struct nctx c;
	int err = node_ctx(d, n->slot, &c);

	if (!err)
		err = layers_resolve_id(c.fs, c.p, id & ~NID_VIA_MAC_BIT, &parent, name, &o);
	if (!err) {
		err = S_ISREG(o.st.st_mode)
			      ? ufile_open_ro(c.fs, c.p, &parent, name, &o, rf, keep_cache)
			      : -EISDIR;
		layers_close(&parent);
	}
	node_ctx_put(&c);
	return err;
}

static int open_image_file(struct daemon *d, const struct nid *n, struct ufile *rf,
			   bool *keep_cache)
{
	struct stat st;

	rf->gen = daemon_gen_get(d, 0, n->gen);
	if (!rf->gen)
		return -ESTALE;
	rf->ino = n->payload;
	*keep_cache = true;
	return img_getattr(rf->gen, rf->ino, &st);
}

static int open_loader(struct daemon *d, const struct nid *n, struct ufile *rf, bool *keep_cache)
{
	char path[PATH_MAX];
	int err = loader_path(d, n->payload, path, sizeof(path));

	if (err)
		return err;
	rf->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (rf->fd < 0)
		return -errno;
	*keep_cache = false;
	return 0;
}

static void tftp_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = req_daemon(req);
	struct ufile *rf = ufile_new();
	bool keep_cache = false;
	struct nid n;
	int err;

	if (!rf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		err = -EROFS;
	else if (!nid_decode(ino, &n))
		err = -ESTALE;
	else if (n.kind == NID_ROOT || n.kind == NID_CLIENT)
		err = -EISDIR;
	else if (n.kind == NID_LOADER)
		err = open_loader(d, &n, rf, &keep_cache);
	else if (n.slot)
		/* Under the current pin: a boot re-pins at its lookup. */
		err = open_node_file(d, &n, ino, rf, &keep_cache);
	else
		err = open_image_file(d, &n, rf, &keep_cache);
	if (err) {
		ufile_close(rf);
		fuse_reply_err(req, -err);
		return;
	}
	fi->keep_cache = keep_cache;
	fi->noflush = 1; /* read-only: no FLUSH round trip per close */
	fi->fh = (uintptr_t)rf;
	fuse_reply_open(req, fi);
}

static void tftp_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)ino;
	reply_ufile_data(req, (struct ufile *)(uintptr_t)fi->fh, size, off);
}

static void tftp_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	ufile_close((struct ufile *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void tftp_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv = {.f_bsize = 4096, .f_frsize = 4096, .f_namemax = 255};

	(void)ino;
	fuse_reply_statfs(req, &sv);
}

static void tftp_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Handles must survive forgets and restarts: NFS export rules. */
	if (conn->capable & FUSE_CAP_EXPORT_SUPPORT)
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
}

const struct fuse_lowlevel_ops tftp_ops = {
	.init = tftp_init,
	.lookup = tftp_lookup,
	.getattr = tftp_getattr,
	.opendir = tftp_opendir,
	.readdir = tftp_readdir,
	.readdirplus = tftp_readdirplus,
	.releasedir = tftp_releasedir,
	.open = tftp_open,
	.read = tftp_read,
	.release = tftp_release,
	.statfs = tftp_statfs,
};
