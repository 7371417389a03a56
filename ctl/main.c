/* SPDX-License-Identifier: MIT */
/* netbootctl: global options and command dispatch. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/args.h"
#include "ctl/ctl.h"

struct command {
	const char *name;
	ctl_cmd_fn run;
};

/* image import|shell|gc; the other image subcommands
 * go to cmd_image_admin(). */
static const struct command image_tools[] = {
	{"import", cmd_image_import},
	{"shell", cmd_image_shell},
	{"gc", cmd_image_gc},
};

static const char image_tools_help[] =
	"Usage: netbootctl [-c CONFIG] image import [OPTIONS] SRC NAME\n"
	"       netbootctl [-c CONFIG] image shell [OPTIONS] NAME [-- CMD [ARG...]]\n"
	"       netbootctl [-c CONFIG] image gc [--keep N] [--dry-run] [NAME...]\n"
	"\n"
	"import turns a Pi disk image, SD card, directory or tarball into a netboot\n"
	"image; shell changes an image in a chroot (success makes a new generation);\n"
	"gc removes unpinned history. 'netbootctl image import|shell|gc --help'\n"
	"describes each.\n"
	"\n";

static int cmd_image_all(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		fputs(image_tools_help, stdout);
	for (size_t i = 0; argc >= 2 && i < sizeof(image_tools) / sizeof(image_tools[0]); i++)
		if (strcmp(argv[1], image_tools[i].name) == 0)
			return image_tools[i].run(c, argc - 1, argv + 1);
	return cmd_image_admin(c, argc, argv);
}

static const struct command commands[] = {
	{"check", cmd_check},	  {"nodes", cmd_nodes},
	{"node", cmd_node_admin}, {"images", cmd_images},
	{"image", cmd_image_all}, {"discovered", cmd_discovered},
	{"gen", cmd_gen},	  {"dhcp-event", cmd_dhcp_event},
	{"status", cmd_status},	  {"apply", cmd_apply},
	{"user", cmd_user},	  {"takeover", cmd_takeover},
};

static const char main_help[] =
	"Usage: netbootctl [-c CONFIG] [-S NAME] COMMAND [ARGS]\n"
	"\n"
	"Administer netbootfs.\n"
	"\n"
	"Options:\n"
	"  -c, --config CONFIG  configuration file (default " CTL_DEFAULT_CONFIG "); also\n"
	"                       accepted after COMMAND\n"
	"  -S, --server NAME    act as [server:NAME] of several (default: the host name\n"
	"                       for gen, apply, status and node commands that talk to\n"
	"                       the daemon; every server's nodes otherwise); also\n"
	"                       accepted after COMMAND\n"
	"  -h, --help           show this help\n"
	"  -V, --version        show the version\n"
	"\n"
	"Commands:\n"
	"  check                      check config, images and boot files, all in one pass\n"
	"  nodes [--json]             list the nodes\n"
	"  node show NAME [--json]    every effective key of a node and where it was set\n"
	"  node add NAME --serial S --mac M [--image I] [--profile P] [--ip A] [--model M]\n"
	"                             add a node to the configuration (edited in place)\n"
	"  node set NAME KEY=VALUE... set (KEY= removes) keys of a node, in place\n"
	"  node rm NAME               remove a node from the configuration\n"
	"  node move NAME SERVER      serve a node from another server from its next boot\n"
	"  takeover DEAD              this server (-S) takes every node of a dead server\n"
	"  node reset NAME [--force]  empty a node's overlay (refused while it is up)\n"
	"  node boot NAME             the node boots: now if it is down, else at its next\n"
	"                             TFTP request\n"
	"  node diff NAME [--json]    what a node changed against its image\n"
	"  images [--json]            list the images\n"
	"  image verify NAME|FILE     read every block of an image\n"
	"  image install FILE NAME    install an image file atomically, keeping the old one\n"
	"  image rollback NAME        put the previous file of an image back\n"
	"  image list [NAME] [--json] an image's current file and its history\n"
	"  image import SRC NAME      a Pi disk image, SD card, dir or tarball to a netboot image\n"
	"  image shell NAME [-- CMD]  change an image in a chroot; success makes a new generation\n"
	"  image gc [NAME...]         remove unpinned history beyond [server] history\n"
	"  status [--json]            what the running daemon serves, per node\n"
	"  discovered [--json]        unmapped clients seen on TFTP or DHCP\n"
	"  discovered adopt ID NAME [node add options]\n"
	"                             make a discovered client node NAME\n"
	"  gen dnsmasq|exports|ganesha|systemd\n"
	"                             print a configuration for the services around netbootfs\n"
	"  apply [--dry-run]          regenerate those files, show the diff, write them and\n"
	"                             reload dnsmasq and the NFS server without a restart\n"
	"  user add|del|passwd|list   shared classroom accounts on every node\n"
	"  dhcp-event ACTION MAC IP [HOSTNAME]\n"
	"                             record a DHCP client (dnsmasq dhcp-script hook)\n"
	"\n"
	"'netbootctl COMMAND --help' describes a command. Exit status: 0 ok, 1 failure,\n"
	"2 usage error.\n";

/*
 * -c/--config and -S/--server after the command name ("netbootctl nodes -c
 * FILE") set the config and the server as they do before it; taken out of @argv up to a "--" (what
 * follows "--" belongs to a command run in an image). Returns the new argc,
 * or -1 when the option lacks its argument.
 */
static int take_config_option(struct ctl *c, int argc, char **argv, int first)
{
	int i = first, skip;

	while (i < argc && strcmp(argv[i], "--") != 0) {
		skip = 0;
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc)
				return -1;
			c->config_path = argv[i + 1];
			skip = 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			c->config_path = argv[i] + 9;
			skip = 1;
		} else if (strcmp(argv[i], "-S") == 0 || strcmp(argv[i], "--server") == 0) {
			if (i + 1 >= argc)
				return -1;
			c->server = argv[i + 1];
			skip = 2;
		} else if (strncmp(argv[i], "--server=", 9) == 0) {
			c->server = argv[i] + 9;
			skip = 1;
		}
		if (!skip) {
			i++;
			continue;
		}
		memmove(&argv[i], &argv[i + skip], (size_t)(argc - i - skip + 1) * sizeof(*argv));
		argc -= skip;
	}
	return argc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"server", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctl c = {.config_path = CTL_DEFAULT_CONFIG};
	int opt, ret;
	size_t i;

	opterr = 0;
	/* '+': stop at the command name; the rest belongs to the command. */
	while ((opt = getopt_long(argc, argv, "+:c:S:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			break;
		case 'S':
			c.server = optarg;
			break;
		case 'h':
			fputs(main_help, stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("netbootctl %s\n", NETBOOTFS_VERSION);
			return CTL_EXIT_OK;
		case ':':
			fprintf(stderr, "netbootctl: option '%s' needs an argument\n",
				argv[optind - 1]);
			goto usage;
		default:
			if (optopt)
				fprintf(stderr, "netbootctl: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "netbootctl: unknown option '%s'\n",
					argv[optind - 1]);
			goto usage;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "netbootctl: no command given\n");
		goto usage;
	}
	argc = take_config_option(&c, argc, argv, optind + 1);
	if (argc < 0) {
		fprintf(stderr, "netbootctl: options '-c' and '-S' need an argument\n");
		goto usage;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			ret = commands[i].run(&c, argc - optind, argv + optind);
			ctl_release(&c);
			if (fflush(stdout) != 0 || ferror(stdout)) {
				fprintf(stderr, "netbootctl: error writing output\n");
				return CTL_EXIT_FAIL;
			}
			return ret;
		}
	}
	fprintf(stderr, "netbootctl: unknown command '%s'\n", argv[optind]);
usage:
	fprintf(stderr, "Try 'netbootctl --help'.\n");
	return CTL_EXIT_USAGE;
}
