/* SPDX-License-Identifier: MIT */
/* What the union engine's files share among themselves: only fusefs/union/
 * includes this; everyone else includes fusefs/union/union.h. */
#ifndef NETBOOTFS_UNION_PRIV_H
#define NETBOOTFS_UNION_PRIV_H

#include <syslog.h>

#include "fusefs/union/union.h"

/* A log line of node @fs, through the sink it was given. */
#define union_log(fs, level, fmt, ...)                                                \
	do {                                                                          \
		if ((fs)->log)                                                        \
			(fs)->log(level, "node %s: " fmt, (fs)->name, ##__VA_ARGS__); \
	} while (0)

/* layers.c: the root directory of the union, and directory @path
 * (relative) entered from it, never following a symlink on the host. */
int layers_open_root(struct union_fs *fs, struct pin *p, struct dirlayers *dl);
int layers_open_path(struct union_fs *fs, struct pin *p, const char *path, struct dirlayers *dl);
/* "@dir/@name" ("@name" when @dir is ""), in a heap string; NULL: no memory. */
char *layers_join(const char *dir, const char *name);

#endif
