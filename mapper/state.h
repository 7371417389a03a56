/* SPDX-License-Identifier: MIT */
/*
 * Persistent small state under <state>/, shared by the daemon and netbootctl:
 *  - node slots: a number per node name, assigned once and never reused, so
 *    that FUSE node ids and NFS fsids stay stable across reloads and restarts;
 *  - discovered clients: unmapped serials/MACs seen on TFTP or DHCP.
 * Files are rewritten atomically (temp file, fsync, rename).
 */
#ifndef NETBOOTFS_STATE_H
#define NETBOOTFS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct mapper;

/* Slots are 1..65535; 0 means "none". */
#define NODE_SLOT_MAX 65535u

struct node_slots;
/* Load <state>/nodes (missing file = empty). */
int node_slots_load(const char *state_dir, struct node_slots **out);
/* Give every node of @m a slot, other servers' nodes included (existing ones
 * kept), saving if anything changed. */
int node_slots_assign(struct node_slots *s, const struct mapper *m);
/* 0 if @name has no slot. */
unsigned node_slots_get(const struct node_slots *s, const char *name);
void node_slots_free(struct node_slots *s);

struct discovered {
	char id[18];	 /* normalised serial or MAC */
	char ip[46];	 /* "" if unknown */
	char vendor[64]; /* DHCP vendor class, "" if unknown */
	char hostname[64];
	char via[8]; /* "tftp" or "dhcp" */
	time_t first_seen, last_seen;
	unsigned long count;
};

/* Anyone on the network can make up serials and MACs: the file keeps at
 * most this many clients, forgetting the one seen longest ago. */
#define DISCOVERED_MAX 4096

/* Fold @n records into the file in one write: counts add up, first/last
 * seen widen, non-empty ip/vendor/hostname and via replace the stored ones.
 * Safe against concurrent writers (flock). -EINVAL if a record's id or via
 * is malformed (nothing is written then). */
int discovered_merge(const char *state_dir, const struct discovered *batch, size_t n);
/* Record a sighting of @id (merging with an existing record). ip/vendor/
 * hostname may be NULL. Safe against concurrent writers (flock). */
int discovered_record(const char *state_dir, const char *id, const char *via, const char *ip,
		      const char *vendor, const char *hostname, time_t now);
/* Drop the records of clients that are nodes of @m (by serial or MAC), so
 * that a client leaves the list once it was made a node. */
int discovered_forget_nodes(const char *state_dir, const struct mapper *m);
/* Whether record @d is a client that @m maps to a node (another server's too). */
bool discovered_is_node(const struct discovered *d, const struct mapper *m);
/* Read all records; *out is malloc'ed, free() it. */
int discovered_list(const char *state_dir, struct discovered **out, size_t *n);

#endif
