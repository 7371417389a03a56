/* SPDX-License-Identifier: MIT */
/* Lines of /proc/PID/mountinfo, parsed once for every reader of them. */
#ifndef NETBOOTFS_LIB_MOUNTINFO_H
#define NETBOOTFS_LIB_MOUNTINFO_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/* One mount: its fields with the kernel's octal escapes (\040 for a blank)
 * undone. */
struct mountinfo_entry {
	unsigned long id, parent;
	dev_t dev;
	char root[PATH_MAX];  /* the mounted directory of its file system */
	char point[PATH_MAX]; /* where it is mounted */
	char fstype[256];
	char source[512];
};

/* Parse one line of mountinfo into @e; false when it is not one. */
bool mountinfo_parse(const char *line, struct mountinfo_entry *e);

/*
 * Read @file (/proc/self/mountinfo, /proc/PID/mountinfo) and put in @out
 * the last mount @match accepts: mounts are listed in the order they were
 * made, so the last is the topmost at its mount point. False when none
 * does or the file cannot be read.
 */
bool mountinfo_find(const char *file, bool (*match)(const struct mountinfo_entry *e, void *ctx),
		    void *ctx, struct mountinfo_entry *out);

#endif
