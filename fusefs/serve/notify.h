/* SPDX-License-Identifier: MIT */
/*
 * Kernel cache invalidation, done from a thread of its own: the kernel may
 * hold locks of the request that caused a change (a lookup holds its
 * directory), so a handler never notifies synchronously.
 */
#ifndef NETBOOTFS_NOTIFY_H
#define NETBOOTFS_NOTIFY_H

#include <stdint.h>

struct daemon;
struct fuse_session;
struct notifier;

int notifier_start(struct daemon *d, struct notifier **out);
void notifier_stop(struct notifier *n);
/* Forget cached dentries for "<parent>/<name>" (and so its subtree). */
void notifier_inval_entry(struct notifier *n, struct fuse_session *se, uint64_t parent,
			  const char *name);
/* Drop every cached dentry of the mount at @mountpoint (served by @se). */
void notifier_inval_tree(struct notifier *n, struct fuse_session *se, const char *mountpoint);
/* A node's view changed (new pin, new config): drop its TFTP dirs. */
void notifier_node_changed(struct notifier *n, unsigned slot);
/* Wait until everything queued so far was sent (tests, reload). */
void notifier_flush(struct notifier *n);

#endif
