/* SPDX-License-Identifier: MIT */
#include "fusefs/tftp/unknown_clients.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fusefs/context.h"
#include "fusefs/serve/log.h"
#include "mapper/sightings.h"

struct unknown_clients {
	struct daemon *d;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	bool stop;
	/* Under lock: */
	struct sightings *seen;
	unsigned epoch;		   /* the log interval; 0 tags a client logged by name */
	unsigned long requests;	   /* this interval, not logged by name */
	unsigned long clients;	   /* ... from so many distinct clients */
	bool busy, was_busy;	   /* any request this / the last interval */
	struct timespec log_start; /* of this interval */
	/* The thread's own: */
	int last_err; /* of the last write, so a failure is logged once */
};

static struct timespec mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

static double seconds_between(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

void unknown_clients_seen(struct unknown_clients *u, const char *name)
{
	bool by_name;
	int first;

	pthread_mutex_lock(&u->lock);
	by_name = !u->busy && !u->was_busy;
	u->busy = true;
	first = sightings_add(u->seen, name, time(NULL), by_name ? 0 : u->epoch);
	if (!by_name && first >= 0) {
		u->requests++;
		u->clients += (unsigned long)first;
	}
	pthread_mutex_unlock(&u->lock);
	if (first < 0)
		log_warn("cannot count unknown client %s: %s", name, strerror(-first));
	else if (by_name)
		log_info("unknown client %s asked for its boot tree", name);
}

void unknown_clients_lookup(struct daemon *d, const char *name)
{
	if (daemon_client_elsewhere(d, name))
		atomic_fetch_add(&d->elsewhere_requests, 1);
	else
		unknown_clients_seen(d->unknown, name);
}

/* Fold what was counted since the last write into <state>/discovered. */
static void flush(struct unknown_clients *u)
{
	struct daemon *d = u->d;
	struct discovered *v;
	char state[PATH_MAX];
	size_t n = 0, i, kept;
	int err;

	pthread_mutex_lock(&u->lock);
	err = sightings_take(u->seen, "tftp", &v, &n);
	pthread_mutex_unlock(&u->lock);
	if (!err && !n)
		return;
	pthread_rwlock_rdlock(&d->cfg_lock);
	snprintf(state, sizeof(state), "%s", mapper_server(d->cfg)->state);
	/* A client made a node since it was counted is no longer unknown. */
	for (i = kept = 0; i < n; i++)
		if (!discovered_is_node(&v[i], d->cfg))
			v[kept++] = v[i];
	n = kept;
	pthread_rwlock_unlock(&d->cfg_lock);
	if (!err)
		err = discovered_merge(state, v, n);
	if (err) {
		pthread_mutex_lock(&u->lock);
		sightings_restore(u->seen, v, n);
		pthread_mutex_unlock(&u->lock);
		if (err != u->last_err)
			log_warn("cannot record unknown clients in %s: %s", state, strerror(-err));
	} else if (u->last_err) {
		log_info("unknown clients recorded in %s again", state);
	}
	u->last_err = err;
	free(v);
}

/* End the log interval: one line for what was not logged by name. */
static void summarise(struct unknown_clients *u, struct timespec now)
{
	unsigned long requests, clients;
	double secs;

	pthread_mutex_lock(&u->lock);
	requests = u->requests;
	clients = u->clients;
	secs = seconds_between(u->log_start, now);
	u->requests = u->clients = 0;
	u->was_busy = u->busy;
	u->busy = false;
	u->epoch = u->epoch == UINT_MAX ? 1 : u->epoch + 1;
	u->log_start = now;
	pthread_mutex_unlock(&u->lock);
	if (requests)
		log_info("%lu requests from %lu unknown clients in the last %.0f s", requests,
			 clients, secs < 1 ? 1 : secs);
}

static struct timespec add_seconds(struct timespec t, int s)
{
	t.tv_sec += s;
	return t;
}

static bool before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static void *unknown_main(void *arg)
{
	struct unknown_clients *u = arg;
	struct timespec next_flush, next_log, now = mono_now();

	next_flush = add_seconds(now, UNKNOWN_FLUSH_S);
	next_log = add_seconds(now, UNKNOWN_LOG_S);
	pthread_mutex_lock(&u->lock);
	while (!u->stop) {
		struct timespec wake = before(next_flush, next_log) ? next_flush : next_log;

		if (pthread_cond_timedwait(&u->cond, &u->lock, &wake) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&u->lock);
		now = mono_now();
		if (!before(now, next_flush)) {
			flush(u);
			next_flush = add_seconds(next_flush, UNKNOWN_FLUSH_S);
			if (before(next_flush, now))
				next_flush = add_seconds(now, UNKNOWN_FLUSH_S);
		}
		if (!before(now, next_log)) {
			summarise(u, now);
			next_log = add_seconds(now, UNKNOWN_LOG_S);
		}
		pthread_mutex_lock(&u->lock);
	}
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

int unknown_clients_start(struct daemon *d, struct unknown_clients **out)
{
	struct unknown_clients *u = calloc(1, sizeof(*u));
	pthread_condattr_t ca;
	int err;

	if (!u)
		return -ENOMEM;
	u->d = d;
	u->epoch = 1;
	u->log_start = mono_now();
	err = sightings_create(DISCOVERED_MAX, &u->seen);
	if (err) {
		free(u);
		return err;
	}
	pthread_mutex_init(&u->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cond, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&u->thread, NULL, unknown_main, u);
	if (err) {
		pthread_cond_destroy(&u->cond);
		pthread_mutex_destroy(&u->lock);
		sightings_free(u->seen);
		free(u);
		return -err;
	}
	*out = u;
	return 0;
}

void unknown_clients_stop(struct unknown_clients *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	u->stop = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
	flush(u);
	summarise(u, mono_now());
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->lock);
	sightings_free(u->seen);
	free(u);
}
