/* SPDX-License-Identifier: MIT */
/* Option parsing shared by the netbootctl commands. */
#ifndef NETBOOTFS_CTL_ARGS_H
#define NETBOOTFS_CTL_ARGS_H

#include <stdbool.h>

/* Which options a command accepts, besides -h/--help. */
enum arg_accept {
	ARG_JSON = 1u << 0,  /* --json */
	ARG_HOOK = 1u << 1,  /* --hook PATH */
	ARG_DIR = 1u << 2,   /* --dir DIR */
	ARG_FORCE = 1u << 3, /* --force */
	ARG_NODE = 1u << 4,  /* --serial --mac --image --profile --ip --model VALUE */
	ARG_NO_WAIT = 1u << 5, /* --no-wait */
};

struct arg_values {
	bool json;
	const char *hook;
	const char *dir;
	bool force;
	bool no_wait;
	const char *serial, *mac, *image, *profile, *ip, *model; /* ARG_NODE */
	char **pos;						 /* positional arguments */
	int npos;
};

/*
 * Parse @argv (argv[0] is the command name, used in messages) allowing the
 * options in @accept, and check that between @min_pos and @max_pos
 * positional arguments remain. --help prints @help to stdout.
 * Returns -1 when the command should go on, else the exit code to return
 * (0 after --help, 2 after a usage error).
 */
int args_parse(const char *cmd, const char *help, unsigned accept, int min_pos, int max_pos,
	       int argc, char **argv, struct arg_values *v);

/* "netbootctl: CMD: MSG" and a hint to --help on stderr; returns 2. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
