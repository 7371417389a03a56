/* SPDX-License-Identifier: MIT */
/*
 * The shared accounts in a node's generated layer (see mapper/users.h):
 * var/lib/extrausers/{passwd,shadow,group} with the users of the node's
 * profile, and an etc/fstab line mounting [server] homes on /home/shared.
 * Nothing when [server] homes is unset.
 */
#ifndef NETBOOTFS_GENUSERS_H
#define NETBOOTFS_GENUSERS_H

#include "fusefs/union/union.h"

struct node;
struct server_config;

/* @gen: the node's image generation (for its etc/group), may be NULL. */
int genusers_add(struct genlayer *g, struct image_gen *gen, const struct node *n,
		 const struct server_config *srv);

#endif
