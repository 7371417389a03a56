/* SPDX-License-Identifier: MIT */
/*
 * The view's names and attributes: ids, how long they are cached, a node's
 * tree through its root (links kept inside the boot dir, a PXE node's
 * kernel aliases), the TFTP root's entries (bootcode.bin, the loaders).
 * No FUSE reply is sent here.
 */
#include "fusefs/tftp/tftp_priv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusefs/tftp/pxe.h"
#include "fusefs/tftp/unknown_clients.h"
#include "mapper/ident.h"

double tftp_timeout_for(uint64_t id)
{
	struct nid n;

	if (!nid_decode(id, &n))
		return TIMEOUT_LONG;
	if (n.kind == NID_LOADER) /* a package upgrade replaces them */
		return TIMEOUT_NODE;
	return n.slot && n.kind != NID_CLIENT ? TIMEOUT_NODE : TIMEOUT_LONG;
}

void tftp_entry_init(struct fuse_entry_param *e, uint64_t id, double entry_timeout)
{
	memset(e, 0, sizeof(*e));
	e->ino = id;
	e->attr_timeout = id ? tftp_timeout_for(id) : entry_timeout;
	e->entry_timeout = entry_timeout;
}

void tftp_attr_present(struct stat *st, uint64_t id)
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
	tftp_attr_present(st, id);
	st->st_nlink = 2;
}

int tftp_node_ctx(struct daemon *d, unsigned slot, struct nctx *c)
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

void tftp_node_ctx_put(struct nctx *c)
{
	pin_put(c->p);
	union_fs_put(c->fs);
	c->p = NULL;
	c->fs = NULL;
}

int tftp_node_object(struct daemon *d, const struct nid *n, uint64_t id, struct nobj *t)
{
	int err = tftp_node_ctx(d, n->slot, &t->c);

	if (err)
		return err;
	return layers_resolve_id(t->c.fs, t->c.p, id & ~NID_VIA_MAC_BIT, &t->parent, t->name,
				 &t->o);
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

int tftp_tree_dir_layers(struct nctx *c, const struct nid *n, uint64_t id, struct dirlayers *dl,
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
	err = layers_open_dir_id(c->fs, c->p, id & ~NID_VIA_MAC_BIT, dl);
	if (!err && (err = layers_set_path(c->fs, dl)))
		layers_close(dl);
	return err;
}

int tftp_node_child(struct nctx *c, const char *jail, struct dirlayers *dl, const char *name,
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
		err = pick ? tftp_node_child(c, jail, dl, pick, o) : -ENOENT;
	free(names);
	dirlist_free(&raw);
	return err;
}

uint64_t tftp_tree_id(const struct nctx *c, const struct uobj *o, bool via_mac)
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
	struct nobj t;
	int err = tftp_node_object(d, n, id, &t);

	if (!err) {
		layers_close(&t.parent);
		*st = t.o.st;
		tftp_attr_present(st, id);
	} else if (err == -ESTALE && t.c.fs &&
		   union_open_getattr(t.c.fs, id & ~NID_VIA_MAC_BIT, st) == 0) {
		tftp_attr_present(st, id); /* open before the node booted elsewhere */
		err = 0;
	}
	tftp_node_ctx_put(&t.c);
	return err == -ESTALE ? -ENOENT : err;
}

int tftp_bootcode(struct daemon *d, struct image_gen **g, img_ino *ino, struct stat *st)
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

int tftp_loader_path(struct daemon *d, unsigned idx, char *path, size_t size)
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
	int err = tftp_loader_path(d, idx, path, sizeof(path));

	if (!err && stat(path, st) != 0)
		err = -errno;
	if (!err && (!S_ISREG(st->st_mode) || !(st->st_mode & S_IROTH)))
		err = -ENOENT;
	return err;
}

int tftp_getattr_id(struct daemon *d, uint64_t id, struct stat *st)
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
			tftp_attr_present(st, id);
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
		tftp_attr_present(st, id);
	return err;
}

int tftp_lookup_in_root(struct daemon *d, const char *name, uint64_t *id)
{
	struct image_gen *g;
	struct node_rt *rt;
	struct stat st;
	img_ino ino;
	bool via_mac;
	struct nid n = {0};
	int loader = pxe_loader_index(name);

	if (strcmp(name, "bootcode.bin") == 0) {
		if (tftp_bootcode(d, &g, &ino, &st) != 0)
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

int tftp_lookup_in_node(struct daemon *d, const struct nid *pn, uint64_t parent, const char *name,
			bool by_server, uint64_t *id)
{
	char jail[PATH_MAX];
	struct dirlayers dl;
	struct uobj o;
	struct nctx c;
	int err = tftp_node_ctx(d, pn->slot, &c);

	if (err)
		return err;
	err = tftp_tree_dir_layers(&c, pn, parent, &dl, jail);
	if (!err) {
		err = tftp_node_child(&c, jail, &dl, name, &o);
		if (err == -ENOENT && c.p->pxe && pn->kind == NID_CLIENT)
			err = pxe_alias_child(&c, jail, &dl, name, &o);
		layers_close(&dl);
	}
	if (!err)
		*id = tftp_tree_id(&c, &o, pn->via_mac);
	if (!err && by_server && S_ISREG(o.st.st_mode))
		atomic_fetch_add(&c.rt->tftp_bytes, (uint64_t)o.st.st_size);
	tftp_node_ctx_put(&c);
	return err == -ESTALE ? -ENOENT : err;
}

int tftp_parent_of(struct daemon *d, const struct nid *n, uint64_t id, uint64_t *parent)
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
	err = tftp_node_ctx(d, n->slot, &c);
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
	tftp_node_ctx_put(&c);
	return err;
}
