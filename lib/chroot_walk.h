/* SPDX-License-Identifier: MIT */
/*
 * The one chroot-style path walk: symlinks are followed as in a chroot of
 * the tree (an absolute target starts again at its root, ".." never climbs
 * above it), optionally inside a jail (a directory of the tree the walk may
 * pass through on the way down but never leave). The tree itself is the
 * caller's: an image's inodes or a node's union, reached through @ops.
 */
#ifndef NETBOOTFS_LIB_CHROOT_WALK_H
#define NETBOOTFS_LIB_CHROOT_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CHROOT_MAX_LINKS 40 /* links followed in one walk, else -ELOOP */

/*
 * The walk keeps a current directory in @ctx, starting at the tree's root.
 * Each call returns 0 or a negative errno, which ends the walk.
 */
struct chroot_walk_ops {
	/* Look @name up in the current directory, giving its st_mode; it
	 * becomes the object just looked up. */
	int (*lookup)(void *ctx, const char *name, mode_t *mode);
	/* The target of the link just looked up, NUL-terminated in @buf. */
	int (*readlink)(void *ctx, char *buf, size_t size);
	/* The directory just looked up becomes the current directory. */
	int (*enter)(void *ctx);
	/* The current directory's parent becomes current; @path is the
	 * parent's path from the root ("" for the root itself). */
	int (*up)(void *ctx, const char *path);
	/* The root becomes the current directory. */
	int (*to_root)(void *ctx);
};

enum chroot_walk_flags {
	/* Follow a link named last too (a trailing '/' always does). */
	CHROOT_FOLLOW_LAST = 1 << 0,
	/* The path must end at a name: -EISDIR for "", "/", or a last "."
	 * or "..". Without it such a walk ends at the current directory. */
	CHROOT_NEED_NAME = 1 << 1,
	/* Every directory passed through must be searchable by others
	 * (S_IXOTH), else -EACCES: as for an unprivileged reader. */
	CHROOT_SEARCH_OTHERS = 1 << 2,
};

struct chroot_walk {
	/* In: the jail, a directory's path from the root ("a/b", no '/' at
	 * either end), or NULL. The walk passes above it only on the way
	 * down into it and ends inside it; else -ENOENT. */
	const char *jail;
	unsigned flags;
	/* Out: the walk ended at the object just looked up (true) or at the
	 * current directory (a path of "", or a last "." or ".."). */
	bool named;
	/* Out: the path's last name (or the last name of a link target
	 * followed in its place) was a link: what the walk ended at has a
	 * name of its own elsewhere. */
	bool via_link;
};

/* Walk @path (relative to the root; a leading '/' changes nothing). */
int chroot_walk(const struct chroot_walk_ops *ops, void *ctx, const char *path,
		struct chroot_walk *w);

#endif
