/* SPDX-License-Identifier: MIT */
#include "fusefs/serve/notify.h"

#include <fuse_lowlevel.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fusefs/context.h"
#include "fusefs/serve/log.h"
#include "fusefs/serve/mount.h"

struct inval {
	struct inval *next;
	struct fuse_session *se;
	uint64_t parent;
	char *tree; /* a mount point: drop all of its top-level entries */
	char name[];
};

struct notifier {
	struct daemon *d;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct inval *head, **tail;
	unsigned long queued, done;
	bool stop;
};

/* Names come from listing the mount itself (through the workers). */
static void inval_tree(struct fuse_session *se, const char *mountpoint)
{
	DIR *d = opendir(mountpoint);
	struct dirent *de;

	if (!d) {
		log_warn("%s: cannot list to drop caches: %s", mountpoint, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		fuse_lowlevel_notify_inval_entry(se, FUSE_ROOT_ID, de->d_name, strlen(de->d_name));
	}
	closedir(d);
	fuse_lowlevel_notify_inval_inode(se, FUSE_ROOT_ID, 0, 0);
}

static void *notifier_main(void *arg)
{
	struct notifier *n = arg;

	pthread_mutex_lock(&n->lock);
	for (;;) {
		struct inval *it;
		int err;

		while (!n->head && !n->stop)
			pthread_cond_wait(&n->cond, &n->lock);
		if (!n->head)
			break;
		it = n->head;
		n->head = it->next;
		if (!n->head)
			n->tail = &n->head;
		pthread_mutex_unlock(&n->lock);
		if (it->tree) {
			inval_tree(it->se, it->tree);
		} else {
			err = fuse_lowlevel_notify_inval_entry(it->se, it->parent, it->name,
							       strlen(it->name));
			/* ENOENT: nothing cached, which is fine. */
			if (err && err != -ENOENT)
				log_debug("invalidate %s: %s", it->name, strerror(-err));
		}
		free(it->tree);
		free(it);
		pthread_mutex_lock(&n->lock);
		n->done++;
		pthread_cond_broadcast(&n->cond);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

int notifier_start(struct daemon *d, struct notifier **out)
{
	struct notifier *n = calloc(1, sizeof(*n));
	int err;

	if (!n)
		return -ENOMEM;
	n->d = d;
	n->tail = &n->head;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	err = pthread_create(&n->thread, NULL, notifier_main, n);
	if (err) {
		free(n);
		return -err;
	}
	*out = n;
	return 0;
}

void notifier_stop(struct notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = true;
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	while (n->head) {
		struct inval *it = n->head;

		n->head = it->next;
		free(it->tree);
		free(it);
	}
	free(n);
}

static void queue(struct notifier *n, struct inval *it)
{
	pthread_mutex_lock(&n->lock);
	*n->tail = it;
	n->tail = &it->next;
	n->queued++;
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

void notifier_inval_entry(struct notifier *n, struct fuse_session *se, uint64_t parent,
			  const char *name)
{
	struct inval *it;

	if (!n || !se || !*name || strlen(name) > NAME_MAX)
		return;
	/* Sized to the name: a reboot onto a new generation may queue one
	 * per name the kernel cached. */
	it = calloc(1, sizeof(*it) + strlen(name) + 1);
	if (!it) {
		log_err("cannot queue a cache invalidation: out of memory");
		return;
	}
	it->se = se;
	it->parent = parent;
	strcpy(it->name, name);
	queue(n, it);
}

void notifier_inval_tree(struct notifier *n, struct fuse_session *se, const char *mountpoint)
{
	struct inval *it;

	if (!n || !se)
		return;
	it = calloc(1, sizeof(*it) + 1);
	if (!it || !(it->tree = strdup(mountpoint))) {
		free(it);
		log_err("cannot queue a cache invalidation: out of memory");
		return;
	}
	it->se = se;
	queue(n, it);
}

void notifier_node_changed(struct notifier *n, unsigned slot)
{
	struct daemon *d = n->d;
	struct fuse_session *se = d->tftp ? fs_mount_session(d->tftp) : NULL;
	struct node_rt *rt = daemon_node(d, slot);
	char serial[SERIAL_LEN + 1] = "", mac[MAC_LEN + 1] = "";
	const struct node *node;

	if (!rt || !se)
		return;
	pthread_rwlock_rdlock(&d->cfg_lock);
	node = mapper_find_name(d->cfg, rt->name);
	if (node) {
		memcpy(serial, node->serial, sizeof(serial));
		memcpy(mac, node->mac, sizeof(mac));
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	notifier_inval_entry(n, se, FUSE_ROOT_ID, serial);
	notifier_inval_entry(n, se, FUSE_ROOT_ID, mac);
}

void notifier_flush(struct notifier *n)
{
	unsigned long target;

	pthread_mutex_lock(&n->lock);
	target = n->queued;
	while (n->done < target && !n->stop)
		pthread_cond_wait(&n->cond, &n->lock);
	pthread_mutex_unlock(&n->lock);
}
