/* SPDX-License-Identifier: MIT */
#include "ctl/args.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "netbootctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'netbootctl %s --help'.\n", cmd);
	return CTL_EXIT_USAGE;
}

int args_parse(const char *cmd, const char *help, unsigned accept, int min_pos, int max_pos,
	       int argc, char **argv, struct arg_values *v)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},	   {"json", no_argument, NULL, 'j'},
		{"hook", required_argument, NULL, 'k'},	   {"dir", required_argument, NULL, 'd'},
		{"force", no_argument, NULL, 'f'},	   {"serial", required_argument, NULL, 's'},
		{"mac", required_argument, NULL, 'm'},	   {"image", required_argument, NULL, 'i'},
		{"profile", required_argument, NULL, 'p'}, {"ip", required_argument, NULL, 'a'},
		{"model", required_argument, NULL, 'M'},   {"no-wait", no_argument, NULL, 'W'},
		{NULL, 0, NULL, 0},
	};
	const char **node_opt;
	int opt, li;

	memset(v, 0, sizeof(*v));
	/* getopt keeps its position in globals: start afresh for this argv. */
	optind = 0;
	opterr = 0;
	while ((li = -1, opt = getopt_long(argc, argv, ":h", longopts, &li)) != -1) {
		switch (opt) {
		case 'h':
			fputs(help, stdout);
			return CTL_EXIT_OK;
		case 'j':
			if (!(accept & ARG_JSON))
				goto unknown;
			v->json = true;
			break;
		case 'k':
			if (!(accept & ARG_HOOK))
				goto unknown;
			v->hook = optarg;
			break;
		case 'd':
			if (!(accept & ARG_DIR))
				goto unknown;
			v->dir = optarg;
			break;
		case 'f':
			if (!(accept & ARG_FORCE))
				goto unknown;
			v->force = true;
			break;
		case 's':
		case 'm':
		case 'i':
		case 'p':
		case 'a':
		case 'M':
			if (!(accept & ARG_NODE))
				goto unknown;
			node_opt = opt == 's'	? &v->serial
				   : opt == 'm' ? &v->mac
				   : opt == 'i' ? &v->image
				   : opt == 'p' ? &v->profile
				   : opt == 'a' ? &v->ip
						: &v->model;
			*node_opt = optarg;
			break;
		case 'W':
			if (!(accept & ARG_NO_WAIT))
				goto unknown;
			v->no_wait = true;
			break;
		case ':':
			return usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error(cmd, "unknown option '-%c'", optopt);
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	v->pos = argv + optind;
	v->npos = argc - optind;
	if (v->npos < min_pos)
		return usage_error(cmd, "missing argument");
	if (v->npos > max_pos)
		return usage_error(cmd, "unexpected argument '%s'", v->pos[max_pos]);
	return -1;

unknown:
	/* A known option this command does not take. */
	return usage_error(cmd, "unknown option '--%s'", longopts[li].name);
}
