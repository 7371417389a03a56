/* SPDX-License-Identifier: MIT */
/*
 * Built directory listings of one root mount, by directory id, for
 * READDIR and READDIRPLUS served without a directory handle: a request
 * names only the directory and an offset (so an NFS server reopening the
 * directory for each RPC resumes in place); the listing built for the
 * first chunk serves the next ones, for every reader of the directory.
 *
 * Offsets are the listing's cookies (fusefs/union/dirlist.h), which do not
 * depend on the build: a listing dropped between two chunks (evicted, the
 * directory changed) is built again and the reader goes on where it was.
 * So the cache only saves work, and a listing is dropped freely: once a
 * reader got the empty chunk at its end, when an entry of the directory
 * is made, removed or renamed through the daemon, when the node's tree
 * moves (change epoch) or its pin changes, and the oldest beyond a bound.
 *
 * Its lock is a leaf: nothing is taken under it, nothing is built under it.
 */
#ifndef NETBOOTFS_LISTCACHE_H
#define NETBOOTFS_LISTCACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fusefs/union/union.h"

/* At most this many listings are kept per root, and no more records than
 * LISTCACHE_MAX_RECS in all (the newest listing stays whatever its size:
 * a huge directory listed in many chunks is built once). */
#define LISTCACHE_MAX	   16
#define LISTCACHE_MAX_RECS (1u << 17)

struct listing {
	uint64_t dir;
	uint64_t pin_seq; /* the pin it was built from */
	uint64_t epoch;	  /* the union's change epoch it was built at */
	struct dirlist l;
	unsigned refs; /* under the cache lock */
	bool linked;   /* still in the cache */
	struct listing *next;
};

struct listcache {
	pthread_mutex_t lock;
	struct listing *head; /* newest first */
	unsigned n;
	size_t recs;
};

void listcache_init(struct listcache *lc);
void listcache_destroy(struct listcache *lc);
/* The cached listing of @dir built from @pin_seq at @epoch, with a
 * reference; NULL if none. */
struct listing *listcache_get(struct listcache *lc, uint64_t dir, uint64_t pin_seq, uint64_t epoch);
/* Cache listing @l of @dir (taken over: @l is left empty) in place of any
 * older one; returns it with a reference, or NULL (out of memory: @l is
 * then freed). */
struct listing *listcache_add(struct listcache *lc, uint64_t dir, uint64_t pin_seq, uint64_t epoch,
			      struct dirlist *l);
/* Drop a reference; @forget: the listing leaves the cache too. */
void listcache_put(struct listcache *lc, struct listing *li, bool forget);
/* Directory @dir changed: its listing is built afresh next time. */
void listcache_forget(struct listcache *lc, uint64_t dir);

#endif
