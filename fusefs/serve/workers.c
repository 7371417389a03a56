/* SPDX-License-Identifier: MIT */
#include "fusefs/serve/workers.h"

#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "fusefs/serve/log.h"

struct pool_session {
	struct pool_session *next;
	struct fuse_session *se;
	int fd;
	unsigned busy; /* workers inside this session, under pool lock */
	bool removed;
};

struct worker_pool {
	int epfd;
	int stopfd[2]; /* a byte here stops every worker (level-triggered) */
	unsigned nthreads;
	pthread_t *threads;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct pool_session *sessions;
	/* Removed sessions stay allocated until destroy: a worker may still
	 * hold an epoll event naming one. */
	struct pool_session *dead;
};

static void session_arm(struct worker_pool *p, struct pool_session *ps, int op)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = ps};

	if (epoll_ctl(p->epfd, op, ps->fd, &ev) != 0 && errno != ENOENT)
		log_err("epoll_ctl: %s", strerror(errno));
}

static void session_release(struct worker_pool *p, struct pool_session *ps)
{
	pthread_mutex_lock(&p->lock);
	ps->busy--;
	pthread_cond_broadcast(&p->idle);
	pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *arg)
{
	struct worker_pool *p = arg;
	struct fuse_buf buf = {.mem = NULL};

	for (;;) {
		struct epoll_event ev;
		struct pool_session *ps;
		int n, res;

		n = epoll_wait(p->epfd, &ev, 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("epoll_wait: %s", strerror(errno));
			break;
		}
		if (ev.data.ptr == NULL)
			break; /* the stop pipe: level-triggered, wakes every worker */
		ps = ev.data.ptr;
		pthread_mutex_lock(&p->lock);
		if (ps->removed) {
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		ps->busy++;
		pthread_mutex_unlock(&p->lock);

		res = fuse_session_receive_buf(ps->se, &buf);
		if (fuse_session_exited(ps->se) || (res < 0 && res != -EINTR && res != -EAGAIN)) {
			/* Unmounted (ENODEV) or broken: leave it disarmed. */
			session_release(p, ps);
			continue;
		}
		session_arm(p, ps, EPOLL_CTL_MOD);
		if (res > 0)
			fuse_session_process_buf(ps->se, &buf);
		session_release(p, ps);
	}
	free(buf.mem);
	return NULL;
}

int pool_create(unsigned nthreads, struct worker_pool **out)
{
	struct worker_pool *p = calloc(1, sizeof(*p));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	unsigned i;
	int err;

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->idle, NULL);
	p->stopfd[0] = p->stopfd[1] = -1;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0 || pipe2(p->stopfd, O_CLOEXEC) != 0) {
		err = -errno;
		goto fail;
	}
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->stopfd[0], &ev) != 0) {
		err = -errno;
		goto fail;
	}
	p->threads = calloc(nthreads, sizeof(*p->threads));
	if (!p->threads) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < nthreads; i++) {
		err = pthread_create(&p->threads[i], NULL, worker_main, p);
		if (err) {
			err = -err;
			p->nthreads = i;
			pool_destroy(p);
			return err;
		}
	}
	p->nthreads = nthreads;
	*out = p;
	return 0;
fail:
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->stopfd[0] >= 0)
		close(p->stopfd[0]);
	if (p->stopfd[1] >= 0)
		close(p->stopfd[1]);
	free(p);
	return err;
}

int pool_add_session(struct worker_pool *p, struct fuse_session *se)
{
	struct pool_session *ps = calloc(1, sizeof(*ps));
	int fd = fuse_session_fd(se);

	if (!ps)
		return -ENOMEM;
	ps->se = se;
	ps->fd = fd;
	/* Non-blocking: a spurious wake-up must not park a worker in read(). */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pthread_mutex_lock(&p->lock);
	ps->next = p->sessions;
	p->sessions = ps;
	pthread_mutex_unlock(&p->lock);
	session_arm(p, ps, EPOLL_CTL_ADD);
	return 0;
}

void pool_remove_session(struct worker_pool *p, struct fuse_session *se)
{
	struct pool_session **pp, *ps = NULL;

	pthread_mutex_lock(&p->lock);
	for (pp = &p->sessions; *pp; pp = &(*pp)->next) {
		if ((*pp)->se == se) {
			ps = *pp;
			*pp = ps->next;
			break;
		}
	}
	if (!ps) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	ps->removed = true;
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, ps->fd, NULL);
	while (ps->busy)
		pthread_cond_wait(&p->idle, &p->lock);
	ps->next = p->dead;
	p->dead = ps;
	pthread_mutex_unlock(&p->lock);
}

unsigned pool_threads(const struct worker_pool *p)
{
	return p->nthreads;
}

void pool_destroy(struct worker_pool *p)
{
	unsigned i;
	char c = 0;

	if (!p)
		return;
	if (write(p->stopfd[1], &c, 1) != 1)
		log_err("cannot stop the workers: %s", strerror(errno));
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (i = 0; i < 2; i++) {
		struct pool_session **list = i ? &p->dead : &p->sessions;

		while (*list) {
			struct pool_session *ps = *list;

			*list = ps->next;
			free(ps);
		}
	}
	close(p->stopfd[0]);
	close(p->stopfd[1]);
	close(p->epfd);
	free(p->threads);
	free(p);
}
