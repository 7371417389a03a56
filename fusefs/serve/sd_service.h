/* SPDX-License-Identifier: MIT */
/*
 * systemd's service protocol (Type=notify): READY=1 once every view is
 * mounted, RELOADING=1/READY=1 around a reload, STOPPING=1, and WATCHDOG=1
 * pings from the main loop when the unit sets WatchdogSec=. Every call is a
 * no-op when not started by systemd (no $NOTIFY_SOCKET).
 */
#ifndef NETBOOTFS_SD_SERVICE_H
#define NETBOOTFS_SD_SERVICE_H

#include <stdint.h>

struct sd_service {
	uint64_t watchdog_usec; /* 0: no watchdog */
	uint64_t last_ping;	/* CLOCK_MONOTONIC, usec */
};

void sd_service_init(struct sd_service *s);
void sd_service_ready(unsigned nodes);
void sd_service_reloading(void);
void sd_service_stopping(void);
/* poll() timeout honouring the watchdog: @ms (-1: none) or less. */
int sd_service_timeout_ms(const struct sd_service *s, int ms);
/* Ping the watchdog when half its interval has passed since the last ping. */
void sd_service_tick(struct sd_service *s);

#endif
