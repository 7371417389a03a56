/* SPDX-License-Identifier: MIT */
/* A bump allocator: everything a node table owns is freed in one go. */
#ifndef NETBOOTFS_MAPPER_ARENA_H
#define NETBOOTFS_MAPPER_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

/* NULL on allocation failure. Memory is 16-byte aligned and zeroed. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

#endif
