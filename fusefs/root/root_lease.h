/* SPDX-License-Identifier: MIT */
/* A node root's lease (lease.h) as the daemon takes it: logged, and shown
 * by status while another server holds it. */
#ifndef NETBOOTFS_ROOT_LEASE_H
#define NETBOOTFS_ROOT_LEASE_H

#include "fusefs/daemon.h"

/*
 * Take @rt's lease in @overlays (opened as @overlays_fd) into @l before its
 * root is mounted. -EBUSY: another server holds it; @rt waits (lease_wait,
 * its holder recorded), logged once per wait. Any other error is logged.
 * 0 after a wait logs the take-over. Main thread only.
 */
int root_lease_take(struct daemon *d, struct node_rt *rt, int overlays_fd, const char *overlays,
		    struct lease *l);

#endif
