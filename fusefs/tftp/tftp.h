/* SPDX-License-Identifier: MIT */
/* The <tftp_root> mount: every node's boot tree, read-only. */
#ifndef NETBOOTFS_TFTP_H
#define NETBOOTFS_TFTP_H

#include <fuse_lowlevel.h>

extern const struct fuse_lowlevel_ops tftp_ops;

#endif
