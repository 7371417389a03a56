/* SPDX-License-Identifier: MIT */
/*
 * Private to fusefs/tftp/'s view files. Bottom up: tftp_tree.c (ids,
 * attributes, names of the view through the nodes' roots), then the
 * handlers tftp_lookup.c, tftp_readdir.c, tftp_read.c, and tftp.c (the
 * table) on top.
 */
#ifndef NETBOOTFS_TFTP_PRIV_H
#define NETBOOTFS_TFTP_PRIV_H

#include <fuse_lowlevel.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fusefs/context.h"
#include "fusefs/union/union.h"

#define TIMEOUT_LONG	 86400.0 /* the root and client dirs: invalidated explicitly */
#define TIMEOUT_NODE	 1.0	 /* node files: the node may rewrite them in its root */
#define TIMEOUT_NEGATIVE 1.0	 /* unknown clients may be added by a reload */

/* A request about a node's tree: the node, the union of its root and its
 * current pin. */
struct nctx {
	struct node_rt *rt;
	struct union_fs *fs;
	struct pin *p;
};

/* A node object of the tree, found by its id: the node's request context,
 * the layers of the object's parent, its name, the object. */
struct nobj {
	struct nctx c;
	struct dirlayers parent;
	char name[NAME_MAX + 1];
	struct uobj o;
};

static inline struct daemon *req_daemon(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* ---- tftp_tree.c ----------------------------------------------------- */

/* How long the attributes of @id may be cached. */
double tftp_timeout_for(uint64_t id);

/* @entry_timeout: TIMEOUT_NODE for every name in a node's tree, whatever
 * its id; the attributes of an id are cached as long as the id allows. */
void tftp_entry_init(struct fuse_entry_param *e, uint64_t id, double entry_timeout);

/*
 * Read-only, owned by root, readable by whom the node's root lets read: the
 * kernel checks local users against these bits (default_permissions), and
 * dnsmasq serves only files others may read (as root it checks S_IROTH
 * itself; as user dnsmasq its open() fails).
 */
void tftp_attr_present(struct stat *st, uint64_t id);

int tftp_node_ctx(struct daemon *d, unsigned slot, struct nctx *c);

void tftp_node_ctx_put(struct nctx *c);

/* Node object @id of @n's tree into @t (what a node file's GETATTR and OPEN
 * share): t->c is taken whatever the result (tftp_node_ctx_put() it), and
 * on success t->parent is open (layers_close() it). */
int tftp_node_object(struct daemon *d, const struct nid *n, uint64_t id, struct nobj *t);

/*
 * The layers of directory @id of a node's tree (@n: its client dir is the
 * boot dir) and the boot dir's union path, @jail (PATH_MAX bytes), which
 * nothing in the tree may leave: tftp_node_child() walks from the node's root
 * again, so a directory the node moved out of its boot dir shows nothing.
 */
int tftp_tree_dir_layers(struct nctx *c, const struct nid *n, uint64_t id, struct dirlayers *dl,
			 char *jail);

/*
 * @name in directory @dl, links followed while they stay inside @jail. A
 * link to a directory is hidden: a directory must have one parent.
 */
int tftp_node_child(struct nctx *c, const char *jail, struct dirlayers *dl, const char *name,
		    struct uobj *o);

/* The id of node object @o in the tree reached through the serial or MAC
 * dir: shared by all nodes when it is a file of the image, unchanged. */
uint64_t tftp_tree_id(const struct nctx *c, const struct uobj *o, bool via_mac);

/* bootcode.bin: default_image's, looked up inside that image only. */
int tftp_bootcode(struct daemon *d, struct image_gen **g, img_ino *ino, struct stat *st);

/* The host path of loader @idx under [server] loaders. */
int tftp_loader_path(struct daemon *d, unsigned idx, char *path, size_t size);

int tftp_getattr_id(struct daemon *d, uint64_t id, struct stat *st);

int tftp_lookup_in_root(struct daemon *d, const char *name, uint64_t *id);

/* @name in a node directory: its client dir (the boot dir) or below.
 * @by_server: the TFTP server asked (its bytes count in tftp_bytes). */
int tftp_lookup_in_node(struct daemon *d, const struct nid *pn, uint64_t parent, const char *name,
			bool by_server, uint64_t *id);

/* ".." of a directory id. */
int tftp_parent_of(struct daemon *d, const struct nid *n, uint64_t id, uint64_t *parent);

/* ---- the handlers (tftp.c puts them in its table) --------------------- */

void tftp_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void tftp_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void tftp_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void tftp_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi);
void tftp_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi);
void tftp_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void tftp_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void tftp_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void tftp_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void tftp_statfs(fuse_req_t req, fuse_ino_t ino);

#endif
