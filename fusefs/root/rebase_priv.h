/* SPDX-License-Identifier: MIT */
/* Inside a rebase: what rebase.c (steps) and rebase_walk.c (rules) share. */
#ifndef NETBOOTFS_REBASE_PRIV_H
#define NETBOOTFS_REBASE_PRIV_H

#include <limits.h>
#include <stdio.h>

#include "images/images.h"

struct rb_ctx {
	const char *node;
	struct image_gen *old, *new;
	const char *const *persist; /* absolute path globs */
	size_t n_persist;
	int odir;	       /* the overlay being rebased (read only) */
	int rdir;	       /* the new overlay being built */
	int adir;	       /* the archive being filled (files/ of it) */
	char tmpdir[PATH_MAX]; /* diff3's inputs */
	FILE *report;	       /* one line per path the rebase changed */
	unsigned merged, conflicts, archived, restored;
};

/* Build the new overlay in c->rdir and the archive in c->adir from
 * c->odir. 0 or a negative errno (the caller throws both away). */
int rebase_build(struct rb_ctx *c);

#endif
