/* SPDX-License-Identifier: MIT */
#include "fusefs/serve/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* Set once at start-up, before any thread exists; read-only afterwards. */
static struct {
	bool syslog;
	bool debug;
} log_cfg;

void log_init(bool use_syslog, bool debug)
{
	log_cfg.syslog = use_syslog;
	log_cfg.debug = debug;
	if (use_syslog)
		openlog("netbootfs", LOG_PID, LOG_DAEMON);
}

void nb_log(int level, const char *fmt, ...)
{
	static const char *const names[] = {"emerg",   "alert",	 "crit", "error",
					    "warning", "notice", "info", "debug"};
	va_list ap;

	if (level == LOG_DEBUG && !log_cfg.debug)
		return;
	va_start(ap, fmt);
	if (log_cfg.syslog) {
		vsyslog(level, fmt, ap);
	} else {
		char line[1024];
		struct timespec ts;
		struct tm tm;

		vsnprintf(line, sizeof(line), fmt, ap);
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		/* One fprintf per line keeps lines whole across threads. */
		fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ netbootfs %s: %s\n",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec, ts.tv_nsec / 1000000, names[level & 7], line);
	}
	va_end(ap);
}
