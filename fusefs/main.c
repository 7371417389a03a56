/* SPDX-License-Identifier: MIT */
/*
 * netbootfs [-f] [-d] [-c CONFIG]
 *
 * Mounts every view the config asks for and serves them until SIGTERM;
 * SIGHUP (or an edit of the config file) reloads the config; a new file in
 * the images directory is picked up as a new generation.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusefs/bootfollow.h"
#include "fusefs/bootrec.h"
#include "fusefs/control.h"
#include "fusefs/daemon.h"
#include "fusefs/sharedpoll.h"
#include "fusefs/serve/log.h"
#include "fusefs/root/root.h"
#include "fusefs/takeover.h"
#include "fusefs/serve/sd_service.h"
#include "fusefs/verifier.h"
#include "build-config.h"

#define DEFAULT_CONFIG "/etc/netbootfs/netbootfs.ini"

static void usage(FILE *f)
{
	fprintf(f, "usage: netbootfs [-f] [-d] [-c CONFIG] [-S NAME]\n"
		   "\n"
		   "Serve per-client Raspberry Pi boot trees and per-node copy-on-write\n"
		   "roots from squashfs images (see netbootfs(8)).\n"
		   "\n"
		   "  -c, --config FILE  configuration (default " DEFAULT_CONFIG ")\n"
		   "  -S, --server NAME  serve the nodes of [server:NAME] (default: the host\n"
		   "                     name); unused when the config names no servers\n"
		   "  -f, --foreground   stay in the foreground and log to stderr\n"
		   "  -d, --debug        log debug messages (implies nothing else)\n"
		   "  -h, --help         show this help\n"
		   "  -V, --version      show the version\n"
		   "\n"
		   "Signals: SIGTERM/SIGINT unmount and exit, SIGHUP reloads the config.\n");
}

/*
 * Fork into the background; the parent exits with the child's start-up
 * status, so `netbootfs` fails visibly when the mounts fail.
 */
static int daemonize(int *status_fd)
{
	int pipefd[2];
	pid_t pid;
	char st;

	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &st, 1) != 1)
			st = 1;
		_exit(st);
	}
	close(pipefd[0]);
	if (setsid() < 0)
		return -errno;
	if (chdir("/") != 0)
		return -errno;
	*status_fd = pipefd[1];
	return 0;
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void report_status(int *status_fd, char st)
{
	if (*status_fd < 0)
		return;
	if (write(*status_fd, &st, 1) != 1)
		log_err("cannot report start-up status: %s", strerror(errno));
	close(*status_fd);
	*status_fd = -1;
}

struct watches {
	int fd;
	int images_wd;
	int config_wd;
	int boots_wd; /* role = files: the PXE server's boot records */
	char config_dir[PATH_MAX];
	char config_name[NAME_MAX + 1];
};

static void watches_init(struct watches *w, struct daemon *d)
{
	char *slash;

	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->images_wd = w->config_wd = w->boots_wd = -1;
	if (w->fd < 0) {
		log_warn("inotify unavailable (%s): use SIGHUP to reload", strerror(errno));
		return;
	}
	pthread_rwlock_rdlock(&d->cfg_lock);
	w->images_wd = inotify_add_watch(w->fd, mapper_server(d->cfg)->images,
					 IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM);
	/* Tests: NETBOOTFS_TEST_POLL_BOOTS, only the poll finds the records,
	 * as on a network filesystem written by another machine. */
	if (mapper_server(d->cfg)->role == ROLE_FILES && !getenv("NETBOOTFS_TEST_POLL_BOOTS")) {
		char boots[PATH_MAX];
		int err = bootrec_dir(mapper_server(d->cfg)->state, boots, sizeof(boots));

		/* Records are renamed into place. */
		if (!err)
			w->boots_wd = inotify_add_watch(w->fd, boots, IN_MOVED_TO);
		if (w->boots_wd < 0)
			log_err("%s: cannot watch the boot records: %s (nodes keep their pins "
				"until this daemon restarts)",
				boots, err ? strerror(-err) : strerror(errno));
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	snprintf(w->config_dir, sizeof(w->config_dir), "%s", d->config_path);
	slash = strrchr(w->config_dir, '/');
	if (slash) {
		snprintf(w->config_name, sizeof(w->config_name), "%.*s", NAME_MAX, slash + 1);
		*slash = '\0';
		if (!w->config_dir[0])
			strcpy(w->config_dir, "/");
	} else {
		snprintf(w->config_name, sizeof(w->config_name), "%.*s", NAME_MAX, w->config_dir);
		strcpy(w->config_dir, ".");
	}
	/* Watch the directory: editors replace the file by rename. */
	w->config_wd = inotify_add_watch(w->fd, w->config_dir, IN_MOVED_TO | IN_CLOSE_WRITE);
}

/* Drain inotify; say what needs doing, and boot the nodes whose boot
 * records arrived. */
static void watches_read(struct watches *w, struct daemon *d, bool *reload, bool *rescan)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	while ((len = read(w->fd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p < buf + len) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->wd == w->images_wd && ev->len && ev->name[0] != '.')
				*rescan = true;
			if (ev->wd == w->config_wd && ev->len &&
			    strcmp(ev->name, w->config_name) == 0)
				*reload = true;
			if (ev->wd == w->boots_wd && ev->len && ev->name[0] != '.')
				daemon_boot_record(d, ev->name);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* How long poll() may wait: @ms (-1: for ever), but no later than the next
 * try at the leases other servers hold, or look at the other servers. */
static int lease_timeout_ms(struct daemon *d, int ms, long long next_try)
{
	long long left;

	if (!d->leases_waiting && !takeover_active(d) && d->hook_pid <= 0)
		return ms;
	left = next_try - mono_ms();
	if (left < 0)
		left = 0;
	return ms < 0 || left < ms ? (int)left : ms;
}

/* Every lease_retry seconds, the nodes waiting for their lease try again,
 * and the other servers are looked at: true when this daemon now serves
 * another server's nodes, or no longer does (reload). */
static bool lease_retry_due(struct daemon *d, long long *next_try)
{
	long long now = mono_ms();
	bool changed;

	if ((!d->leases_waiting && !takeover_active(d)) || now < *next_try)
		return false;
	changed = takeover_check(d);
	if (d->leases_waiting)
		roots_retry_leases(d);
	*next_try = now + (long long)mapper_server(d->cfg)->lease_retry * 1000;
	return changed;
}

static int serve(struct daemon *d, int sigfd)
{
	unsigned removing = 0; /* removed nodes whose roots are still busy */
	long long next_lease_try = mono_ms() + (long long)mapper_server(d->cfg)->lease_retry * 1000;
	struct sd_service sd;
	struct watches w;
	struct sharedpoll sp;

	watches_init(&w, d);
	pthread_rwlock_rdlock(&d->cfg_lock);
	sharedpoll_init(&sp, mapper_server(d->cfg)->images, d->config_path);
	pthread_rwlock_unlock(&d->cfg_lock);
	sd_service_init(&sd);
	sd_service_ready((unsigned)mapper_node_count(d->cfg));
	for (;;) {
		/* poll() skips a negative fd (no inotify, no control socket). */
		struct pollfd pfd[4] = {{.fd = sigfd, .events = POLLIN},
					{.fd = w.fd, .events = POLLIN},
					{.fd = control_fd(d->control), .events = POLLIN},
					{.fd = verifier_fd(d->verifier), .events = POLLIN}};
		/* A file server polls the boot records every second. */
		bool files = mapper_server(d->cfg)->role == ROLE_FILES;
		bool reload = false, rescan = false, adoption;
		int wait_ms = sharedpoll_timeout_ms(
			&sp, lease_timeout_ms(d, removing || files ? 1000 : -1, next_lease_try));

		if (poll(pfd, 4, sd_service_timeout_ms(&sd, wait_ms)) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload = true;
				} else {
					log_info("signal %u: unmounting", si.ssi_signo);
					break;
				}
			}
		}
		if (w.fd >= 0 && (pfd[1].revents & POLLIN))
			watches_read(&w, d, &reload, &rescan);
		sharedpoll_check(&sp, &rescan, &reload);
		if (files)
			daemon_poll_boot_records(d, false);
		sd_service_tick(&sd);
		takeover_hook_reap(d);
		adoption = lease_retry_due(d, &next_lease_try);
		reload = reload || adoption;
		if (reload) {
			sd_service_reloading();
			daemon_reload(d);
			sharedpoll_config_loaded(&sp);
			sd_service_ready((unsigned)mapper_node_count(d->cfg));
		}
		/* After the reload: netbootctl sees the new .adopt leases. */
		if (adoption)
			takeover_hook_run(d);
		if (rescan)
			daemon_rescan_images(d);
		if (pfd[3].revents & POLLIN)
			daemon_images_verified(d);
		if (pfd[2].revents & POLLIN)
			control_serve(d->control);
		if (reload || removing)
			removing = roots_unmount_removed(d);
	}
	sd_service_stopping();
	if (w.fd >= 0)
		close(w.fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"foreground", no_argument, NULL, 'f'},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"server", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	static struct daemon d; /* large (node table); the one context */
	int status_fd = -1, sigfd, opt, err;
	sigset_t sigs;

	d.config_path = DEFAULT_CONFIG;
	d.test_crash_at = getenv("NETBOOTFS_TEST_CRASH_AT");
	while ((opt = getopt_long(argc, argv, "c:fdhVS:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'S':
			d.self = optarg;
			break;
		case 'f':
			d.foreground = true;
			break;
		case 'd':
			d.debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("netbootfs %s\n", NETBOOTFS_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!d.self)
		d.self = mapper_host_name(d.host_name, sizeof(d.host_name));
	if (!d.foreground) {
		err = daemonize(&status_fd);
		if (err) {
			fprintf(stderr, "netbootfs: cannot daemonize: %s\n", strerror(-err));
			return 1;
		}
	}
	log_init(!d.foreground, d.debug);

	/* Signals go to the main loop through a signalfd; block them before any
	 * thread starts so every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sigdelset(&sigs, SIGPIPE);
	sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sigfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		report_status(&status_fd, 1);
		return 1;
	}

	err = daemon_start(&d);
	if (err) {
		log_err("start-up failed: %s", strerror(-err));
		daemon_stop(&d);
		report_status(&status_fd, 1);
		return 1;
	}
	report_status(&status_fd, 0);
	if (!d.foreground)
		detach_stdio();
	serve(&d, sigfd);
	daemon_stop(&d);
	close(sigfd);
	log_info("stopped");
	return 0;
}
