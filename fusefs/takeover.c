/* SPDX-License-Identifier: MIT */
/* Unplanned take-over between servers (takeover.h). Main thread only. */
#include "fusefs/takeover.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fusefs/serve/log.h"
#include "lib/mkdirp.h"

bool takeover_active(struct daemon *d)
{
	const struct server_config *srv = mapper_server(d->cfg);

	return lease_held(&d->alive) && srv->takeover_after > 0;
}

static int open_overlays(struct daemon *d)
{
	char overlays[PATH_MAX];

	pthread_rwlock_rdlock(&d->cfg_lock);
	snprintf(overlays, sizeof(overlays), "%s", mapper_server(d->cfg)->overlays);
	pthread_rwlock_unlock(&d->cfg_lock);
	return open(overlays, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int takeover_start(struct daemon *d)
{
	char name[sizeof(LEASE_ALIVE) + NODE_NAME_MAX], desc[200];
	struct lease_holder who;
	int fd, err;

	if (!mapper_server_count(d->cfg) || mapper_server(d->cfg)->role == ROLE_PXE)
		return 0;
	snprintf(name, sizeof(name), LEASE_ALIVE "%s", mapper_self(d->cfg));
	err = mkdir_p(mapper_server(d->cfg)->overlays, 0700);
	if (err && err != -EEXIST)
		return err;
	fd = open_overlays(d);
	err = fd < 0 ? -errno : lease_take(fd, name, &d->lease_me, &d->alive, &who);
	if (fd >= 0)
		close(fd);
	if (err == -EBUSY) {
		lease_holder_describe(&who, desc, sizeof(desc));
		log_err("server %s is already run by %s (%s/%s holds its lease)",
			mapper_self(d->cfg), desc, mapper_server(d->cfg)->overlays, LEASE_DIR);
	} else if (err) {
		log_err("server %s: cannot take its lease %s/%s/%s: %s", mapper_self(d->cfg),
			mapper_server(d->cfg)->overlays, LEASE_DIR, name, strerror(-err));
	}
	return err;
}

void takeover_stop(struct daemon *d)
{
	for (size_t i = 0; i < d->n_peers; i++)
		lease_release(&d->peers[i].adopt);
	free(d->peers);
	d->peers = NULL;
	d->n_peers = 0;
	lease_release(&d->alive);
}

static struct peer_server *peer_get(struct daemon *d, const char *name)
{
	struct peer_server *bigger;

	for (size_t i = 0; i < d->n_peers; i++)
		if (strcmp(d->peers[i].name, name) == 0)
			return &d->peers[i];
	bigger = realloc(d->peers, (d->n_peers + 1) * sizeof(*bigger));
	if (!bigger)
		return NULL;
	d->peers = bigger;
	bigger = &d->peers[d->n_peers++];
	memset(bigger, 0, sizeof(*bigger));
	snprintf(bigger->name, sizeof(bigger->name), "%s", name);
	bigger->adopt = (struct lease)LEASE_INIT;
	return bigger;
}

/* One other server: true when this daemon starts or stops serving it. */
static bool check_peer(struct daemon *d, int fd, struct peer_server *p, long long now,
		       unsigned takeover)
{
	char alive[sizeof(LEASE_ALIVE) + NODE_NAME_MAX], adopt[sizeof(LEASE_ADOPT) + NODE_NAME_MAX];
	struct lease_holder who;
	char desc[200];
	int err;

	snprintf(alive, sizeof(alive), LEASE_ALIVE "%s", p->name);
	snprintf(adopt, sizeof(adopt), LEASE_ADOPT "%s", p->name);
	err = lease_probe(fd, alive, &who);
	if (err == -EBUSY) {
		p->free_since = 0;
		if (!lease_held(&p->adopt))
			return false;
		lease_holder_describe(&who, desc, sizeof(desc));
		log_info("server %s is back (%s): its nodes go back to it as they go idle", p->name,
			 desc);
		lease_release(&p->adopt);
		return true;
	}
	if (err || lease_held(&p->adopt))
		return false;
	if (!p->free_since)
		p->free_since = now;
	if (now - p->free_since < (long long)takeover * 1000)
		return false;
	if (lease_take(fd, adopt, &d->lease_me, &p->adopt, NULL) != 0)
		return false; /* another server took it over */
	log_warn("server %s has been down for %lld s (nobody holds %s/%s): serving its nodes "
		 "from here",
		 p->name, (now - p->free_since) / 1000, LEASE_DIR, alive);
	return true;
}

bool takeover_check(struct daemon *d)
{
	long long now = mono_ms();
	bool changed = false;
	unsigned takeover;
	int fd;

	if (!takeover_active(d))
		return false;
	fd = open_overlays(d);
	if (fd < 0)
		return false;
	pthread_rwlock_rdlock(&d->cfg_lock);
	takeover = mapper_server(d->cfg)->takeover_after;
	for (size_t i = 0; i < mapper_server_count(d->cfg); i++) {
		const char *name = mapper_server_name(d->cfg, i);
		struct peer_server *p;

		if (strcmp(name, mapper_self(d->cfg)) == 0)
			continue;
		p = peer_get(d, name);
		if (p && check_peer(d, fd, p, now, takeover))
			changed = true;
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	close(fd);
	return changed;
}

int takeover_adopt(struct daemon *d, struct mapper *m)
{
	int err = 0;

	for (size_t i = 0; i < d->n_peers && !err; i++)
		if (lease_held(&d->peers[i].adopt))
			err = mapper_adopt(m, d->peers[i].name);
	return err;
}

/* @cmd split at blanks into @argv (at most @max - 1 words, NULL ended),
 * in @buf. */
static void split_words(char *buf, char **argv, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *w = strtok_r(buf, " \t", &save); w && n + 1 < max;
	     w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
}

void takeover_hook_run(struct daemon *d)
{
	char cmd[PATH_MAX], server[sizeof("NETBOOTFS_SERVER=") + NODE_NAME_MAX],
		adopted[4096] = "NETBOOTFS_TAKING_OVER=";
	char *argv[64], **envp;
	size_t n_env = 0;
	pid_t pid;

	pthread_rwlock_rdlock(&d->cfg_lock);
	snprintf(cmd, sizeof(cmd), "%s", mapper_server(d->cfg)->on_takeover);
	snprintf(server, sizeof(server), "NETBOOTFS_SERVER=%s", mapper_self(d->cfg));
	pthread_rwlock_unlock(&d->cfg_lock);
	if (!cmd[0])
		return;
	if (d->hook_pid > 0) {
		d->hook_again = true;
		return;
	}
	for (size_t i = 0; i < d->n_peers; i++)
		if (lease_held(&d->peers[i].adopt))
			snprintf(adopted + strlen(adopted), sizeof(adopted) - strlen(adopted),
				 "%s%s", adopted[sizeof("NETBOOTFS_TAKING_OVER=") - 1] ? "," : "",
				 d->peers[i].name);
	split_words(cmd, argv, sizeof(argv) / sizeof(argv[0]));
	/* Built before fork(): the child of a threaded process only execs. */
	while (environ[n_env])
		n_env++;
	envp = calloc(n_env + 3, sizeof(*envp));
	if (!envp) {
		log_err("on_takeover: %s", strerror(ENOMEM));
		return;
	}
	memcpy(envp, environ, n_env * sizeof(*envp));
	envp[n_env] = server;
	envp[n_env + 1] = adopted;
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		/* Nothing of the daemon's: no lease, no /dev/fuse, no
		 * socket survives into the command. */
		sigemptyset(&none);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	free(envp);
	if (pid < 0) {
		log_err("on_takeover: cannot run %s: %s", argv[0], strerror(errno));
		return;
	}
	d->hook_pid = pid;
	d->hook_again = false;
	log_info("on_takeover: running %s (pid %d, taking over: %s)", argv[0], (int)pid,
		 adopted[sizeof("NETBOOTFS_TAKING_OVER=") - 1]
			 ? adopted + sizeof("NETBOOTFS_TAKING_OVER=") - 1
			 : "nobody");
}

void takeover_hook_reap(struct daemon *d)
{
	int status;

	if (d->hook_pid <= 0 || waitpid(d->hook_pid, &status, WNOHANG) != d->hook_pid)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("on_takeover: pid %d exited with status 0", (int)d->hook_pid);
	else if (WIFEXITED(status))
		log_warn("on_takeover: pid %d exited with status %d%s", (int)d->hook_pid,
			 WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (cannot be run?)" : "");
	else
		log_warn("on_takeover: pid %d killed by signal %d", (int)d->hook_pid,
			 WTERMSIG(status));
	d->hook_pid = 0;
	if (d->hook_again)
		takeover_hook_run(d);
}
