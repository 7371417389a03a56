/* SPDX-License-Identifier: MIT */
#include "fusefs/union/hfd.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

void hfd_init(struct hfd_cache *c)
{
	pthread_mutex_init(&c->lock, NULL);
	c->clock = 0;
	c->v = NULL;
}

void hfd_destroy(struct hfd_cache *c)
{
	unsigned i;

	for (i = 0; c->v && i < HFD_SLOTS; i++)
		if (c->v[i].fd >= 0)
			close(c->v[i].fd);
	free(c->v);
	c->v = NULL;
	pthread_mutex_destroy(&c->lock);
}

/* Take @h out of the cache; its fd closes with the last user. Lock held;
 * returns the fd to close now, or -1. */
static int hfd_drop_locked(struct hfd *h)
{
	int fd = -1;

	if (--h->refs == 0) {
		fd = h->fd;
		h->fd = -1;
	} else {
		h->id = 0; /* found by no one; the last hfd_put() closes it */
	}
	return fd;
}

struct hfd *hfd_get(struct hfd_cache *c, uint64_t id, bool write)
{
	struct hfd *h = NULL;
	unsigned i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; c->v && i < HFD_SLOTS; i++) {
		if (c->v[i].fd >= 0 && c->v[i].id == id && (c->v[i].writable || !write)) {
			h = &c->v[i];
			h->refs++;
			h->used = ++c->clock;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return h;
}

static bool unlinked(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_nlink == 0;
}

/* A slot for a new file: a free one, else the least recently used one
 * nobody uses, keeping files unlinked while the kernel may still write to
 * them unless nothing else is left. NULL if every slot is busy. Lock
 * held; *close_fd gets the evicted fd. */
static struct hfd *hfd_slot_locked(struct hfd_cache *c, int *close_fd)
{
	for (;;) {
		struct hfd *lru = NULL, *lru_unlinked = NULL;
		unsigned i;

		for (i = 0; i < HFD_SLOTS; i++) {
			struct hfd *h = &c->v[i];

			if (h->fd < 0 && h->refs == 0)
				return h;
			if (h->refs != 1 || h->id == 0)
				continue; /* in use */
			if (h->unlinked) {
				if (!lru_unlinked || h->used < lru_unlinked->used)
					lru_unlinked = h;
			} else if (!lru || h->used < lru->used) {
				lru = h;
			}
		}
		if (lru && !lru->unlinked && unlinked(lru->fd)) {
			lru->unlinked = true;
			continue;
		}
		lru = lru ? lru : lru_unlinked;
		if (lru)
			*close_fd = hfd_drop_locked(lru);
		return lru;
	}
}

int hfd_add(struct hfd_cache *c, uint64_t id, int fd, bool writable, struct hfd **out)
{
	struct hfd *h = NULL, *old = NULL;
	int close_fd = -1, close_old = -1;
	unsigned i;

	pthread_mutex_lock(&c->lock);
	if (!c->v) {
		c->v = calloc(HFD_SLOTS, sizeof(*c->v));
		for (i = 0; c->v && i < HFD_SLOTS; i++)
			c->v[i].fd = -1;
	}
	if (c->v) {
		/* A read-only file of @id that a writer now replaces. */
		for (i = 0; i < HFD_SLOTS && !old; i++)
			if (c->v[i].fd >= 0 && c->v[i].id == id)
				old = &c->v[i];
		if (old)
			close_old = hfd_drop_locked(old);
		h = hfd_slot_locked(c, &close_fd);
	}
	if (h) {
		*h = (struct hfd){
			.id = id, .fd = fd, .writable = writable, .refs = 2, .used = ++c->clock};
	}
	pthread_mutex_unlock(&c->lock);
	if (close_fd >= 0)
		close(close_fd);
	if (close_old >= 0)
		close(close_old);
	if (!h) {
		/* Every slot busy: serve this request uncached. */
		h = calloc(1, sizeof(*h));
		if (!h) {
			close(fd);
			return -ENOMEM;
		}
		*h = (struct hfd){.fd = fd, .writable = writable, .heap = true};
	}
	*out = h;
	return 0;
}

void hfd_put(struct hfd_cache *c, struct hfd *h)
{
	int fd = -1;

	if (!h)
		return;
	if (h->heap) {
		close(h->fd);
		free(h);
		return;
	}
	pthread_mutex_lock(&c->lock);
	if (--h->refs == 0) {
		fd = h->fd;
		h->fd = -1;
	}
	pthread_mutex_unlock(&c->lock);
	if (fd >= 0)
		close(fd);
}

void hfd_forget(struct hfd_cache *c, uint64_t id)
{
	int fd = -1;
	unsigned i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; c->v && i < HFD_SLOTS; i++) {
		if (c->v[i].fd >= 0 && c->v[i].id == id) {
			fd = hfd_drop_locked(&c->v[i]);
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (fd >= 0)
		close(fd);
}

void hfd_forget_all(struct hfd_cache *c)
{
	int fds[HFD_SLOTS];
	unsigned i, n = 0;

	pthread_mutex_lock(&c->lock);
	for (i = 0; c->v && i < HFD_SLOTS; i++) {
		if (c->v[i].fd >= 0 && c->v[i].id != 0) {
			int fd = hfd_drop_locked(&c->v[i]);

			if (fd >= 0)
				fds[n++] = fd;
		}
	}
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < n; i++)
		close(fds[i]);
}
