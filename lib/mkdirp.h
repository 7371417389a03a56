/* SPDX-License-Identifier: MIT */
/* mkdir -p: a directory and the missing ones on the way to it. */
#ifndef NETBOOTFS_LIB_MKDIRP_H
#define NETBOOTFS_LIB_MKDIRP_H

#include <sys/types.h>

/*
 * Make @path and every missing parent. Parents are made 0755, @path itself
 * @mode (both less the umask); existing directories (or links to them) are
 * left as they are. Something else in the way is -ENOTDIR (-EEXIST would
 * say the wanted directory is there). No length limit of its own.
 */
int mkdir_p(const char *path, mode_t mode);

#endif
