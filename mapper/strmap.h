/* SPDX-License-Identifier: MIT */
/*
 * A string -> index hash table with open addressing (linear probing), kept at
 * most half full so that lookups are O(1) on average. Short keys are copied
 * into the table; longer ones are not, so every key must stay valid and
 * unchanged while it is in the map.
 */
#ifndef NETBOOTFS_MAPPER_STRMAP_H
#define NETBOOTFS_MAPPER_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap_slot;

struct strmap {
	struct strmap_slot *slots;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

/* Returns 0 if inserted, 1 if @key was already there (its value in *old,
 * unless @old is NULL), or -ENOMEM. */
int strmap_insert(struct strmap *m, const char *key, uint32_t val, uint32_t *old);
bool strmap_get(const struct strmap *m, const char *key, uint32_t *val);
/* Returns false if @key was not there. */
bool strmap_remove(struct strmap *m, const char *key);
void strmap_free(struct strmap *m);

#endif
