/* SPDX-License-Identifier: MIT */
/*
 * netbootctl check: shared directories on GlusterFS, and the volume options
 * docs/scale-out.md requires of such a volume. Without them a locked reread
 * of a file another server replaced can return its old bytes (updates of
 * <images>/.generations were lost), and a client cut off from the bricks can
 * write on without the locks it held.
 */
#ifndef NETBOOTFS_CTL_GLUSTER_CHECK_H
#define NETBOOTFS_CTL_GLUSTER_CHECK_H

#include <stddef.h>

#include "ctl/host_check.h"

/* Called once per setting the volume lacks, with the option as
 * `gluster volume set` names it and the value it needs. */
typedef void (*volfile_lack_fn)(void *ctx, const char *option, const char *value);

/*
 * Read @volfile, the text of a GlusterFS client graph (what a mount shows in
 * <mount point>/.meta/graphs/active/volfile), and call @lack for each of:
 * a performance/quick-read or performance/open-behind translator in it, a
 * protocol/client translator without "option strict-locks on" (once for
 * all of them). Returns how many it called.
 */
unsigned volfile_lacks(const char *volfile, volfile_lack_fn lack, void *ctx);

/*
 * Check the @n directories @dirs (the config's, its images and overlays):
 * each GlusterFS mount among them once, through its client graph. Each
 * setting a volume lacks is a problem, printed to stderr as
 * "DIR: MESSAGE" with the command that sets it; a graph that cannot be read
 * is a warning in @w. Reads @mountinfo (/proc/self/mountinfo; the tests
 * may point elsewhere). Returns the number of problems.
 */
unsigned gluster_check_dirs(const char *const *dirs, size_t n, const char *mountinfo,
			    struct host_warnings *w);

#endif
