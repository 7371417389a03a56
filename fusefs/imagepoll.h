/* SPDX-License-Identifier: MIT */
/*
 * Images on a shared file system: inotify reports only what this machine
 * changes there, so a drop-in another server (or an admin on another
 * machine) makes is found by a rescan every few seconds instead.
 */
#ifndef NETBOOTFS_IMAGEPOLL_H
#define NETBOOTFS_IMAGEPOLL_H

#include <stdbool.h>

#define IMAGEPOLL_MS 5000

struct imagepoll {
	bool on;	   /* the images directory is on a shared file system */
	long long next_ms; /* mono_ms() of the next rescan */
};

/* Look at @images_dir's file system; say so once when it is shared. */
void imagepoll_init(struct imagepoll *p, const char *images_dir);
/* @wait_ms for poll() (-1: for ever), cut short for the next rescan. */
int imagepoll_timeout_ms(const struct imagepoll *p, int wait_ms);
/* True (and the next one scheduled) when a rescan is due now. */
bool imagepoll_due(struct imagepoll *p);

#endif
