/* SPDX-License-Identifier: MIT */
/*
 * The daemon's lifecycle, which only main.c calls: start (the rooms with
 * it), reload, image rescans, stop. The context every room sees is
 * context.h.
 */
#ifndef NETBOOTFS_DAEMON_H
#define NETBOOTFS_DAEMON_H

#include "fusefs/context.h"

/* Lifecycle (daemon.c). */
int daemon_start(struct daemon *d);
int daemon_reload(struct daemon *d);
void daemon_rescan_images(struct daemon *d);
/* The verifier handled files (verifier_fd() was readable). */
void daemon_images_verified(struct daemon *d);
void daemon_stop(struct daemon *d);
#endif
