/* SPDX-License-Identifier: MIT */
/*
 * netbootctl gen systemd: netbootfs.service, started before dnsmasq and the
 * NFS server and restarted on failure, plus drop-ins that make those
 * services require it. Printed to stdout, or written below --dir.
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

static void print_service(FILE *out, const char *config, const char *tftp_root)
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
	fputs("\n"
	      "\n"
	      "[Service]\n"
	      "Type=simple\n"
	      "ExecStart=" NETBOOTFS_SBINDIR "/netbootfs -f -c ",
	      out);
	esc_print(out, ESC_SYSTEMD_ARG, config);
	/* The unit counts as started only once the view is mounted, so that the
	 * services ordered after it find their directories. */
	fputs("\n"
	      "# Started means mounted: wait up to 10 s for the TFTP view.\n"
	      "ExecStartPost=/bin/sh -c 'i=0; until mountpoint -q \"$$1\"; do "
	      "i=$$((i+1)); [ $$i -lt 100 ] || exit 1; sleep 0.1; done' wait-mount ",
	      out);
	esc_print(out, ESC_SYSTEMD_ARG, tftp_root);
	fputs("\n"
	      "ExecReload=/bin/kill -HUP $MAINPID\n"
	      "Restart=on-failure\n"
	      "RestartSec=2s\n"
	      "\n"
	      "[Install]\n"
	      "WantedBy=multi-user.target\n",
	      out);
}

static void print_dropin(FILE *out, const char *service, const char *config)
{
	fputs("[Unit]\n"
	      "Requires=netbootfs.service\n"
	      "After=netbootfs.service\n",
	      out);
	if (strcmp(service, "dnsmasq.service") == 0) {
		fputs("\n"
		      "[Service]\n"
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

static void service_fn(FILE *out, const char *config, const char *tftp_root)
{
	print_service(out, config, tftp_root);
}

static void dropin_fn(FILE *out, const char *service, const char *config)
{
	print_dropin(out, service, config);
}

int gen_systemd(struct ctl *c, const struct gen_opts *o, FILE *out)
{
	const struct mapper *m = ctl_load_config(c);
	char config[PATH_MAX], rel[128];
	size_t i;
	int ret;

	if (!m)
		return -EINVAL;
	/* Units run from /: name the config absolutely. */
	if (!realpath(c->config_path, config))
		snprintf(config, sizeof(config), "%s", c->config_path);
	ret = emit(o->outdir, "netbootfs.service", out, service_fn, config,
		   mapper_server(m)->tftp_root);
	for (i = 0; ret == 0 && i < sizeof(served_by) / sizeof(served_by[0]); i++) {
		snprintf(rel, sizeof(rel), "%s.d/netbootfs.conf", served_by[i]);
		ret = emit(o->outdir, rel, out, dropin_fn, served_by[i], config);
	}
	return ret;
}
