/* SPDX-License-Identifier: MIT */
/*
 * A directory listing whose offsets survive closedir/opendir and changes
 * to other entries: each entry's cookie is a hash of its name, and the
 * list is kept in cookie order, so "continue after cookie C" means the
 * same place whatever was added or removed meanwhile (nfsd reopens the
 * directory for every READDIR).
 */
#ifndef NETBOOTFS_DIRLIST_H
#define NETBOOTFS_DIRLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct dirent_rec {
	uint64_t cookie;
	uint64_t ino;
	mode_t type;  /* S_IFREG, S_IFDIR, ... */
	size_t order; /* insertion order: the first added of a name wins */
	char *name;
};

struct dirlist {
	struct dirent_rec *v;
	size_t n, cap;
};

/* Cookies 1 and 2 belong to "." and "..". */
#define DIRLIST_COOKIE_DOT    1
#define DIRLIST_COOKIE_DOTDOT 2

uint64_t dirlist_cookie(const char *name);
int dirlist_add(struct dirlist *l, const char *name, uint64_t ino, mode_t type);
/* Sort by cookie and drop later duplicates of a name. */
void dirlist_finish(struct dirlist *l);
/* Index of the first entry whose cookie is greater than @off. */
size_t dirlist_seek(const struct dirlist *l, uint64_t off);
void dirlist_free(struct dirlist *l);

#endif
