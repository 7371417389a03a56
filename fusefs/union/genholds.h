/* SPDX-License-Identifier: MIT */
/*
 * Which image generations the kernel still holds inodes of, on one root
 * mount. Root mounts let the kernel open files without asking the daemon
 * (FUSE "no_open"), so no file handle keeps a generation loaded: what
 * does is the kernel's lookup count. Every entry reply carrying an image
 * id (NID_IMG) adds one to its generation's count, every FORGET takes its
 * nlookup off; a generation stays loaded while its count is above zero.
 * So a file opened before its node rebooted onto a new generation still
 * reads the old bytes until it is closed and the kernel forgets it.
 */
#ifndef NETBOOTFS_GENHOLDS_H
#define NETBOOTFS_GENHOLDS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct image_gen;

struct gen_hold {
	unsigned gen_id;
	struct image_gen *gen; /* one reference while n > 0 */
	uint64_t n;	       /* the kernel's lookups of ids in it */
};

struct gen_holds {
	pthread_mutex_t lock;
	struct gen_hold *v;
	size_t n, cap;
};

void genholds_init(struct gen_holds *h);
/* Drops every hold (the mount is gone, no FORGET will come). */
void genholds_destroy(struct gen_holds *h);
/* The kernel got @id in an entry reply; @g is the generation its
 * generation bits name (ignored unless @id is an image id). Returns
 * -ENOMEM if it could not be counted. */
int genholds_add(struct gen_holds *h, uint64_t id, struct image_gen *g);
/* The kernel forgot @nlookup lookups of @id. */
void genholds_forget(struct gen_holds *h, uint64_t id, uint64_t nlookup);
/* A reference to the held generation @gen_id, or NULL. */
struct image_gen *genholds_get(struct gen_holds *h, unsigned gen_id);
/* How many lookups of generation @gen_id the kernel holds (for tests). */
uint64_t genholds_count(struct gen_holds *h, unsigned gen_id);

#endif
