/* SPDX-License-Identifier: MIT */
/*
 * A node's lease: the right to write its overlay, held by one daemon at a
 * time over storage that several servers share (docs/scale-out.md,
 * "Fencing").
 *
 * The lease is an OFD write lock (fcntl F_OFD_SETLK) on
 * <overlays>/.leases/<node>. The kernel, or the shared filesystem's lock
 * service, drops it when the holder dies: at once on a local filesystem,
 * when the client's session ends on CephFS and GlusterFS, through NLM or
 * NFSv4 state on NFS. Two open file descriptions conflict even in one
 * process, so a daemon never takes a node twice either.
 *
 * The file says who holds it, for status and logs only (the lock decides):
 *
 *	server=<name> host=<host name> pid=<pid> since=<Unix time>
 *
 * Lease files are never removed: a holder locks an inode, and a new file
 * under the same name would be a second, free lease.
 */
#ifndef NETBOOTFS_LEASE_H
#define NETBOOTFS_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define LEASE_DIR ".leases"
/* A server's leases (fusefs/takeover.h): ".alive.NAME", held by the daemon
 * running as NAME; ".adopt.NAME", held by the daemon that serves NAME's
 * nodes while NAME is down. Node names never start with a dot. */
#define LEASE_ALIVE ".alive."
#define LEASE_ADOPT ".adopt."

/* Who holds a lease, as its file says. All empty/zero: unknown (being
 * written, or released). */
struct lease_holder {
	char server[64];
	char host[64];
	long pid;
	time_t since;
};

struct lease {
	int fd; /* -1: not held */
	time_t since;
};

#define LEASE_INIT       \
	{                \
		.fd = -1 \
	}

/* The holder line of @h ("server=... host=... pid=... since=...\n"). */
int lease_holder_format(const struct lease_holder *h, char *buf, size_t size);
/* Parse a holder line; false when it is none (then @h is zeroed). */
bool lease_holder_parse(const char *line, struct lease_holder *h);
/* "SERVER (host HOST, pid PID)", or "an unknown holder". */
void lease_holder_describe(const struct lease_holder *h, char *buf, size_t size);

/*
 * Take @node's lease in <@overlays_fd>/.leases/ (made 0700 if missing) for
 * @me (its since is set to now). 0: held, @l->fd is the lock's descriptor and
 * the file names @me. -EBUSY: another holder has it, @who (may be NULL)
 * says whom as far as its file tells. Other negative errno: no lease could
 * be had (e.g. -ENOLCK: the filesystem keeps no locks).
 */
int lease_take(int overlays_fd, const char *node, const struct lease_holder *me, struct lease *l,
	       struct lease_holder *who);
/* Whether someone holds lease @name now, without taking it (F_OFD_GETLK):
 * 0 when nobody does (or there is no such file), -EBUSY when someone does,
 * @who (may be NULL) as its file says; another negative errno when it
 * cannot be told. */
int lease_probe(int overlays_fd, const char *name, struct lease_holder *who);
/* Give the lease up: the file is emptied first, then the lock dropped. */
void lease_release(struct lease *l);
bool lease_held(const struct lease *l);

#endif
