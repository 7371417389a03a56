/* SPDX-License-Identifier: MIT */
/*
 * Unplanned take-over between servers ([server:NAME] sections, docs/
 * scale-out.md "Fencing: one writer per overlay, and take-over").
 *
 * Two leases per server in <overlays>/.leases/ (lib/lease.h):
 *   .alive.NAME  held by the daemon running as NAME, for its whole life;
 *   .adopt.NAME  held by the one daemon that serves NAME's nodes while
 *                NAME is down.
 * A daemon that sees another server's .alive lease free for [server]
 * takeover seconds takes its .adopt lease and serves its nodes as its own
 * (mapper_adopt()): their roots (each under its node lease, free once the
 * dead server's storage session ended), their boot trees, cmdline.txt
 * naming this server. When the server's .alive lease is held again, the
 * adopter lets go: the nodes leave its table and go back as they go idle.
 */
#ifndef NETBOOTFS_TAKEOVER_H
#define NETBOOTFS_TAKEOVER_H

#include <stdbool.h>

#include "fusefs/context.h"

/* Take this server's .alive lease (servers configured, role not pxe).
 * -EBUSY, logged: another daemon runs as this server. */
int takeover_start(struct daemon *d);
void takeover_stop(struct daemon *d);
/* Look at the other servers' .alive leases (every lease_retry seconds):
 * true when the set of servers this daemon serves for changed (reload). */
bool takeover_check(struct daemon *d);
/* Serve the adopted servers' nodes in a freshly loaded table. */
int takeover_adopt(struct daemon *d, struct mapper *m);
/* Run [server] on_takeover (if set) now that the servers this daemon serves
 * for changed: a child, never waited for here; one at a time (a change
 * while it runs runs it once more after it). */
void takeover_hook_run(struct daemon *d);
/* Reap the child (main loop, every turn): its exit status logged once. */
void takeover_hook_reap(struct daemon *d);
/* Whether the main loop must call takeover_check() at all. */
bool takeover_active(struct daemon *d);

#endif
