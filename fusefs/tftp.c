/* SPDX-License-Identifier: MIT */
/*
 * <tftp_root>/                 bootcode.bin (from default_image), and per node
 * <tftp_root>/<serial>/        its pinned image's boot dir + generated cmdline.txt
 * <tftp_root>/<mac>/           the same tree under the MAC name
 *
 * Everything is read-only (dirs 0555, files 0444, owned by root) and
 * stateless: a node id says which node, which generation and which
 * squashfs inode, so any id resolves after the kernel forgot it or after a
 * daemon restart (NFS export rules, DESIGN.md section 6).
 */
#include "fusefs/tftp.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "fusefs/daemon.h"
#include "fusefs/dirlist.h"
#include "fusefs/dirreply.h"
#include "fusefs/log.h"
#include "fusefs/nodeid.h"
#include "mapper/ident.h"

#define TIMEOUT_IMMUTABLE 86400.0 /* image content never changes under an id */
#define TIMEOUT_NEGATIVE  1.0     /* unknown clients may be added by a reload */
#define MAX_LINKS         40

/* An open file: image content (holding its generation) or a snapshot of a
 * generated file, so content and size stay stable while open. */
struct tftp_file {
	struct image_gen *gen;
	img_ino ino;
	struct node_rt *rt;
	char *data;
	size_t len;
};

static struct daemon *req_daemon(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void attr_dir(struct stat *st, uint64_t id)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = id;
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
}

/* Present an image inode read-only and world-readable. */
static void attr_from_image(struct stat *st, uint64_t id)
{
	mode_t type = st->st_mode & S_IFMT;

	st->st_ino = id;
	st->st_mode = type | (type == S_IFDIR ? 0555 : 0444);
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_dev = 0;
}

/* The boot dir inode of generation @g as node @slot sees it. */
static int boot_ino_in(struct daemon *d, unsigned slot, struct image_gen *g, img_ino *ino)
{
	struct node_rt *rt = daemon_node(d, slot);
	struct pin *p = rt ? node_pin_get(rt) : NULL;
	struct stat st;
	int err = -ENOENT;

	if (p && p->gen == g && p->has_boot) {
		*ino = p->boot_ino;
		err = 0;
	} else if (p && p->gen && *p->boot_dir) {
		err = img_resolve(g, p->boot_dir, true, ino, &st);
	}
	pin_put(p);
	return err;
}

/* Directory path of @dir inside the image, found by walking up. Only used
 * to resolve relative symlinks, which boot trees rarely have. */
struct find_child {
	img_ino child;
	char name[256];
};

static int find_child_cb(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t off)
{
	struct find_child *fc = ctx;

	(void)type;
	(void)off;
	if (ino != fc->child)
		return 0;
	snprintf(fc->name, sizeof(fc->name), "%s", name);
	return 1;
}

static int image_dir_path(struct image_gen *g, img_ino dir, char *buf, size_t size)
{
	img_ino root, cur = dir, parent;
	char tmp[PATH_MAX];
	int depth, err;

	err = img_root(g, &root);
	if (err)
		return err;
	buf[0] = '\0';
	for (depth = 0; cur != root; depth++) {
		struct find_child fc = {.child = cur};

		if (depth > 255)
			return -ELOOP;
		err = img_parent(g, cur, &parent);
		if (err)
			return err;
		err = img_readdir(g, parent, 0, find_child_cb, &fc);
		if (err < 0)
			return err;
		if (!fc.name[0])
			return -ENOENT;
		if (snprintf(tmp, sizeof(tmp), "%s%s%s", fc.name, buf[0] ? "/" : "", buf) >=
		    (int)sizeof(tmp))
			return -ENAMETOOLONG;
		snprintf(buf, size, "%s", tmp);
		cur = parent;
	}
	return 0;
}

/*
 * A symlink in a boot tree is shown as what it points to *inside the
 * image* (dnsmasq follows links on the server, so a link must never reach
 * a host file). Links to directories or to nothing are hidden.
 */
static int resolve_link(struct image_gen *g, img_ino dir, img_ino link, img_ino *ino,
			struct stat *st)
{
	char target[PATH_MAX], path[PATH_MAX * 2], dirpath[PATH_MAX];
	ssize_t n;
	int err;

	n = img_readlink(g, link, target, sizeof(target));
	if (n < 0)
		return (int)n;
	if (target[0] == '/') {
		snprintf(path, sizeof(path), "%s", target);
	} else {
		err = image_dir_path(g, dir, dirpath, sizeof(dirpath));
		if (err)
			return err;
		snprintf(path, sizeof(path), "%s/%s", dirpath, target);
	}
	err = img_resolve(g, path, true, ino, st);
	if (err)
		return err;
	return S_ISREG(st->st_mode) ? 0 : -ENOENT;
}

/* Look @name up in image directory @dir; symlinks resolved as above. */
static int image_child(struct image_gen *g, img_ino dir, const char *name, img_ino *ino,
		       struct stat *st)
{
	int err = img_lookup(g, dir, name, ino, st);

	if (err == 0 && S_ISLNK(st->st_mode))
		err = resolve_link(g, dir, *ino, ino, st);
	return err;
}

static void entry_init(struct fuse_entry_param *e, uint64_t id, double timeout)
{
	memset(e, 0, sizeof(*e));
	e->ino = id;
	e->generation = 0;
	e->attr_timeout = timeout;
	e->entry_timeout = timeout;
}

/* Attributes of any id; -ENOENT for ids that name nothing (now). */
static int tftp_getattr_id(struct daemon *d, uint64_t id, struct stat *st)
{
	struct image_gen *g;
	struct node_rt *rt;
	struct pin *p;
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
	case NID_GEN:
		rt = daemon_node(d, n.slot);
		p = rt ? node_pin_get(rt) : NULL;
		if (!p || n.payload != GEN_CMDLINE) {
			pin_put(p);
			return -ENOENT;
		}
		memset(st, 0, sizeof(*st));
		st->st_ino = id;
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)p->cmdline_len;
		pin_put(p);
		return 0;
	case NID_IMG:
		g = daemon_gen_get(d, n.slot, n.gen);
		if (!g)
			return -ENOENT;
		err = img_getattr(g, n.payload, st);
		image_gen_put(g);
		if (err)
			return err;
		if (S_ISLNK(st->st_mode))
			return -ENOENT; /* never handed out */
		attr_from_image(st, id);
		return 0;
	default:
		return -ENOENT; /* root-mount kinds never reach <tftp_root> */
	}
}

static void reply_entry_for(fuse_req_t req, uint64_t id, double timeout)
{
	struct fuse_entry_param e;
	int err;

	entry_init(&e, id, timeout);
	err = tftp_getattr_id(req_daemon(req), id, &e.attr);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_entry(req, &e);
}

static void record_unknown_client(struct daemon *d, const char *name)
{
	char state[PATH_MAX];
	int err;

	pthread_rwlock_rdlock(&d->cfg_lock);
	snprintf(state, sizeof(state), "%s", mapper_server(d->cfg)->state);
	pthread_rwlock_unlock(&d->cfg_lock);
	err = discovered_record(state, name, "tftp", NULL, NULL, NULL, time(NULL));
	if (err)
		log_warn("cannot record unknown client %s in %s: %s", name, state,
			 strerror(-err));
	else
		log_info("unknown client %s asked for its boot tree", name);
}

static int lookup_in_root(struct daemon *d, const char *name, uint64_t *id)
{
	struct node_rt *rt;
	struct nid n = {0};
	struct pin *p;
	struct stat st;
	img_ino ino;
	bool via_mac;
	int err;

	if (strcmp(name, "bootcode.bin") == 0) {
		rt = daemon_node(d, 0);
		p = rt ? node_pin_get(rt) : NULL;
		err = -ENOENT;
		if (p && p->has_boot) {
			err = image_child(p->gen, p->boot_ino, name, &ino, &st);
			n = (struct nid){.kind = NID_IMG, .gen = image_gen_id(p->gen),
					 .payload = ino};
		}
		pin_put(p);
		if (!err)
			*id = nid_encode(&n);
		return err;
	}
	rt = daemon_node_by_client(d, name, &via_mac);
	if (!rt) {
		if (ident_is_serial_name(name) || ident_is_mac_name(name))
			record_unknown_client(d, name);
		return -ENOENT;
	}
	n = (struct nid){.kind = NID_CLIENT, .via_mac = via_mac, .slot = rt->slot};
	*id = nid_encode(&n);
	return 0;
}

static int lookup_in_client(struct daemon *d, const struct nid *parent, const char *name,
			    uint64_t *id)
{
	struct node_rt *rt = daemon_node(d, parent->slot);
	struct nid n = *parent;
	struct pin *p;
	struct stat st;
	img_ino ino;
	int err = -ENOENT;

	if (!rt)
		return -ENOENT;
	if (strcmp(name, "cmdline.txt") == 0) {
		n.kind = NID_GEN;
		n.payload = GEN_CMDLINE;
		*id = nid_encode(&n);
		return 0;
	}
	p = node_pin_get(rt);
	if (p && p->has_boot) {
		err = image_child(p->gen, p->boot_ino, name, &ino, &st);
		n.kind = NID_IMG;
		n.gen = image_gen_id(p->gen);
		n.payload = ino;
	}
	pin_put(p);
	if (!err)
		*id = nid_encode(&n);
	return err;
}

static int lookup_in_image_dir(struct daemon *d, const struct nid *parent, const char *name,
			       uint64_t *id)
{
	struct image_gen *g = daemon_gen_get(d, parent->slot, parent->gen);
	struct nid n = *parent;
	struct stat st;
	img_ino ino;
	int err;

	if (!g)
		return -ENOENT;
	err = image_child(g, parent->payload, name, &ino, &st);
	image_gen_put(g);
	if (err)
		return err;
	n.payload = ino;
	*id = nid_encode(&n);
	return 0;
}

/* ".." of a directory id. */
static int parent_of(struct daemon *d, const struct nid *dir, uint64_t *id)
{
	struct nid n = *dir;
	struct image_gen *g;
	img_ino boot, parent;
	int err;

	switch (dir->kind) {
	case NID_ROOT:
	case NID_CLIENT:
		*id = FUSE_ROOT_ID;
		return 0;
	case NID_IMG:
		g = daemon_gen_get(d, dir->slot, dir->gen);
		if (!g)
			return -ENOENT;
		err = boot_ino_in(d, dir->slot, g, &boot);
		if (!err)
			err = img_parent(g, dir->payload, &parent);
		image_gen_put(g);
		if (err)
			return err;
		if (parent == boot) {
			n = (struct nid){.kind = NID_CLIENT, .via_mac = dir->via_mac,
					 .slot = dir->slot};
		} else {
			n.payload = parent;
		}
		*id = nid_encode(&n);
		return 0;
	default:
		return -ENOTDIR;
	}
}

static void tftp_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct daemon *d = req_daemon(req);
	struct fuse_entry_param e;
	uint64_t id = 0;
	struct nid pn;
	int err;

	if (!nid_decode(parent, &pn)) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (strcmp(name, ".") == 0) {
		reply_entry_for(req, parent, TIMEOUT_IMMUTABLE);
		return;
	}
	if (strcmp(name, "..") == 0) {
		err = parent_of(d, &pn, &id);
		goto reply;
	}
	switch (pn.kind) {
	case NID_ROOT:
		err = lookup_in_root(d, name, &id);
		break;
	case NID_CLIENT:
		err = lookup_in_client(d, &pn, name, &id);
		break;
	case NID_IMG:
		err = lookup_in_image_dir(d, &pn, name, &id);
		break;
	default:
		err = -ENOTDIR;
	}
reply:
	if (err == -ENOENT) {
		/* A negative entry, cached briefly. */
		entry_init(&e, 0, TIMEOUT_NEGATIVE);
		fuse_reply_entry(req, &e);
		return;
	}
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	reply_entry_for(req, id, TIMEOUT_IMMUTABLE);
}

static void tftp_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int err;

	/* fstat() of an open generated file: the size of what it reads. */
	if (fi && fi->fh) {
		struct tftp_file *f = (struct tftp_file *)(uintptr_t)fi->fh;

		if (f->data) {
			err = tftp_getattr_id(req_daemon(req), ino, &st);
			if (!err) {
				st.st_size = (off_t)f->len;
				fuse_reply_attr(req, &st, TIMEOUT_IMMUTABLE);
				return;
			}
		}
	}
	err = tftp_getattr_id(req_daemon(req), ino, &st);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, TIMEOUT_IMMUTABLE);
}

/* ---- directories ---------------------------------------------------- */

struct list_ctx {
	struct dirlist *l;
	struct image_gen *g;
	img_ino dir;
	struct nid base;
	int err;
};

static int list_image_cb(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t off)
{
	struct list_ctx *lc = ctx;
	struct nid n = lc->base;
	struct stat st;

	(void)off;
	if (S_ISLNK(type)) {
		if (resolve_link(lc->g, lc->dir, ino, &ino, &st) != 0)
			return 0; /* hidden */
		type = S_IFREG;
	}
	n.payload = ino;
	lc->err = dirlist_add(lc->l, name, nid_encode(&n), type & S_IFMT);
	return lc->err;
}

static int list_image_dir(struct dirlist *l, struct image_gen *g, img_ino dir,
			  const struct nid *base)
{
	struct list_ctx lc = {.l = l, .g = g, .dir = dir, .base = *base};
	int err;

	lc.base.kind = NID_IMG;
	lc.base.gen = image_gen_id(g);
	err = img_readdir(g, dir, 0, list_image_cb, &lc);
	if (err < 0)
		return err;
	return lc.err < 0 ? lc.err : 0;
}

static int list_root(struct daemon *d, struct dirlist *l)
{
	struct node_rt *rt = daemon_node(d, 0);
	struct pin *p = rt ? node_pin_get(rt) : NULL;
	uint64_t id;
	size_t i;
	int err = 0;

	if (p && p->has_boot && lookup_in_root(d, "bootcode.bin", &id) == 0)
		err = dirlist_add(l, "bootcode.bin", id, S_IFREG);
	pin_put(p);
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

static int list_client(struct daemon *d, const struct nid *dir, struct dirlist *l)
{
	struct node_rt *rt = daemon_node(d, dir->slot);
	struct pin *p = rt ? node_pin_get(rt) : NULL;
	struct nid n = *dir;
	int err = 0;

	if (!p)
		return -ENOENT;
	n.kind = NID_GEN;
	n.payload = GEN_CMDLINE;
	/* Added first, so it wins over the image's own cmdline.txt. */
	err = dirlist_add(l, "cmdline.txt", nid_encode(&n), S_IFREG);
	if (!err && p->has_boot)
		err = list_image_dir(l, p->gen, p->boot_ino, dir);
	pin_put(p);
	return err;
}

static void tftp_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = req_daemon(req);
	struct dirlist *l = calloc(1, sizeof(*l));
	struct image_gen *g;
	struct nid n;
	int err;

	if (!l) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!nid_decode(ino, &n)) {
		err = -ESTALE;
		goto fail;
	}
	switch (n.kind) {
	case NID_ROOT:
		err = list_root(d, l);
		break;
	case NID_CLIENT:
		err = list_client(d, &n, l);
		break;
	case NID_IMG:
		g = daemon_gen_get(d, n.slot, n.gen);
		err = g ? list_image_dir(l, g, n.payload, &n) : -ENOENT;
		if (g)
			image_gen_put(g);
		/* Image directories never change under an id. */
		fi->cache_readdir = 1;
		fi->keep_cache = 1;
		break;
	default:
		err = -ENOTDIR;
	}
	if (err)
		goto fail;
	dirlist_finish(l);
	fi->fh = (uintptr_t)l;
	fuse_reply_open(req, fi);
	return;
fail:
	dirlist_free(l);
	free(l);
	fuse_reply_err(req, -err);
}

static int tftp_entry_attr(void *ctx, const struct dirent_rec *r, struct fuse_entry_param *e)
{
	entry_init(e, r->ino, TIMEOUT_IMMUTABLE);
	return tftp_getattr_id(ctx, r->ino, &e->attr);
}

static void tftp_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	dirlist_reply(req, (struct dirlist *)(uintptr_t)fi->fh, ino, size, off, NULL, NULL);
}

static void tftp_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			     struct fuse_file_info *fi)
{
	dirlist_reply(req, (struct dirlist *)(uintptr_t)fi->fh, ino, size, off, tftp_entry_attr,
		      req_daemon(req));
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

static void tftp_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = req_daemon(req);
	struct tftp_file *f;
	struct node_rt *rt;
	struct pin *p;
	struct nid n;

	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (!nid_decode(ino, &n) || (n.kind != NID_IMG && n.kind != NID_GEN)) {
		fuse_reply_err(req, n.kind == NID_ROOT || n.kind == NID_CLIENT ? EISDIR : ESTALE);
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rt = n.slot ? daemon_node(d, n.slot) : NULL;
	if (rt) {
		/* An open in a boot tree is what tells a boot from a running node. */
		node_tftp_activity(d, rt);
		f->rt = rt;
	}
	if (n.kind == NID_GEN) {
		p = rt ? node_pin_get(rt) : NULL;
		if (p && n.payload == GEN_CMDLINE) {
			f->data = malloc(p->cmdline_len ? p->cmdline_len : 1);
			if (f->data) {
				memcpy(f->data, p->cmdline, p->cmdline_len);
				f->len = p->cmdline_len;
			}
		}
		pin_put(p);
		if (!f->data) {
			free(f);
			fuse_reply_err(req, ENOENT);
			return;
		}
	} else {
		f->gen = daemon_gen_get(d, n.slot, n.gen);
		f->ino = n.payload;
		if (!f->gen) {
			free(f);
			fuse_reply_err(req, ESTALE);
			return;
		}
		/* Image content is immutable: keep decompressed pages cached. */
		fi->keep_cache = 1;
	}
	fi->fh = (uintptr_t)f;
	fuse_reply_open(req, fi);
}

static void tftp_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct tftp_file *f = (struct tftp_file *)(uintptr_t)fi->fh;
	char *buf;
	ssize_t n;

	if (f->data) {
		size_t len = (size_t)off < f->len ? f->len - (size_t)off : 0;

		fuse_reply_buf(req, f->data + (len ? off : 0), len < size ? len : size);
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = img_read(f->gen, f->ino, buf, size, off);
	if (n < 0) {
		log_err("read of %s generation %u inode %u (node id %#lx) at %lld: %s",
			image_gen_name(f->gen), image_gen_id(f->gen), f->ino, (unsigned long)ino,
			(long long)off, strerror((int)-n));
		fuse_reply_err(req, (int)-n);
	} else {
		if (f->rt)
			atomic_fetch_add(&f->rt->tftp_bytes, (uint64_t)n);
		fuse_reply_buf(req, buf, (size_t)n);
	}
	free(buf);
}

static void tftp_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct tftp_file *f = (struct tftp_file *)(uintptr_t)fi->fh;

	(void)ino;
	if (f->gen)
		image_gen_put(f->gen);
	free(f->data);
	free(f);
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
		conn->want |= FUSE_CAP_SPLICE_WRITE;
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
