/* SPDX-License-Identifier: MIT */
/*
 * Pins and boots (nodes.c): building and installing a node's pin, and the
 * boot detection that decides when. The one part of the node table that
 * calls the node roots and the notifier.
 */
#ifndef NETBOOTFS_NODES_H
#define NETBOOTFS_NODES_H

#include "fusefs/context.h"

/* Build a fresh pin for @slot from the current config and newest image
 * generation; install it if it differs. Returns true if it changed. */
bool node_repin(struct daemon *d, struct node_rt *rt);
/* The TFTP server looked up @name in @rt's boot tree (@top: in the boot
 * directory itself): starts a boot when the rule of docs/design.md, "Pins
 * and boots", says so. */
void node_tftp_request(struct daemon *d, struct node_rt *rt, const char *name, bool top);
/* The node boots now: the one moment it is re-pinned and a volatile
 * overlay emptied. @why goes to the log. */
void node_boot(struct daemon *d, struct node_rt *rt, const char *why);
/* The same on generation @gen_id of its image (0: the newest): a file
 * server following its PXE server's boot record (bootrec.h). */
void node_boot_gen(struct daemon *d, struct node_rt *rt, unsigned gen_id, const char *why);
#endif
