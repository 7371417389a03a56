/* SPDX-License-Identifier: MIT */
/* write(2) until everything is written. */
#ifndef NETBOOTFS_LIB_WRITEALL_H
#define NETBOOTFS_LIB_WRITEALL_H

#include <stddef.h>

/* Write all @len bytes of @buf to @fd, going on after short writes and
 * EINTR: 0, or a negative errno (-EIO if write makes no progress). */
int write_all(int fd, const void *buf, size_t len);

#endif
