/* SPDX-License-Identifier: MIT */
/*
 * An append-only record log that outlives the process writing it: records
 * are copied into a shared mapping of the file, so they are in the page
 * cache (and will reach the disk) the moment they are written, even if the
 * daemon is killed right after. Appending costs no system call except when
 * the file grows. Not synced: after a power loss the nodes reboot anyway.
 *
 * The file holds the records followed by NUL padding up to its size.
 */
#ifndef NETBOOTFS_IJOURNAL_H
#define NETBOOTFS_IJOURNAL_H

#include <stddef.h>

struct ijournal {
	int fd;
	char *map;
	size_t cap, pos;
	size_t max; /* 0: IJOURNAL_MAX (a test sets less) */
};

#define IJOURNAL_INIT    \
	{                \
		.fd = -1 \
	}

/* Create or empty @path and map it for appending. */
int ijournal_open(struct ijournal *j, const char *path);
/* Append @len bytes; -ENOSPC once the journal holds IJOURNAL_MAX (or
 * ->max) bytes. */
int ijournal_append(struct ijournal *j, const char *rec, size_t len);
void ijournal_close(struct ijournal *j);

#define IJOURNAL_MAX (64u << 20)

#endif
