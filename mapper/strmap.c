/* SPDX-License-Identifier: MIT */
#include "mapper/strmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct strmap_slot {
	const char *key; /* NULL: empty */
	uint32_t hash;
	uint32_t val;
};

/* FNV-1a, folded to 32 bits; keys are short identifiers. */
static uint32_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static struct strmap_slot *find_slot(struct strmap_slot *slots, size_t cap, const char *key,
				     uint32_t hash)
{
	size_t mask = cap - 1, i = hash & mask;

	while (slots[i].key) {
		if (slots[i].hash == hash && strcmp(slots[i].key, key) == 0)
			break;
		i = (i + 1) & mask;
	}
	return &slots[i];
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16, i;
	struct strmap_slot *slots;

	if (cap > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key)
			*find_slot(slots, cap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int strmap_insert(struct strmap *m, const char *key, uint32_t val, uint32_t *old)
{
	uint32_t hash = str_hash(key);
	struct strmap_slot *s;

	if ((m->n + 1) * 2 > m->cap) {
		int err = grow(m);

		if (err)
			return err;
	}
	s = find_slot(m->slots, m->cap, key, hash);
	if (s->key) {
		if (old)
			*old = s->val;
		return 1;
	}
	s->key = key;
	s->hash = hash;
	s->val = val;
	m->n++;
	return 0;
}

bool strmap_get(const struct strmap *m, const char *key, uint32_t *val)
{
	const struct strmap_slot *s;

	if (!m->cap)
		return false;
	s = find_slot(m->slots, m->cap, key, str_hash(key));
	if (!s->key)
		return false;
	if (val)
		*val = s->val;
	return true;
}

void strmap_free(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
