/* SPDX-License-Identifier: MIT */
/*
 * A directory listing whose offsets survive closedir/opendir and changes
 * to other entries: each name has a fixed cookie and the list is kept in
 * cookie order, so "continue after cookie C" means the same place whatever
 * was added or removed meanwhile (nfsd reopens the directory for every
 * READDIR).
 *
 * A name that an image directory holds takes its position there as its
 * cookie (the image cannot change under a listing), so listings come back
 * in image order: that is the order mksquashfs stored the files in, and a
 * walk (tar, cp -a, a booting node) then reads each fragment block for all
 * its small files at once instead of coming back to it. Other names take a
 * hash of the name, above every position.
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

/* Cookies 1 and 2 belong to "." and "..", then come image positions, then
 * hashes of names. */
#define DIRLIST_COOKIE_DOT    1
#define DIRLIST_COOKIE_DOTDOT 2
#define DIRLIST_COOKIE_HASHED (1ull << 32)

/* The cookie of a name no image directory holds. */
uint64_t dirlist_cookie(const char *name);
int dirlist_add(struct dirlist *l, const char *name, uint64_t ino, mode_t type);
/* An entry of an image directory, @pos its index in that directory. */
int dirlist_add_at(struct dirlist *l, const char *name, uint64_t ino, mode_t type, uint32_t pos);
/* Drop later duplicates of a name (a name keeps its image position if any
 * of its entries had one) and sort by cookie. */
void dirlist_finish(struct dirlist *l);
/* Index of the first entry whose cookie is greater than @off. */
size_t dirlist_seek(const struct dirlist *l, uint64_t off);
void dirlist_free(struct dirlist *l);

#endif
