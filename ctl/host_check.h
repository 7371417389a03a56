/* SPDX-License-Identifier: MIT */
/*
 * Host settings that slow netbootfs down without breaking anything:
 * `netbootctl check` reports them as warnings, never as problems.
 */
#ifndef NETBOOTFS_CTL_HOST_CHECK_H
#define NETBOOTFS_CTL_HOST_CHECK_H

#include <stddef.h>

#define HOST_WARNINGS_MAX 4
#define HOST_WARNING_LEN  1024

struct host_warnings {
	size_t n;
	char text[HOST_WARNINGS_MAX][HOST_WARNING_LEN];
};

/*
 * Read the host's settings under @sysfs ("/sys"; the tests point it
 * elsewhere) and fill @w with one line per setting worth changing:
 * today, guest halt polling switched off in a virtual machine whose
 * cpuidle driver is haltpoll. A file that cannot be read is no warning.
 */
void host_check(const char *sysfs, struct host_warnings *w);

/* Add one warning to @w (beyond HOST_WARNINGS_MAX, none). */
void __attribute__((format(printf, 2, 3))) host_warn(struct host_warnings *w, const char *fmt, ...);

#endif
