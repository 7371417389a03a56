/* SPDX-License-Identifier: MIT */
/*
 * Path resolution through a node's union *with* symlinks followed, as in a
 * chroot of the node's root: an absolute target starts again at the node's
 * root and ".." never climbs above it. The TFTP view needs this because
 * dnsmasq follows links on the server: a link must lead to a file of the
 * node's own view, never to a host file. A boot directory asks for more (a
 * jail): a link in it is followed only while it stays inside it, so a boot
 * file can never name the node's /etc/shadow; and every directory on the
 * way must be searchable by others, as it is for a TFTP client in the
 * node's root (dnsmasq as root would pass any directory of the mount).
 */
#include "fusefs/union/union_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/chroot_walk.h"

#define MAX_DEPTH 256

/* The walk's state: the current directory's layers, the ids of the
 * directories down to it, and the object just looked up. */
struct union_walk {
	struct union_fs *fs;
	struct pin *p;
	struct dirlayers cur;
	bool cur_open;
	uint64_t ids[MAX_DEPTH];
	unsigned depth;
	struct uobj *o;
	char *name; /* NAME_MAX + 1 bytes */
};

static int walk_lookup(void *ctx, const char *name, mode_t *mode)
{
	struct union_walk *uw = ctx;
	int err = layers_lookup(uw->fs, uw->p, &uw->cur, name, uw->o);

	if (!err)
		err = itable_set(&uw->fs->itab, uw->o->id, uw->ids[uw->depth], name);
	if (!err) {
		snprintf(uw->name, NAME_MAX + 1, "%s", name);
		*mode = uw->o->st.st_mode;
	}
	return err;
}

static int walk_readlink(void *ctx, char *buf, size_t size)
{
	struct union_walk *uw = ctx;
	const struct uobj *o = uw->o;
	ssize_t n;

	if (o->top == L_IMAGE) {
		n = img_readlink(uw->p->gen, o->img, buf, size);
		return n < 0 ? (int)n : 0;
	}
	if (o->top != L_UPPER && o->top != L_SHARED)
		return -EINVAL;
	n = readlinkat(o->top == L_UPPER ? uw->cur.upper_fd : uw->cur.shared_fd[o->top_shared],
		       uw->name, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int walk_enter(void *ctx)
{
	struct union_walk *uw = ctx;
	struct dirlayers next;
	int err;

	if (uw->depth + 1 >= MAX_DEPTH)
		return -ELOOP;
	err = layers_step(uw->fs, uw->p, &uw->cur, uw->name, &next);
	if (err)
		return err;
	layers_close(&uw->cur);
	uw->cur = next;
	uw->ids[++uw->depth] = uw->o->id;
	return 0;
}

static int walk_up(void *ctx, const char *path)
{
	struct union_walk *uw = ctx;
	int err;

	if (uw->depth)
		uw->depth--;
	layers_close(&uw->cur);
	err = layers_open_path(uw->fs, uw->p, path, &uw->cur);
	uw->cur_open = !err;
	return err;
}

static int walk_to_root(void *ctx)
{
	struct union_walk *uw = ctx;
	int err;

	layers_close(&uw->cur);
	err = layers_open_root(uw->fs, uw->p, &uw->cur);
	uw->cur_open = !err;
	uw->depth = 0;
	return err;
}

static const struct chroot_walk_ops union_walk_ops = {
	.lookup = walk_lookup,
	.readlink = walk_readlink,
	.enter = walk_enter,
	.up = walk_up,
	.to_root = walk_to_root,
};

int union_resolve(struct union_fs *fs, struct pin *p, const char *jail, const char *path,
		  struct dirlayers *parent, char *name, struct uobj *o, uint64_t *parent_id,
		  bool *via_link)
{
	struct chroot_walk w = {
		.jail = jail,
		/* A link named last leads to what dnsmasq would send. */
		.flags = CHROOT_FOLLOW_LAST | CHROOT_NEED_NAME | (jail ? CHROOT_SEARCH_OTHERS : 0),
	};
	struct union_walk *uw = malloc(sizeof(*uw));
	int err;

	*via_link = false;
	if (!uw)
		return -ENOMEM;
	*uw = (struct union_walk){
		.fs = fs, .p = p, .ids = {1 /* the root */}, .o = o, .name = name};
	err = layers_open_root(fs, p, &uw->cur);
	uw->cur_open = !err;
	if (!err)
		err = chroot_walk(&union_walk_ops, uw, path, &w);
	if (!err) {
		*parent = uw->cur;
		*parent_id = uw->ids[uw->depth];
		*via_link = w.via_link;
	} else if (uw->cur_open) {
		layers_close(&uw->cur);
	}
	free(uw);
	return err;
}
