/* SPDX-License-Identifier: MIT */
/* Answer READ: the bytes of a file of the union. Each returns the bytes
 * sent (or a negative errno, replied already). */
#ifndef NETBOOTFS_DATAREPLY_H
#define NETBOOTFS_DATAREPLY_H

#include <fuse_lowlevel.h>

#include "fusefs/union/union.h"

/* From a host file (spliced, never copied through the daemon). */
ssize_t reply_fd_data(fuse_req_t req, int fd, size_t size, off_t off);
ssize_t reply_gen_data(fuse_req_t req, const struct gen_entry *ge, size_t size, off_t off);
ssize_t reply_image_data(fuse_req_t req, struct image_gen *g, img_ino ino, size_t size, off_t off);
/* From an open file of the union, whichever kind it is. */
ssize_t reply_ufile_data(fuse_req_t req, struct ufile *f, size_t size, off_t off);

#endif
