/* SPDX-License-Identifier: MIT */
#include "fusefs/root/root_lease.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fusefs/serve/log.h"

bool root_lease_waits(struct daemon *d, struct node_rt *rt)
{
	if (!rt->lease_wait)
		return false;
	pthread_rwlock_rdlock(&d->cfg_lock);
	rt->lease_wait = mapper_find_name(d->cfg, rt->name) != NULL;
	pthread_rwlock_unlock(&d->cfg_lock);
	return rt->lease_wait;
}

int root_lease_take(struct daemon *d, struct node_rt *rt, const char *overlays, struct lease *l)
{
	int overlays_fd = open(overlays, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct lease_holder who;
	unsigned retry;
	char desc[200];
	int err;

	if (overlays_fd < 0) {
		err = -errno;
		log_err("node %s: %s: %s (its root is not mounted)", rt->name, overlays,
			strerror(-err));
		return err;
	}
	pthread_rwlock_rdlock(&d->cfg_lock);
	retry = mapper_server(d->cfg)->lease_retry;
	pthread_rwlock_unlock(&d->cfg_lock);
	err = lease_take(overlays_fd, rt->name, &d->lease_me, l, &who);
	close(overlays_fd);
	if (err == -EBUSY) {
		lease_holder_describe(&who, desc, sizeof(desc));
		if (!rt->lease_wait)
			log_warn("node %s: its lease %s/%s/%s is held by %s: not mounting its "
				 "root; trying again every %u s",
				 rt->name, overlays, LEASE_DIR, rt->name, desc, retry);
		rt->lease_wait = true;
		rt->lease_holder = who;
		return err;
	}
	if (err) {
		log_err("node %s: cannot take its lease %s/%s/%s: %s (its root is not mounted)",
			rt->name, overlays, LEASE_DIR, rt->name, strerror(-err));
		return err;
	}
	if (rt->lease_wait) {
		lease_holder_describe(&rt->lease_holder, desc, sizeof(desc));
		log_info("node %s: lease taken (it was held by %s): mounting its root", rt->name,
			 desc);
	}
	rt->lease_wait = false;
	return 0;
}
