/* SPDX-License-Identifier: MIT */
/* The TFTP view: listings of the TFTP root and of a node's tree. */
#include "fusefs/tftp/tftp_priv.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "fusefs/serve/dirreply.h"
#include "fusefs/tftp/pxe.h"

static int list_root(struct daemon *d, struct dirlist *l)
{
	struct image_gen *g;
	struct stat st;
	img_ino ino;
	uint64_t id;
	size_t i;
	int err = 0;

	if (tftp_bootcode(d, &g, &ino, &st) == 0) {
		image_gen_put(g);
		if (tftp_lookup_in_root(d, "bootcode.bin", &id) == 0)
			err = dirlist_add(l, "bootcode.bin", id, S_IFREG);
	}
	for (i = 0; !err && i < PXE_N_LOADERS; i++)
		if (tftp_lookup_in_root(d, pxe_loader_name((unsigned)i), &id) == 0)
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
	int err = tftp_node_ctx(d, n->slot, &c);

	if (err)
		return err;
	err = tftp_tree_dir_layers(&c, n, id, &dl, jail);
	if (!err) {
		err = union_list_dir(c.fs, c.p, &dl, &raw);
		for (i = 0; !err && i < raw.n; i++) {
			struct uobj o;

			if (tftp_node_child(&c, jail, &dl, raw.v[i].name, &o) != 0)
				continue;
			err = dirlist_add(l, raw.v[i].name, tftp_tree_id(&c, &o, n->via_mac),
					  o.st.st_mode & S_IFMT);
		}
		layers_close(&dl);
	}
	dirlist_free(&raw);
	tftp_node_ctx_put(&c);
	return err;
}

void tftp_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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
	tftp_entry_init(e, r->ino, tftp_timeout_for(r->ino));
	return tftp_getattr_id(ctx, r->ino, &e->attr);
}

/* Names listed in a node's tree are not cached: the TFTP server never
 * lists, and a cached name would hide its next lookup (tftp_lookup). */
static int tftp_node_entry_attr(void *ctx, const struct dirent_rec *r, struct fuse_entry_param *e)
{
	tftp_entry_init(e, r->ino, 0);
	return tftp_getattr_id(ctx, r->ino, &e->attr);
}

void tftp_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	dirlist_reply(req, (struct dirlist *)(uintptr_t)fi->fh, ino, size, off, NULL, NULL, NULL);
}

void tftp_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct nid n;
	bool in_node = nid_decode(ino, &n) && n.slot;

	dirlist_reply(req, (struct dirlist *)(uintptr_t)fi->fh, ino, size, off,
		      in_node ? tftp_node_entry_attr : tftp_root_entry_attr, NULL, req_daemon(req));
}

void tftp_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirlist *l = (struct dirlist *)(uintptr_t)fi->fh;

	(void)ino;
	dirlist_free(l);
	free(l);
	fuse_reply_err(req, 0);
}
