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

static const struct command commands[] = {
	{"check", cmd_check},	{"nodes", cmd_nodes},		{"node", cmd_node},
	{"images", cmd_images}, {"image", cmd_image},		{"discovered", cmd_discovered},
	{"gen", cmd_gen},	{"dhcp-event", cmd_dhcp_event},
};

static const char main_help[] =
	"Usage: netbootctl [-c CONFIG] COMMAND [ARGS]\n"
	"\n"
	"Administer netbootfs.\n"
	"\n"
	"Options:\n"
	"  -c, --config CONFIG  configuration file (default " CTL_DEFAULT_CONFIG ")\n"
	"  -h, --help           show this help\n"
	"\n"
	"Commands:\n"
	"  check                      validate the configuration and the images\n"
	"  nodes [--json]             list the nodes\n"
	"  node show NAME [--json]    every effective key of a node and where it was set\n"
	"  images [--json]            list the images\n"
	"  image verify NAME|FILE     read every block of an image\n"
	"  discovered [--json]        unmapped clients seen on TFTP or DHCP\n"
	"  gen dnsmasq|exports|ganesha|systemd\n"
	"                             print a configuration for the services around netbootfs\n"
	"  dhcp-event ACTION MAC IP [HOSTNAME]\n"
	"                             record a DHCP client (dnsmasq dhcp-script hook)\n"
	"\n"
	"'netbootctl COMMAND --help' describes a command. Exit status: 0 ok, 1 failure,\n"
	"2 usage error.\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctl c = {.config_path = CTL_DEFAULT_CONFIG};
	int opt, ret;
	size_t i;

	opterr = 0;
	/* '+': stop at the command name; the rest belongs to the command. */
	while ((opt = getopt_long(argc, argv, "+:c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			break;
		case 'h':
			fputs(main_help, stdout);
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
