/* SPDX-License-Identifier: MIT */
/* A node root's lease (lease.h) as the daemon takes it: logged, and shown
 * by status while another server holds it. */
#ifndef NETBOOTFS_ROOT_LEASE_H
#define NETBOOTFS_ROOT_LEASE_H

#include "fusefs/context.h"

/*
 * Take @rt's lease in the directory @overlays into @l before its root is
 * mounted. -EBUSY: another server holds it; @rt waits (lease_wait,
 * its holder recorded), logged once per wait. Any other error is logged.
 * 0 after a wait logs the take-over. Main thread only.
 */
int root_lease_take(struct daemon *d, struct node_rt *rt, const char *overlays, struct lease *l);

/* @rt waits for its lease and is still in the config (a node removed while
 * it waited waits no more). */
bool root_lease_waits(struct daemon *d, struct node_rt *rt);

#endif
