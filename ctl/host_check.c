/* SPDX-License-Identifier: MIT */
/* Host settings worth a warning in netbootctl check. */
#include "ctl/host_check.h"

#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CPUIDLE_DRIVER "devices/system/cpu/cpuidle/current_driver"
#define HALTPOLL_NS    "module/haltpoll/parameters/guest_halt_poll_ns"

/* The first line of @sysfs/@rel without its newline; false when unreadable. */
static bool read_line(const char *sysfs, const char *rel, char *path, size_t plen, char *buf,
		      size_t len)
{
	FILE *f;
	bool ok;

	snprintf(path, plen, "%s/%s", sysfs, rel);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

void host_warn(struct host_warnings *w, const char *fmt, ...)
{
	va_list ap;

	if (w->n == HOST_WARNINGS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(w->text[w->n++], HOST_WARNING_LEN, fmt, ap);
	va_end(ap);
}

/*
 * In a VM with the haltpoll cpuidle driver, guest_halt_poll_ns = 0 halts an
 * idle vCPU at once: every FUSE request then waits for the daemon's vCPU,
 * and the reply for the caller's, to be woken by an IPI and a VM exit
 * (docs/design.md, "Transport": some 30 us each way where it was measured).
 */
static void check_haltpoll(const char *sysfs, struct host_warnings *w)
{
	char path[PATH_MAX], driver[64], ns[64];

	if (!read_line(sysfs, CPUIDLE_DRIVER, path, sizeof(path), driver, sizeof(driver)) ||
	    strcmp(driver, "haltpoll") != 0)
		return;
	if (!read_line(sysfs, HALTPOLL_NS, path, sizeof(path), ns, sizeof(ns)) ||
	    strcmp(ns, "0") != 0)
		return;
	host_warn(w,
		  "%s is 0 with the cpuidle driver haltpoll: each FUSE round trip then pays a vCPU "
		  "wake-up (an IPI and a VM exit, tens of microseconds); set it now with "
		  "'echo 200000 > %s' and at boot with the kernel parameter "
		  "haltpoll.guest_halt_poll_ns=200000",
		  path, path);
}

void host_check(const char *sysfs, struct host_warnings *w)
{
	w->n = 0;
	check_haltpoll(sysfs, w);
}
