/* SPDX-License-Identifier: MIT */
/*
 * netbootctl gen systemd: netbootfs.service (Type=notify, watchdog), started
 * before dnsmasq and the NFS servers and restarted on failure, plus drop-ins
 * that order those services after it. Printed to stdout, or written below
 * --dir.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/ctl.h"
#include "ctl/output.h"
#include "mapper/escape.h"

/* Services that serve the mounted view. */
static const char *const served_by[] = {"dnsmasq.service", "nfs-server.service",
					"nfs-ganesha.service"};

/* @server: the -S NAME the daemon gets, or NULL (the host name). */
static void print_service(FILE *out, const char *config, const char *server)
{
	size_t i;

	fputs("[Unit]\n"
	      "Description=netbootfs: network boot trees and node roots for Raspberry Pis\n"
	      "Documentation=man:netbootfs(8) man:netbootctl(8)\n"
	      "After=local-fs.target\n"
	      "Before=",
	      out);
	for (i = 0; i < sizeof(served_by) / sizeof(served_by[0]); i++)
		fprintf(out, "%s%s", i ? " " : "", served_by[i]);
	/* Started means mounted: the daemon sends READY=1 once every view is
	 * up, so the services ordered after it find their directories. */
	fputs("\n"
	      "\n"
	      "[Service]\n"
	      "Type=notify\n"
	      "NotifyAccess=main\n"
	      "ExecStart=" NETBOOTFS_SBINDIR "/netbootfs -f -c ",
	      out);
	esc_print(out, ESC_SYSTEMD_ARG, config);
	if (server) {
		fputs(" -S ", out);
		esc_print(out, ESC_SYSTEMD_ARG, server);
	}
	fputs("\n"
	      "# A restart remounts the node roots: the kernel NFS server must export\n"
	      "# the new mounts (Ganesha restarts with netbootfs: see its drop-in).\n"
	      "ExecStartPost=-/bin/sh -c 'command -v exportfs >/dev/null || exit 0; "
	      "systemctl -q is-active nfs-server.service || exit 0; exec exportfs -ra'\n"
	      "ExecReload=/bin/kill -HUP $MAINPID\n"
	      "# The main loop pings the watchdog; a hung daemon is restarted.\n"
	      "WatchdogSec=30s\n"
	      "Restart=on-failure\n"
	      "RestartSec=2s\n"
	      "\n"
	      "[Install]\n"
	      "WantedBy=multi-user.target\n",
	      out);
}

/*
 * Wants= + After=: starting dnsmasq or an NFS server starts netbootfs first,
 * but a failing netbootfs never stops them (dnsmasq may serve the site's DNS
 * and DHCP too): no Requires=. Ganesha's VFS exports hold the old mounts
 * open after a netbootfs restart, so PartOf= restarts it with netbootfs.
 */
static void print_dropin(FILE *out, const char *service, const char *config)
{
	fputs("[Unit]\n"
	      "Wants=netbootfs.service\n"
	      "After=netbootfs.service\n",
	      out);
	if (strcmp(service, "nfs-ganesha.service") == 0)
		fputs("PartOf=netbootfs.service\n", out);
	if (strcmp(service, "dnsmasq.service") == 0) {
		/* dnsmasq 2.90 can abort on the SIGHUP of `netbootctl apply`
		 * once it has ignored a DHCP request (several servers). */
		fputs("\n"
		      "[Service]\n"
		      "# dnsmasq may die on the SIGHUP of netbootctl apply: back at once.\n"
		      "Restart=on-failure\n"
		      "RestartSec=1s\n"
		      "# Read by the dhcp-script hook (dnsmasq-hook.sh).\n"
		      "Environment=",
		      out);
		fprintf(out, "\"NETBOOTFS_CONFIG=");
		esc_print(out, ESC_SYSTEMD_ENV, config);
		fputs("\"\n", out);
	}
}

/* Write @fn's output to @dir/@rel (creating its directory), or to @out with a
 * header naming the file. */
static int emit(const char *dir, const char *rel, FILE *out,
		void (*fn)(FILE *, const char *, const char *), const char *a, const char *b)
{
	char path[PATH_MAX], sub[PATH_MAX];
	const char *slash;
	FILE *f;

	if (!dir) {
		fprintf(out, "# ==> /etc/systemd/system/%s <==\n", rel);
		fn(out, a, b);
		fputc('\n', out);
		return 0;
	}
	slash = strrchr(rel, '/');
	if (slash) {
		snprintf(sub, sizeof(sub), "%s/%.*s", dir, (int)(slash - rel), rel);
		if (mkdir(sub, 0755) < 0 && errno != EEXIST) {
			ctl_err("%s: %s", sub, strerror(errno));
			return -errno;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f) {
		ctl_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	fn(f, a, b);
	if (fclose(f) != 0) {
		ctl_err("%s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

static void service_fn(FILE *out, const char *config, const char *server)
{
	print_service(out, config, server);
}

static void dropin_fn(FILE *out, const char *service, const char *config)
{
	print_dropin(out, service, config);
}

int gen_systemd(struct ctl *c, const struct gen_opts *o, FILE *out)
{
	const struct mapper *m = ctl_load_config_server(c);
	char config[PATH_MAX], rel[128];
	size_t i;
	int ret;

	if (!m)
		return -EINVAL;
	/* Units run from /: name the config absolutely. */
	if (!realpath(c->config_path, config))
		snprintf(config, sizeof(config), "%s", c->config_path);
	/* An explicit -S of several servers goes to the daemon; without it the
	 * daemon takes the host name, as netbootctl did. */
	ret = emit(o->outdir, "netbootfs.service", out, service_fn, config,
		   c->server && *mapper_self(m) ? mapper_self(m) : NULL);
	for (i = 0; ret == 0 && i < sizeof(served_by) / sizeof(served_by[0]); i++) {
		snprintf(rel, sizeof(rel), "%s.d/netbootfs.conf", served_by[i]);
		ret = emit(o->outdir, rel, out, dropin_fn, served_by[i], config);
	}
	return ret;
}
