/* SPDX-License-Identifier: MIT */
/* A file server follows its PXE server's boot records (bootfollow.c). */
#ifndef NETBOOTFS_BOOTFOLLOW_H
#define NETBOOTFS_BOOTFOLLOW_H

#include <stdbool.h>

struct daemon;

/* Role = files: <state>/boots/<node> may have changed
 * (inotify); the node boots if its record is new. Main thread only. */
void daemon_boot_record(struct daemon *d, const char *node);
/* Look for new records of every node: inotify does not see the writes of
 * another machine on a network filesystem. @prime: only note what is
 * there (at start). Main thread only. */
void daemon_poll_boot_records(struct daemon *d, bool prime);
#endif
