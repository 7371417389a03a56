/* SPDX-License-Identifier: MIT */
/*
 * Sightings of unknown clients, in memory: how often and when each one
 * asked since it was last written out. A fixed number of clients is kept;
 * a new one beyond that replaces the one seen longest ago. The daemon
 * counts TFTP requests here (a hash lookup) and folds them into
 * <state>/discovered every few seconds (discovered_merge), so a flood of
 * made-up names costs no write per request.
 *
 * Not thread-safe: the caller serialises every call.
 */
#ifndef NETBOOTFS_MAPPER_SIGHTINGS_H
#define NETBOOTFS_MAPPER_SIGHTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mapper/state.h"

struct sightings;

int sightings_create(size_t cap, struct sightings **out);
void sightings_free(struct sightings *s);
/*
 * Count a request from @id (a normalised serial or MAC) at @now, and tag
 * the client with @epoch. Returns 1 if the client's tag was not @epoch
 * before (its first request of the caller's epoch), 0 if it was, -EINVAL
 * for a malformed id, -ENOMEM.
 */
int sightings_add(struct sightings *s, const char *id, time_t now, unsigned epoch);
/* Clients with requests not yet taken. */
size_t sightings_pending(const struct sightings *s);
/*
 * The clients with requests counted since the last take, seen longest ago
 * first, as records with @via; their counts start again from zero. *out is
 * malloc'ed (NULL when *n is 0).
 */
int sightings_take(struct sightings *s, const char *via, struct discovered **out, size_t *n);
/* Give back what a take returned but could not write (clients replaced
 * since are dropped). */
void sightings_restore(struct sightings *s, const struct discovered *v, size_t n);

#endif
