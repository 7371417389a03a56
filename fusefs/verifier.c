/* SPDX-License-Identifier: MIT */
/* The background verification thread (verifier.h). */
#include "fusefs/verifier.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fusefs/serve/log.h"

/* linux/ioprio.h is missing from older libc headers. */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_BE	   2
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_LOWEST_BE   ((IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | 7)

struct verifier {
	struct catalog *catalog;
	catalog_report_fn report;
	void *report_ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool kicked, stopping, running;
	int efd;
};

/*
 * CPU: SCHED_IDLE runs only when nothing else of the process wants the CPU
 * (with autogroups, other sessions do not count). I/O: the lowest
 * best-effort level rather than the idle class, which a node reading
 * without pause would starve for good.
 */
static void lower_priority(void)
{
	struct sched_param sp = {0};
	int err;

	err = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	if (err)
		log_warn("image verification: cannot use SCHED_IDLE: %s", strerror(err));
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_LOWEST_BE) < 0)
		log_warn("image verification: cannot lower the I/O priority: %s", strerror(errno));
}

static void *verifier_main(void *arg)
{
	struct verifier *v = arg;
	uint64_t one = 1;

	pthread_setname_np(pthread_self(), "nb-verify");
	lower_priority();
	pthread_mutex_lock(&v->lock);
	while (!v->stopping) {
		if (!v->kicked) {
			pthread_cond_wait(&v->cond, &v->lock);
			continue;
		}
		v->kicked = false;
		pthread_mutex_unlock(&v->lock);
		while (catalog_verify_pending(v->catalog, v->report, v->report_ctx) > 0) {
			if (write(v->efd, &one, sizeof(one)) < 0)
				log_err("image verification: eventfd: %s", strerror(errno));
			if (__atomic_load_n(&v->stopping, __ATOMIC_RELAXED))
				break;
		}
		pthread_mutex_lock(&v->lock);
	}
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

int verifier_start(struct catalog *catalog, catalog_report_fn report, void *ctx,
		   struct verifier **out)
{
	struct verifier *v = calloc(1, sizeof(*v));
	int err;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	v->catalog = catalog;
	v->report = report;
	v->report_ctx = ctx;
	v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->efd < 0) {
		err = -errno;
		free(v);
		log_err("image verification: eventfd: %s", strerror(-err));
		return err;
	}
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	err = -pthread_create(&v->thread, NULL, verifier_main, v);
	if (err) {
		log_err("image verification: cannot start its thread: %s", strerror(-err));
		verifier_stop(v);
		return err;
	}
	v->running = true;
	*out = v;
	return 0;
}

void verifier_kick(struct verifier *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	v->kicked = true;
	pthread_cond_signal(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

int verifier_fd(const struct verifier *v)
{
	return v ? v->efd : -1;
}

void verifier_drain(struct verifier *v)
{
	uint64_t n;

	if (v && read(v->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("image verification: eventfd: %s", strerror(errno));
}

void verifier_stop(struct verifier *v)
{
	if (!v)
		return;
	if (v->catalog)
		catalog_cancel_verify(v->catalog);
	pthread_mutex_lock(&v->lock);
	__atomic_store_n(&v->stopping, true, __ATOMIC_RELAXED);
	pthread_cond_signal(&v->cond);
	pthread_mutex_unlock(&v->lock);
	if (v->running)
		pthread_join(v->thread, NULL);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	close(v->efd);
	free(v);
}
