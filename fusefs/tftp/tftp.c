/* SPDX-License-Identifier: MIT */
/*
 * <tftp_root>/                 bootcode.bin (from default_image), and per node
 * <tftp_root>/<serial>/        the node's boot dir, as its root shows it
 * <tftp_root>/<mac>/           the same tree under the MAC name
 * <tftp_root>/undionly.kpxe ... the iPXE loaders of [server] loaders (pxe.h)
 *
 * A PXE node's tree (boot = pxe) is its /boot; its generated boot.ipxe asks
 * for "vmlinuz" and "initrd.img", which, when the tree has no such files,
 * name the newest vmlinuz-VERSION and its initrd.img-VERSION.
 *
 * A node's boot tree is the boot dir of its root's union, so a kernel the
 * node installs into its own overlay is what it boots next, and the
 * generated cmdline.txt shows unless the overlay holds its own copy.
 * Everything is presented read-only and owned by root, with the permission
 * bits the node's root shows less the write bits: what others may not read
 * in the node's root, dnsmasq does not serve. A symlink in the boot dir is
 * followed only while it stays inside the boot dir; one that leaves it is
 * hidden.
 *
 * Ids: a node object has its root-mount id with bit 60 set when reached
 * through the MAC dir, so the two trees never share a directory inode; the
 * root mount's id table resolves it, after eviction or a restart too.
 * A file the node's tree shows unchanged from its image is the exception:
 * it is named by its image generation and inode alone (slot 0), like
 * bootcode.bin, so every node booting that generation reads one kernel
 * inode and one copy of it in the page cache. Entries in a node's tree
 * still expire after TIMEOUT_NODE, so a file the node installs into its
 * overlay replaces the shared one at the next lookup.
 *
 * A boot is told from a running node by the TFTP server's lookups
 * (node_tftp_request): a shared file's OPEN and READs no longer say which
 * node asked, and lookups by anyone else are reads on the server.
 *
 * Files: tftp_tree.c (ids, attributes, names), tftp_lookup.c,
 * tftp_readdir.c, tftp_read.c (the handlers), this file (the table).
 */
#include "fusefs/tftp/tftp.h"
#include "fusefs/tftp/tftp_priv.h"

static void tftp_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Handles must survive forgets and restarts: NFS export rules. */
	if (conn->capable & FUSE_CAP_EXPORT_SUPPORT)
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
}

const struct fuse_lowlevel_ops tftp_ops = {
	.init = tftp_init,
	.lookup = tftp_lookup,
	.getattr = tftp_getattr,
	.opendir = tftp_opendir,
	.readdir = tftp_readdir,
	.readdirplus = tftp_readdirplus,
	.releasedir = tftp_releasedir,
	.open = tftp_open,
	.read = tftp_read,
	.release = tftp_release,
	.statfs = tftp_statfs,
};
