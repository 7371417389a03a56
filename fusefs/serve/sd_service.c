/* SPDX-License-Identifier: MIT */
/* systemd notifications and watchdog pings (see sd_service.h). */
#include <systemd/sd-daemon.h>
#include <time.h>

#include "fusefs/serve/sd_service.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void sd_service_init(struct sd_service *s)
{
	uint64_t usec = 0;

	s->watchdog_usec = sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
	s->last_ping = now_usec();
}

void sd_service_ready(unsigned nodes)
{
	sd_notifyf(0, "READY=1\nSTATUS=serving %u node%s", nodes, nodes == 1 ? "" : "s");
}

void sd_service_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void sd_service_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=unmounting");
}

int sd_service_timeout_ms(const struct sd_service *s, int ms)
{
	int half;

	if (!s->watchdog_usec)
		return ms;
	half = (int)(s->watchdog_usec / 2000u);
	if (half < 1)
		half = 1;
	return ms < 0 || ms > half ? half : ms;
}

void sd_service_tick(struct sd_service *s)
{
	uint64_t now;

	if (!s->watchdog_usec)
		return;
	now = now_usec();
	if (now - s->last_ping >= s->watchdog_usec / 2) {
		sd_notify(0, "WATCHDOG=1");
		s->last_ping = now;
	}
}
