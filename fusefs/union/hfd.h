/* SPDX-License-Identifier: MIT */
/*
 * Open host files of a root mount's overlay, by node id, for the reads and
 * writes the kernel sends without a file handle (FUSE "no_open"). An
 * overlay object keeps its inode for life (copy-up renames the finished
 * copy into place, renames keep it), so a cached descriptor stays right
 * for its id whatever happens to the name. The cache is small: a miss
 * costs one openat(). A file unlinked while the kernel still holds it is
 * kept until its FORGET, so writes to it after the unlink still land.
 */
#ifndef NETBOOTFS_HFD_H
#define NETBOOTFS_HFD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define HFD_SLOTS 32

struct hfd {
	uint64_t id;
	int fd; /* -1: free slot */
	bool writable;
	bool unlinked; /* seen unlinked: evicted last */
	bool heap;     /* not in the cache (it was full): freed by hfd_put() */
	unsigned refs; /* users now, plus one while cached */
	uint64_t used; /* LRU clock */
};

struct hfd_cache {
	pthread_mutex_t lock;
	uint64_t clock;
	struct hfd *v; /* HFD_SLOTS, allocated on first use */
};

void hfd_init(struct hfd_cache *c);
void hfd_destroy(struct hfd_cache *c);
/* The cached file of @id (writable if @write), with a reference; NULL if
 * none. */
struct hfd *hfd_get(struct hfd_cache *c, uint64_t id, bool write);
/* Cache @fd (now owned by the cache) for @id and return it referenced. On
 * -ENOMEM @fd is closed. */
int hfd_add(struct hfd_cache *c, uint64_t id, int fd, bool writable, struct hfd **out);
void hfd_put(struct hfd_cache *c, struct hfd *h);
/* The kernel forgot @id: close its file once unused. */
void hfd_forget(struct hfd_cache *c, uint64_t id);
/* Forget every file (the overlay was emptied under them). */
void hfd_forget_all(struct hfd_cache *c);

#endif
