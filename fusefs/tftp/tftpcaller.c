/* SPDX-License-Identifier: MIT */
/*
 * Who is reading the TFTP tree. A lookup in a node's boot tree is a TFTP
 * request only when the TFTP server made it: its process runs one of the
 * executables [server] tftp_server names (/proc/PID/exe, the file the
 * process runs, whatever argv[0] says), in the daemon's user namespace.
 * Everything else is a read on the server itself (an admin's cat, a
 * monitoring check, nfsd exporting the tree as a node's /boot/firmware)
 * and never starts a boot.
 *
 * Why the executable: the FUSE request carries the caller's pid and
 * nothing else. dnsmasq serves TFTP from its one process, under whatever
 * user it dropped to; its executable is the one stable thing about it. A
 * local user who runs dnsmasq as a TFTP server of its own needs port 69,
 * which only root has, unless in a user namespace of its own: hence the
 * namespace check.
 */
#include "fusefs/tftp/tftpcaller.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusefs/context.h"

#define DELETED " (deleted)"

/* The executable @pid runs; a binary replaced by a package upgrade while it
 * runs reads "PATH (deleted)" and still counts as PATH. */
static int exe_of(pid_t pid, char *buf, size_t size)
{
	char link[64];
	size_t dl = strlen(DELETED);
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, buf, size - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((size_t)n > dl && strcmp(buf + n - dl, DELETED) == 0)
		buf[n - dl] = '\0';
	return 0;
}

static bool same_user_ns(pid_t pid)
{
	char link[64], theirs[64], ours[64];
	ssize_t a, b;

	snprintf(link, sizeof(link), "/proc/%d/ns/user", (int)pid);
	a = readlink(link, theirs, sizeof(theirs));
	b = readlink("/proc/self/ns/user", ours, sizeof(ours));
	return a > 0 && a == b && memcmp(theirs, ours, (size_t)a) == 0;
}

/* Whether @exe is one of the comma separated @list (each resolved). */
static bool exe_listed(const char *exe, const char *list)
{
	char one[PATH_MAX], real[PATH_MAX];
	size_t len;

	while (*list) {
		list += strspn(list, " \t,");
		len = strcspn(list, ", \t");
		if (len && len < sizeof(one)) {
			memcpy(one, list, len);
			one[len] = '\0';
			if (strcmp(exe, realpath(one, real) ? real : one) == 0)
				return true;
		}
		list += len;
	}
	return false;
}

bool tftp_caller_is_server(struct daemon *d, pid_t pid)
{
	char exe[PATH_MAX], list[1024];

	if (pid <= 0 || exe_of(pid, exe, sizeof(exe)) != 0)
		return false;
	pthread_rwlock_rdlock(&d->cfg_lock);
	snprintf(list, sizeof(list), "%s", mapper_server(d->cfg)->tftp_server);
	pthread_rwlock_unlock(&d->cfg_lock);
	return exe_listed(exe, list) && same_user_ns(pid);
}
