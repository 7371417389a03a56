/* SPDX-License-Identifier: MIT */
/*
 * netbootctl: the context shared by all commands and the command entry
 * points. Each command group lives in its own cmd_*.c file; main.c only
 * parses the global options and dispatches.
 */
#ifndef NETBOOTFS_CTL_H
#define NETBOOTFS_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include "mapper/mapper.h"

#define CTL_DEFAULT_CONFIG "/etc/netbootfs/netbootfs.ini"

/* Where `make install` puts things; the Makefile may override these. */
#ifndef NETBOOTFS_SBINDIR
#define NETBOOTFS_SBINDIR "/usr/local/sbin"
#endif
#ifndef NETBOOTFS_DATADIR
#define NETBOOTFS_DATADIR "/usr/local/share/netbootfs"
#endif

/* Exit codes (DESIGN.md section 7). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,
	CTL_EXIT_USAGE = 2,
};

struct ctl {
	const char *config_path; /* -c, or CTL_DEFAULT_CONFIG */
	struct mapper *mapper;	 /* loaded on first use by ctl_load_config() */
};

/* Load the config once. On failure prints every error ("FILE:LINE: MSG")
 * to stderr and returns NULL. */
const struct mapper *ctl_load_config(struct ctl *c);
void ctl_release(struct ctl *c);

/* One command (or command group). argv[0] is the command's own name. */
typedef int (*ctl_cmd_fn)(struct ctl *c, int argc, char **argv);

int cmd_check(struct ctl *c, int argc, char **argv);
int cmd_nodes(struct ctl *c, int argc, char **argv);
int cmd_node(struct ctl *c, int argc, char **argv);
int cmd_images(struct ctl *c, int argc, char **argv);
int cmd_image(struct ctl *c, int argc, char **argv);
int cmd_discovered(struct ctl *c, int argc, char **argv);
int cmd_dhcp_event(struct ctl *c, int argc, char **argv);
int cmd_gen(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_node_boot(struct ctl *c, int argc, char **argv);
/* "node reset|boot", else cmd_node(); "image install|rollback|list", else cmd_image(). */
int cmd_node_admin(struct ctl *c, int argc, char **argv);
int cmd_image_admin(struct ctl *c, int argc, char **argv);
/* node diff NAME [--json] (cmd_node_diff.c) */
int cmd_node_diff(struct ctl *c, int argc, char **argv);
/* image import|shell|gc */
int cmd_image_import(struct ctl *c, int argc, char **argv);
int cmd_image_shell(struct ctl *c, int argc, char **argv);
int cmd_image_gc(struct ctl *c, int argc, char **argv);

/* Generators behind `netbootctl gen`; each writes one config to @out. */
struct gen_opts {
	const char *hook;   /* gen dnsmasq: path of the dhcp-script hook */
	const char *outdir; /* gen systemd: write files here instead of stdout */
};
int gen_dnsmasq(struct ctl *c, const struct gen_opts *o, FILE *out);
int gen_exports(struct ctl *c, const struct gen_opts *o, FILE *out);
int gen_ganesha(struct ctl *c, const struct gen_opts *o, FILE *out);
int gen_systemd(struct ctl *c, const struct gen_opts *o, FILE *out);

#endif
