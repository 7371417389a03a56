/* SPDX-License-Identifier: MIT */
#include "mapper/strmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * 32 bytes, two to a cache line. Keys of up to STRMAP_INLINE_MAX bytes
 * (every node name, serial and MAC in practice) are copied into the slot,
 * so a lookup touches one slot and no key elsewhere in memory: with
 * 100,000 nodes the node table no longer fits the CPU caches, the slots
 * (8 MB) still mostly do.
 */
#define STRMAP_INLINE_MAX 22

enum { SLOT_EMPTY = 0, SLOT_INLINE = 1, SLOT_POINTER = 2 };

struct strmap_slot {
	uint32_t hash;
	uint32_t val;
	union {
		char inl[STRMAP_INLINE_MAX + 2]; /* the key, its NUL, the state */
		const char *ptr;		 /* a longer key */
	} k;
};

/* The last byte of the key area, past any inline key and the pointer. */
#define STATE(s) ((s)->k.inl[STRMAP_INLINE_MAX + 1])

_Static_assert(sizeof(struct strmap_slot) == 32, "two slots per cache line");

/* FNV-1a, folded to 32 bits; keys are short identifiers. */
static uint32_t str_hash(const char *s, size_t *len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *p = s;

	while (*p) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ull;
	}
	*len = (size_t)(p - s);
	return (uint32_t)(h ^ (h >> 32));
}

static const char *slot_key(const struct strmap_slot *s)
{
	return STATE(s) == SLOT_INLINE ? s->k.inl : s->k.ptr;
}

static bool slot_matches(const struct strmap_slot *s, const char *key, size_t len, uint32_t hash)
{
	if (s->hash != hash)
		return false;
	if (STATE(s) == SLOT_INLINE)
		return len <= STRMAP_INLINE_MAX && memcmp(s->k.inl, key, len + 1) == 0;
	return strcmp(s->k.ptr, key) == 0;
}

static struct strmap_slot *find_slot(struct strmap_slot *slots, size_t cap, const char *key,
				     size_t len, uint32_t hash)
{
	size_t mask = cap - 1, i = hash & mask;

	while (STATE(&slots[i]) != SLOT_EMPTY) {
		if (slot_matches(&slots[i], key, len, hash))
			break;
		i = (i + 1) & mask;
	}
	return &slots[i];
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16, i, len;
	struct strmap_slot *slots;

	if (cap > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		const struct strmap_slot *s = &m->slots[i];

		if (STATE(s) == SLOT_EMPTY)
			continue;
		len = strlen(slot_key(s));
		*find_slot(slots, cap, slot_key(s), len, s->hash) = *s;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int strmap_insert(struct strmap *m, const char *key, uint32_t val, uint32_t *old)
{
	size_t len;
	uint32_t hash = str_hash(key, &len);
	struct strmap_slot *s;

	if ((m->n + 1) * 2 > m->cap) {
		int err = grow(m);

		if (err)
			return err;
	}
	s = find_slot(m->slots, m->cap, key, len, hash);
	if (STATE(s) != SLOT_EMPTY) {
		if (old)
			*old = s->val;
		return 1;
	}
	if (len <= STRMAP_INLINE_MAX) {
		memcpy(s->k.inl, key, len + 1);
		STATE(s) = SLOT_INLINE;
	} else {
		s->k.ptr = key;
		STATE(s) = SLOT_POINTER;
	}
	s->hash = hash;
	s->val = val;
	m->n++;
	return 0;
}

/* The slot holding @key, or NULL. */
static struct strmap_slot *lookup(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;
	size_t len;
	uint32_t hash;

	if (!m->cap)
		return NULL;
	hash = str_hash(key, &len);
	s = find_slot(m->slots, m->cap, key, len, hash);
	return STATE(s) == SLOT_EMPTY ? NULL : s;
}

bool strmap_get(const struct strmap *m, const char *key, uint32_t *val)
{
	const struct strmap_slot *s = lookup(m, key);

	if (!s)
		return false;
	if (val)
		*val = s->val;
	return true;
}

bool strmap_remove(struct strmap *m, const char *key)
{
	struct strmap_slot *s = lookup(m, key);
	size_t mask, i, j, home;

	if (!s)
		return false;
	/* Backward shift: pull each later key of the run into the hole
	 * unless its home slot lies (cyclically) after the hole, so every
	 * key stays reachable from its home without tombstones. */
	mask = m->cap - 1;
	i = (size_t)(s - m->slots);
	for (j = (i + 1) & mask; STATE(&m->slots[j]) != SLOT_EMPTY; j = (j + 1) & mask) {
		home = m->slots[j].hash & mask;
		if (j > i ? home <= i || home > j : home <= i && home > j) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	memset(&m->slots[i], 0, sizeof(m->slots[i]));
	m->n--;
	return true;
}

void strmap_free(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
