/* SPDX-License-Identifier: MIT */
/*
 * netbootctl user add|del|passwd|list: the shared classroom accounts in
 * <state>/users (mapper/users.h). The daemon serves them to every node (or
 * the nodes of the user's profiles) through libnss-extrausers; homes are
 * directories under [server] homes, mounted by each node on /home/shared.
 */
#include <crypt.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "ctl/args.h"
#include "ctl/ctl.h"
#include "ctl/output.h"
#include "lib/mkdirp.h"
#include "lib/statefile.h"
#include "mapper/users.h"

#define PASSWORD_MAX 256

static const char user_help[] =
	"Usage: netbootctl [-c CONFIG] user add [--groups G,...] [--profile P,...]\n"
	"                                       [--gecos TEXT] NAME\n"
	"       netbootctl [-c CONFIG] user passwd NAME\n"
	"       netbootctl [-c CONFIG] user del NAME\n"
	"       netbootctl [-c CONFIG] user list [--json]\n"
	"\n"
	"Shared classroom accounts: every node (or, with --profile, the nodes of\n"
	"those profiles) sees them through libnss-extrausers, whatever the node\n"
	"did to its own /etc/passwd, and mounts their homes ([server] homes, over\n"
	"NFS) on /home/shared. A node picks up changes at its next boot.\n"
	"\n"
	"add gives NAME the lowest free uid of [server] uid_range (its own group\n"
	"has the same id), makes its home [server] homes/NAME (mode 0700, owned by\n"
	"the user) and asks for the password: twice on a terminal, else one line\n"
	"from standard input. --groups puts the user into groups of the image\n"
	"(video, gpio, ...). passwd sets a new password the same way; it is never\n"
	"taken from the command line. del removes the account; its home stays.\n"
	"list prints NAME UID GROUPS PROFILES HOME; --json an array of objects\n"
	"with name, uid, groups and profiles (arrays; profiles null for every\n"
	"node) and home.\n";

/* The password from the terminal (asked twice, without echo) or one line
 * of stdin, hashed by crypt(3) with its preferred method (yescrypt on
 * Debian) and a salt from getrandom(2). */
static int read_password_hash(const char *name, char **hash, char *why, size_t whylen)
{
	char pw[2][PASSWORD_MAX], rnd[32], *salt, *h;
	bool tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	int err = 0;

	for (int i = 0; i < (tty ? 2 : 1) && !err; i++) {
		if (tty) {
			fprintf(stderr,
				i ? "Retype the password: " : "New password for %s: ", name);
			tcgetattr(STDIN_FILENO, &old);
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
		if (!fgets(pw[i], sizeof(pw[i]), stdin))
			err = -ENODATA;
		if (tty) {
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
			fputc('\n', stderr);
		}
		if (!err)
			pw[i][strcspn(pw[i], "\r\n")] = '\0';
	}
	if (!err && !pw[0][0])
		err = -ENODATA;
	if (err) {
		snprintf(why, whylen, "no password given (standard input or a terminal)");
		goto out;
	}
	if (tty && strcmp(pw[0], pw[1]) != 0) {
		snprintf(why, whylen, "the passwords differ");
		err = -EINVAL;
		goto out;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		err = -errno;
		snprintf(why, whylen, "getrandom: %s", strerror(-err));
		goto out;
	}
	salt = crypt_gensalt(NULL, 0, rnd, sizeof(rnd));
	h = salt ? crypt(pw[0], salt) : NULL;
	if (!h || h[0] == '*') {
		snprintf(why, whylen, "crypt: cannot hash the password");
		err = -EINVAL;
		goto out;
	}
	*hash = strdup(h);
	err = *hash ? 0 : -ENOMEM;
out:
	explicit_bzero(pw, sizeof(pw));
	return err;
}

static int make_home(const struct server_config *srv, const struct user *e, char *why,
		     size_t whylen)
{
	char path[4096];
	int err;

	err = mkdir_p(srv->homes, 0755);
	if (!err &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", srv->homes, e->name) >= sizeof(path))
		err = -ENAMETOOLONG;
	if (!err && mkdir(path, 0700) < 0 && errno != EEXIST)
		err = -errno;
	if (!err && (chown(path, e->uid, e->uid) < 0 || chmod(path, 0700) < 0))
		err = -errno;
	if (err)
		snprintf(why, whylen, "%s/%s: %s", srv->homes, e->name, strerror(-err));
	return err;
}

struct user_opts {
	const char *groups, *profiles, *gecos;
	bool json;
	char **pos;
	int npos;
};

static int parse(const char *cmd, int argc, char **argv, bool add, struct user_opts *o)
{
	static const struct option longopts[] = {
		{"groups", required_argument, NULL, 'g'}, {"profile", required_argument, NULL, 'p'},
		{"gecos", required_argument, NULL, 'G'},  {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	int opt;

	*o = (struct user_opts){.groups = "", .profiles = "", .gecos = ""};
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(user_help, stdout);
			return CTL_EXIT_OK;
		}
		if (opt == ':')
			return usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
		if (opt == 'j' && strcmp(cmd, "user list") == 0) {
			o->json = true;
			continue;
		}
		if (!add || opt == '?' || opt == 'j')
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		if (opt == 'g')
			o->groups = optarg;
		else if (opt == 'p')
			o->profiles = optarg;
		else
			o->gecos = optarg;
	}
	o->pos = argv + optind;
	o->npos = argc - optind;
	if (strcmp(cmd, "user list") == 0 ? o->npos != 0 : o->npos != 1)
		return usage_error(cmd, o->npos ? "unexpected argument" : "missing NAME");
	if (o->npos && !user_name_valid(o->pos[0]))
		return usage_error(cmd, "invalid user name '%s' (a-z 0-9 _ -, at most 32)",
				   o->pos[0]);
	if (!user_list_valid(o->groups))
		return usage_error(cmd, "--groups takes names separated by commas, not '%s'",
				   o->groups);
	if (!user_list_valid(o->profiles))
		return usage_error(cmd, "--profile takes names separated by commas, not '%s'",
				   o->profiles);
	if (!user_gecos_valid(o->gecos))
		return usage_error(cmd, "--gecos cannot hold ':', ',' or control characters");
	return -1;
}

/* The change to the store @cmd makes, under its lock. */
static int change(const char *cmd, const struct user_opts *o, const struct server_config *srv,
		  char *why, size_t whylen)
{
	const char *name = o->pos[0];
	struct users u;
	struct user *e, add = {0};
	char *hash = NULL;
	int err, lock;

	if (strcmp(cmd, "user del") != 0) {
		err = read_password_hash(name, &hash, why, whylen);
		if (err)
			return err;
	}
	lock = statefile_lock(srv->state, USERS_FILE);
	if (lock < 0) {
		free(hash);
		snprintf(why, whylen, "%s: lock: %s", srv->state, strerror(-lock));
		return lock;
	}
	err = users_load(srv->state, &u, why, whylen);
	if (err)
		goto out_unlock;
	e = users_find(&u, name);
	if (strcmp(cmd, "user add") == 0) {
		if (e) {
			snprintf(why, whylen, "user %s exists (uid %u)", name, e->uid);
			err = -EEXIST;
			goto out;
		}
		snprintf(add.name, sizeof(add.name), "%s", name);
		add.uid = users_free_uid(&u, srv->uid_min, srv->uid_max);
		if (!add.uid) {
			snprintf(why, whylen, "no free uid left in [server] uid_range %u-%u",
				 srv->uid_min, srv->uid_max);
			err = -ENOSPC;
			goto out;
		}
		add.hash = hash;
		add.groups = (char *)o->groups;
		add.profiles = (char *)o->profiles;
		add.gecos = (char *)o->gecos;
		err = make_home(srv, &add, why, whylen);
		if (!err)
			err = users_add(&u, &add);
	} else if (!e) {
		snprintf(why, whylen, "no user %s", name);
		err = -ENOENT;
		goto out;
	} else if (strcmp(cmd, "user del") == 0) {
		users_remove(&u, e);
	} else {
		free(e->hash);
		e->hash = hash;
		hash = NULL;
	}
	if (!err) {
		err = users_save(srv->state, &u);
		if (err)
			snprintf(why, whylen, "%s/%s: %s", srv->state, USERS_FILE, strerror(-err));
	}
	if (!err && add.uid)
		printf("added user %s (uid %u, home %s/%s)\n", name, add.uid, srv->homes, name);
out:
	users_free(&u);
out_unlock:
	statefile_unlock(lock);
	free(hash);
	return err;
}

static struct json_object *list_json(const char *list)
{
	struct json_object *a = json_object_new_array();
	char buf[1024], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_object_array_add(a, json_object_new_string(tok));
	return a;
}

static int list(const struct user_opts *o, const struct server_config *srv, char *why,
		size_t whylen)
{
	static const char *const headers[] = {"NAME", "UID", "GROUPS", "PROFILES", "HOME"};
	struct json_object *arr = json_object_new_array();
	struct table t;
	struct users u;
	int err;

	err = users_load(srv->state, &u, why, whylen);
	if (err) {
		json_object_put(arr);
		return err;
	}
	table_init(&t, 5, headers);
	for (size_t i = 0; i < u.n && !err; i++) {
		const struct user *e = &u.v[i];
		char uid[16], home[300];
		const char *cells[5] = {e->name, uid, e->groups, e->profiles, home};
		struct json_object *j = json_object_new_object();

		snprintf(uid, sizeof(uid), "%u", e->uid);
		snprintf(home, sizeof(home), HOMES_MOUNT "/%s", e->name);
		json_object_object_add(j, "name", json_object_new_string(e->name));
		json_object_object_add(j, "uid", json_object_new_int64(e->uid));
		json_object_object_add(j, "groups", list_json(e->groups));
		json_object_object_add(j, "profiles", *e->profiles ? list_json(e->profiles) : NULL);
		json_object_object_add(j, "home", json_object_new_string(home));
		json_object_array_add(arr, j);
		err = table_add(&t, cells);
	}
	if (!err && o->json)
		err = json_print(arr, stdout);
	else if (!err)
		table_print(&t, stdout);
	table_free(&t);
	json_object_put(arr);
	users_free(&u);
	return err;
}

int cmd_user(struct ctl *c, int argc, char **argv)
{
	static const char *const subs[] = {"add", "del", "passwd", "list"};
	const struct server_config *srv;
	const struct mapper *m;
	struct user_opts o;
	char cmd[32], why[512] = "";
	int ret;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		if (argc >= 2) {
			fputs(user_help, stdout);
			return CTL_EXIT_OK;
		}
		return usage_error("user", "missing subcommand (add, del, passwd, list)");
	}
	ret = -1;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i]) == 0)
			ret = 0;
	if (ret < 0)
		return usage_error("user", "unknown subcommand '%s'", argv[1]);
	snprintf(cmd, sizeof(cmd), "user %s", argv[1]);
	ret = parse(cmd, argc - 1, argv + 1, strcmp(argv[1], "add") == 0, &o);
	if (ret >= 0)
		return ret;
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	srv = mapper_server(m);
	if (!*srv->homes) {
		ctl_err("%s: [server] homes is not set in %s: set where the homes live (for "
			"example /srv/netbootfs/homes)",
			cmd, mapper_path(m));
		return CTL_EXIT_FAIL;
	}
	ret = strcmp(argv[1], "list") == 0 ? list(&o, srv, why, sizeof(why))
					   : change(cmd, &o, srv, why, sizeof(why));
	if (ret < 0) {
		ctl_err("%s: %s", cmd, why[0] ? why : strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}
