/* SPDX-License-Identifier: MIT */
#include "fusefs/union/dirlist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t dirlist_cookie(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ull;
	}
	/* Above every image position, and positive as an off_t. */
	return DIRLIST_COOKIE_HASHED + (h & 0x3fffffffffffffffull);
}

static int add(struct dirlist *l, const char *name, uint64_t ino, mode_t type, uint64_t cookie)
{
	struct dirent_rec *e;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct dirent_rec *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n];
	e->name = strdup(name);
	if (!e->name)
		return -ENOMEM;
	e->cookie = cookie;
	e->ino = ino;
	e->type = type;
	e->order = l->n++;
	return 0;
}

int dirlist_add(struct dirlist *l, const char *name, uint64_t ino, mode_t type)
{
	return add(l, name, ino, type, dirlist_cookie(name));
}

int dirlist_add_at(struct dirlist *l, const char *name, uint64_t ino, mode_t type, uint32_t pos)
{
	return add(l, name, ino, type, DIRLIST_COOKIE_DOTDOT + 1 + (uint64_t)pos);
}

static int by_name(const void *a, const void *b)
{
	const struct dirent_rec *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int by_cookie(const void *a, const void *b)
{
	const struct dirent_rec *x = a, *y = b;

	if (x->cookie != y->cookie)
		return x->cookie < y->cookie ? -1 : 1;
	return strcmp(x->name, y->name);
}

void dirlist_finish(struct dirlist *l)
{
	size_t i, out = 0;

	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), by_name);
	for (i = 0; i < l->n; i++) {
		struct dirent_rec *win = out ? &l->v[out - 1] : NULL;

		if (win && strcmp(win->name, l->v[i].name) == 0) {
			if (l->v[i].cookie < win->cookie)
				win->cookie = l->v[i].cookie;
			free(l->v[i].name);
			continue;
		}
		l->v[out++] = l->v[i];
	}
	l->n = out;
	qsort(l->v, l->n, sizeof(*l->v), by_cookie);
}

size_t dirlist_seek(const struct dirlist *l, uint64_t off)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].cookie <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void dirlist_free(struct dirlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
