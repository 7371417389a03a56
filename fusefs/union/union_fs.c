/* SPDX-License-Identifier: MIT */
/* A node's union (struct union_fs): setting up and tearing down what the
 * engine keeps. */
#include "fusefs/union/union_priv.h"

#include "fusefs/union/dircache.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int union_fs_init(struct union_fs *fs, unsigned slot, const char *name,
		  const atomic_uint_fast64_t *quota_limit, union_log_fn log)
{
	int err;

	memset(fs, 0, sizeof(*fs));
	fs->slot = slot;
	fs->name = name;
	fs->log = log;
	fs->quota_limit = quota_limit;
	fs->overlays_fd = fs->upper_fd = fs->work_fd = -1;
	pthread_mutex_init(&fs->copyup_lock, NULL);
	pthread_mutex_init(&fs->dircache_lock, NULL);
	pthread_mutex_init(&fs->open_lock, NULL);
	genholds_init(&fs->holds);
	hfd_init(&fs->hfd);
	err = itable_init(&fs->itab);
	if (err) {
		pthread_mutex_destroy(&fs->copyup_lock);
		pthread_mutex_destroy(&fs->dircache_lock);
		pthread_mutex_destroy(&fs->open_lock);
		genholds_destroy(&fs->holds);
		hfd_destroy(&fs->hfd);
	}
	return err;
}

void union_fs_destroy(struct union_fs *fs)
{
	if (fs->overlays_fd >= 0)
		close(fs->overlays_fd);
	if (fs->upper_fd >= 0)
		close(fs->upper_fd);
	if (fs->work_fd >= 0)
		close(fs->work_fd);
	fs->overlays_fd = fs->upper_fd = fs->work_fd = -1;
	itable_destroy(&fs->itab);
	pthread_mutex_destroy(&fs->copyup_lock);
	pthread_mutex_destroy(&fs->dircache_lock);
	pthread_mutex_destroy(&fs->open_lock);
	genholds_destroy(&fs->holds);
	hfd_destroy(&fs->hfd);
	dircache_free(fs);
}
