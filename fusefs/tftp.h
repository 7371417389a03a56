/* SPDX-License-Identifier: MIT */
/* The <tftp_root> mount: every node's boot tree, read-only. */
#ifndef NETBOOTFS_TFTP_H
#define NETBOOTFS_TFTP_H

#include <fuse_lowlevel.h>

extern const struct fuse_lowlevel_ops tftp_ops;

/* Generated files in a node's boot tree (NID_GEN payloads). */
enum gen_file { GEN_CMDLINE = 1 };

#endif
