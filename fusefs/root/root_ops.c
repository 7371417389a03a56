/* SPDX-License-Identifier: MIT */
/* The FUSE operations of a root mount, and what INIT asks of the kernel. */
#include "fusefs/root/root_ops.h"

static void root_init(void *userdata, struct fuse_conn_info *conn)
{
	struct root_fs *fs = userdata;

	/* Open files without an OPEN (and RELEASE) round trip each; an O_TRUNC
	 * then comes as a SETATTR of the size, which copies up. */
	if (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) {
		conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
		conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
		fs->no_open = true;
	}
	/* OPENDIR stays, though listings need no handle (root_readdir.c):
	 * it is the one request a listing served from the kernel's cache
	 * still sends, so a node that only lists and reads cached files is
	 * still seen using its root, and no TFTP request boots it under its
	 * users (design.md, "What is a boot"). */
	/* The kernel keeps symlink targets in its page cache: a target never
	 * changes under one id (a link is replaced, never rewritten: a new
	 * name gets a new id, an image upgrade a new generation's ids). */
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	if (conn->capable & FUSE_CAP_EXPORT_SUPPORT)
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	/* Always READDIRPLUS: in "auto" mode the kernel asks for it only for
	 * the first chunk of a listing, and then LOOKUPs every later name. */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	/* Keep the read-ahead roots.c gave the mount: INIT sets the lower
	 * of this and the mount's (the kernel offers its 128 KiB default). */
	conn->max_readahead = ROOT_READAHEAD_KIB << 10;
}

const struct fuse_lowlevel_ops root_ops = {
	.init = root_init,
	.lookup = root_lookup,
	.getattr = root_getattr,
	.setattr = root_setattr,
	.readlink = root_readlink,
	.mknod = root_mknod,
	.mkdir = root_mkdir,
	.unlink = root_unlink,
	.rmdir = root_rmdir,
	.symlink = root_symlink,
	.rename = root_rename,
	.link = root_link,
	.open = root_open,
	.read = root_read,
	.write = root_write,
	.flush = root_flush,
	.release = root_release,
	.forget = root_forget,
	.forget_multi = root_forget_multi,
	.fsync = root_fsync,
	.fallocate = root_fallocate,
	.opendir = root_opendir,
	.readdir = root_readdir,
	.readdirplus = root_readdirplus,
	.releasedir = root_releasedir,
	.fsyncdir = root_fsyncdir,
	.statfs = root_statfs,
	.setxattr = root_setxattr,
	.getxattr = root_getxattr,
	.listxattr = root_listxattr,
	.removexattr = root_removexattr,
	.create = root_create,
};
