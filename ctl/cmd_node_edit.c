/* SPDX-License-Identifier: MIT */
/*
 * netbootctl node add|set|rm and discovered adopt: edit netbootfs.ini in
 * place. Only the lines of the change differ afterwards; the new text must
 * pass every check of `netbootctl check` before it replaces the file
 * (atomically, keeping mode and owner). The daemon reloads it as any edit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/args.h"
#include "ctl/config_check.h"
#include "ctl/ctl.h"
#include "ctl/ini_edit.h"
#include "ctl/output.h"
#include "mapper/ident.h"
#include "mapper/state.h"
#include "lib/statefile.h"

#define NODE_OPTIONS_HELP                                                      \
	"  --serial S    the Pi's serial number (Pi 4 and 5 boot by serial)\n" \
	"  --mac M       its MAC address (Pi 3, and dhcp-host lines)\n"        \
	"  --image I     its image (else its profile's or [defaults]')\n"      \
	"  --profile P   a [profile:P] it takes keys from\n"                   \
	"  --ip A        its fixed address (exports and dhcp-host use it)\n"   \
	"  --model M     pi3, pi4 or pi5: which boot files check wants in its image\n"

static const char add_help[] =
	"Usage: netbootctl [-c CONFIG] node add NAME [--serial S] [--mac M] [--image I]\n"
	"                  [--profile P] [--ip A] [--model M]\n"
	"\n"
	"Add a [node:NAME] section at the end of the configuration (at least one of\n"
	"--serial and --mac):\n" NODE_OPTIONS_HELP "\n"
	"The file is changed only if the result passes every check of 'netbootctl\n"
	"check'; else its problems are printed as FILE:LINE: MESSAGE (lines of the\n"
	"new text) and nothing is written. A client the node's serial or MAC names\n"
	"leaves 'netbootctl discovered'. A running netbootfs serves the node after\n"
	"its reload, which the edit starts.\n";

static const char set_help[] =
	"Usage: netbootctl [-c CONFIG] node set NAME KEY=VALUE...\n"
	"\n"
	"Set keys of [node:NAME] in place: an existing key line keeps its indentation\n"
	"and trailing comment, a new one goes after the section's last key. KEY= with\n"
	"an empty value removes the key. Any key of a [node:] section (see\n"
	"netbootfs.ini(5)). Checked and written as 'node add' does.\n";

static const char rm_help[] =
	"Usage: netbootctl [-c CONFIG] node rm NAME\n"
	"\n"
	"Remove [node:NAME]: its header, its keys, and the comment lines directly\n"
	"above its header. The node's overlay directory stays (remove it by hand).\n"
	"Checked and written as 'node add' does.\n";

static const char move_help[] =
	"Usage: netbootctl [-c CONFIG] node move NAME SERVER\n"
	"\n"
	"Serve node NAME from [server:SERVER] from its next boot on: sets its server\n"
	"key in place (checked and written as 'node set' does). Every server reloads\n"
	"the edited file (the same file on every server): the old one keeps serving\n"
	"the node's running root until the node reboots, and answers its DHCP and\n"
	"TFTP no more once 'netbootctl apply' regenerated its dnsmasq; the new one\n"
	"answers its next boot and mounts its root, whose overlay on the shared\n"
	"storage moves with it. Run 'netbootctl apply' on both servers.\n";

static const char takeover_help[] =
	"Usage: netbootctl [-c CONFIG] [-S SERVER] takeover DEAD\n"
	"\n"
	"Give every node that [server:DEAD] serves (by its server key or by the\n"
	"spread) to this server (-S SERVER, default the host name): sets each\n"
	"one's server key in place, as 'node move' does for one. Meant for a\n"
	"server that died, run on the survivor (by hand, or by the fail-over tool\n"
	"that saw the death, such as a keepalived notify script), followed by\n"
	"'netbootctl apply'. The survivor mounts each node's root once the dead\n"
	"server's lease on it is free (at once on its death, on shared storage\n"
	"when the storage drops the dead client's locks) and answers the node's\n"
	"next boot. When DEAD is back, give the nodes back with 'node move', or\n"
	"'node set NAME server=' for the spread ones.\n";

static const char adopt_help[] =
	"Usage: netbootctl [-c CONFIG] discovered adopt ID NAME [--serial S] [--mac M]\n"
	"                  [--image I] [--profile P] [--ip A] [--model M]\n"
	"\n"
	"Make the discovered client ID (a serial or MAC that 'netbootctl discovered'\n"
	"lists) node NAME, as 'node add NAME --serial ID' (or --mac ID) with the\n"
	"other options would. The client leaves the discovered list.\n"
	"\n"
	"Options:\n" NODE_OPTIONS_HELP;

/* The name goes into a section header: refuse what the file cannot hold. */
static int check_name(const char *cmd, const char *name)
{
	if (ident_valid_node_name(name))
		return -1;
	return usage_error(cmd,
			   "invalid node name '%s' (lowercase letters, digits and '-', "
			   "at most 63, not starting with '-')",
			   name);
}

static int check_value(const char *cmd, const char *key, const char *value)
{
	if (ini_value_writable(value))
		return -1;
	return usage_error(cmd,
			   "%s: a value cannot hold ';' or a line break, nor start or end "
			   "with a blank",
			   key);
}

/* One edit of the document; returns 0, a negative errno, or a positive exit
 * code after printing why. */
typedef int (*edit_fn)(struct ini_doc *d, const char *file, void *ctx);

/* Read, edit, check and replace the config file; then forget discovered
 * clients that are nodes now. */
static int edit_config(struct ctl *c, const char *cmd, edit_fn edit, void *ctx)
{
	const char *file = c->config_path;
	char real[PATH_MAX], *text = NULL, *out = NULL, *slash;
	struct mapper_errors errs = {0};
	struct check_result r;
	struct ini_doc *doc = NULL;
	struct mapper *m = NULL;
	size_t len = 0, out_len = 0;
	int lock = -1, rc, ret = CTL_EXIT_FAIL;
	struct stat st;

	if (!realpath(file, real)) {
		ctl_err("%s: %s: %s", cmd, file, strerror(errno));
		return CTL_EXIT_FAIL;
	}
	/* One editor at a time: a lock on the config's directory (the file
	 * itself is replaced by rename, and a lock file would litter /etc). */
	slash = strrchr(real, '/');
	*slash = '\0';
	lock = open(real[0] ? real : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*slash = '/';
	if (lock < 0 || flock(lock, LOCK_EX) != 0) {
		ctl_err("%s: locking the directory of %s: %s", cmd, file, strerror(errno));
		if (lock >= 0)
			close(lock);
		return CTL_EXIT_FAIL;
	}
	rc = stat(real, &st);
	if (rc == 0)
		rc = statefile_read_path(real, &text, &len);
	else
		rc = -errno;
	if (rc == 0)
		rc = ini_doc_parse(text ? text : "", len, &doc);
	if (rc < 0) {
		ctl_err("%s: %s: %s", cmd, file, strerror(-rc));
		goto out;
	}
	rc = edit(doc, file, ctx);
	if (rc > 0) {
		ret = rc;
		goto out;
	}
	if (rc == 0)
		rc = ini_doc_render(doc, &out, &out_len);
	if (rc < 0) {
		ctl_err("%s: %s", cmd, strerror(-rc));
		goto out;
	}
	config_check(file, out, out_len, &r);
	if (r.problems) {
		ctl_err("%s: %s not changed: the result would have %u problem%s", cmd, file,
			r.problems, r.problems == 1 ? "" : "s");
		goto out;
	}
	rc = statefile_replace(real, out, out_len, st.st_mode & 07777, st.st_uid, st.st_gid);
	if (rc < 0) {
		ctl_err("%s: writing %s: %s", cmd, file, strerror(-rc));
		goto out;
	}
	ret = CTL_EXIT_OK;
	if (mapper_load_string(file, out, out_len, &m, &errs) == 0) {
		rc = discovered_forget_nodes(mapper_server(m)->state, m);
		if (rc < 0)
			ctl_err("%s: %s: %s (the discovered list may still show the node)", cmd,
				mapper_server(m)->state, strerror(-rc));
	}
out:
	mapper_errors_free(&errs);
	mapper_free(m);
	ini_doc_free(doc);
	free(out);
	free(text);
	close(lock);
	return ret;
}

/* ---- node add / discovered adopt ----------------------------------------- */

struct add_ctx {
	const char *name;
	const struct arg_values *o;
};

static int add_edit(struct ini_doc *d, const char *file, void *ctx)
{
	const struct add_ctx *a = ctx;
	const struct arg_values *o = a->o;
	const char *keys[][2] = {
		{"profile", o->profile}, {"image", o->image}, {"model", o->model},
		{"serial", o->serial},	 {"mac", o->mac},     {"ip", o->ip},
	};
	char section[NODE_NAME_MAX + 8];
	size_t i;
	int rc;

	snprintf(section, sizeof(section), "node:%s", a->name);
	if (ini_has_section(d, section)) {
		ctl_err("node %s already exists (%s:%u)", a->name, file,
			ini_section_line(d, section));
		return CTL_EXIT_FAIL;
	}
	rc = ini_section_add(d, section);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && rc == 0; i++)
		if (keys[i][1])
			rc = ini_key_set(d, section, keys[i][0], keys[i][1]);
	return rc;
}

static int check_opts(const char *cmd, const struct arg_values *o)
{
	const char *keys[][2] = {
		{"--serial", o->serial},   {"--mac", o->mac}, {"--image", o->image},
		{"--profile", o->profile}, {"--ip", o->ip},   {"--model", o->model},
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!keys[i][1])
			continue;
		if (!*keys[i][1])
			return usage_error(cmd, "%s needs a value", keys[i][0]);
		ret = check_value(cmd, keys[i][0], keys[i][1]);
		if (ret >= 0)
			return ret;
	}
	if (!o->serial && !o->mac)
		return usage_error(cmd, "a node needs --serial or --mac");
	return -1;
}

static int add_node(struct ctl *c, const char *cmd, const char *name, const struct arg_values *o)
{
	struct add_ctx a = {name, o};
	int ret = check_name(cmd, name);

	if (ret < 0)
		ret = check_opts(cmd, o);
	if (ret >= 0)
		return ret;
	ret = edit_config(c, cmd, add_edit, &a);
	if (ret == CTL_EXIT_OK)
		printf("node %s added to %s\n", name, c->config_path);
	return ret;
}

static int node_add(struct ctl *c, int argc, char **argv)
{
	struct arg_values o;
	int ret = args_parse("node add", add_help, ARG_NODE, 1, 1, argc, argv, &o);

	return ret >= 0 ? ret : add_node(c, "node add", o.pos[0], &o);
}

int cmd_discovered_adopt(struct ctl *c, int argc, char **argv)
{
	static const char cmd[] = "discovered adopt";
	struct discovered *v = NULL;
	char id[MAC_LEN + 1];
	const struct mapper *m;
	struct arg_values o;
	size_t n = 0, i;
	char **pos;
	bool serial;
	int ret = args_parse(cmd, adopt_help, ARG_NODE, 2, 2, argc, argv, &o);

	if (ret >= 0)
		return ret;
	pos = o.pos;
	serial = ident_normalize_serial(pos[0], id) == 0;
	if (!serial && ident_normalize_mac(pos[0], id) != 0)
		return usage_error(cmd, "'%s' is neither a serial nor a MAC address", pos[0]);
	if (serial ? o.serial != NULL : o.mac != NULL)
		return usage_error(cmd, "%s already gives the %s", pos[0],
				   serial ? "serial" : "mac");
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	ret = discovered_list(mapper_server(m)->state, &v, &n);
	if (ret < 0 && ret != -ENOENT) {
		ctl_err("%s: %s: %s", cmd, mapper_server(m)->state, strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	for (i = 0; i < n && strcmp(v[i].id, id) != 0; i++)
		;
	free(v);
	if (i == n) {
		ctl_err("%s: no discovered client %s (see netbootctl discovered)", cmd, id);
		return CTL_EXIT_FAIL;
	}
	if (serial)
		o.serial = id;
	else
		o.mac = id;
	return add_node(c, cmd, pos[1], &o);
}

/* ---- node set ---------------------------------------------------------------- */

struct set_ctx {
	const char *name;
	char **assign; /* KEY=VALUE */
	int n;
};

static int set_edit(struct ini_doc *d, const char *file, void *ctx)
{
	const struct set_ctx *s = ctx;
	char section[NODE_NAME_MAX + 8];
	int i, rc = 0;

	snprintf(section, sizeof(section), "node:%s", s->name);
	if (!ini_has_section(d, section)) {
		ctl_err("node set: no node %s in %s", s->name, file);
		return CTL_EXIT_FAIL;
	}
	for (i = 0; i < s->n && rc == 0; i++) {
		char *eq = strchr(s->assign[i], '=');

		*eq = '\0';
		rc = ini_key_set(d, section, s->assign[i], eq + 1);
		*eq = '=';
	}
	return rc;
}

static int node_set(struct ctl *c, int argc, char **argv)
{
	static const char cmd[] = "node set";
	struct arg_values av;
	struct set_ctx s;
	int i, ret;

	ret = args_parse(cmd, set_help, 0, 2, INT_MAX, argc, argv, &av);
	if (ret >= 0)
		return ret;
	s = (struct set_ctx){av.pos[0], av.pos + 1, av.npos - 1};
	ret = check_name(cmd, s.name);
	for (i = 0; i < s.n && ret < 0; i++) {
		char *eq = strchr(s.assign[i], '=');
		size_t klen = eq ? (size_t)(eq - s.assign[i]) : 0;

		if (!eq || !klen || strspn(s.assign[i], "abcdefghijklmnopqrstuvwxyz_") != klen)
			return usage_error(cmd, "'%s' is not KEY=VALUE", s.assign[i]);
		ret = check_value(cmd, s.assign[i], eq + 1);
	}
	if (ret >= 0)
		return ret;
	ret = edit_config(c, cmd, set_edit, &s);
	if (ret == CTL_EXIT_OK)
		printf("node %s changed in %s\n", s.name, c->config_path);
	return ret;
}

/* ---- node move -------------------------------------------------------------- */

static int node_move(struct ctl *c, int argc, char **argv)
{
	static const char cmd[] = "node move";
	const struct mapper *m;
	const struct node *n;
	struct arg_values av;
	char assign[NODE_NAME_MAX + 8], *one[1] = {assign};
	char from[NODE_NAME_MAX + 1];
	struct set_ctx s;
	int ret;

	ret = args_parse(cmd, move_help, 0, 2, 2, argc, argv, &av);
	if (ret >= 0)
		return ret;
	ret = check_name(cmd, av.pos[0]);
	if (ret >= 0)
		return ret;
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	n = mapper_find_any(m, av.pos[0]);
	if (!n) {
		ctl_err("%s: no node %s in %s", cmd, av.pos[0], c->config_path);
		return CTL_EXIT_FAIL;
	}
	if (!mapper_server_config(m, av.pos[1])) {
		ctl_err("%s: no [server:%s] in %s", cmd, av.pos[1], c->config_path);
		return CTL_EXIT_FAIL;
	}
	snprintf(from, sizeof(from), "%s", n->server);
	if (strcmp(from, av.pos[1]) == 0) {
		printf("node %s is served by %s already\n", av.pos[0], from);
		return CTL_EXIT_OK;
	}
	snprintf(assign, sizeof(assign), "server=%s", av.pos[1]);
	s = (struct set_ctx){av.pos[0], one, 1};
	ret = edit_config(c, cmd, set_edit, &s);
	if (ret == CTL_EXIT_OK)
		printf("node %s moves from %s to %s at its next boot (%s)\n", av.pos[0], from,
		       av.pos[1], c->config_path);
	return ret;
}

/* ---- takeover --------------------------------------------------------------- */

struct takeover_ctx {
	const char *to;
	const char **names;
	size_t n;
};

static int takeover_edit(struct ini_doc *d, const char *file, void *ctx)
{
	const struct takeover_ctx *t = ctx;
	char section[NODE_NAME_MAX + 8];
	size_t i;
	int rc = 0;

	(void)file;
	for (i = 0; i < t->n && rc == 0; i++) {
		snprintf(section, sizeof(section), "node:%s", t->names[i]);
		rc = ini_key_set(d, section, "server", t->to);
	}
	return rc;
}

int cmd_takeover(struct ctl *c, int argc, char **argv)
{
	static const char cmd[] = "takeover";
	struct takeover_ctx t = {0};
	const struct mapper *m;
	struct arg_values av;
	const char *dead;
	size_t i;
	int ret;

	ret = args_parse(cmd, takeover_help, 0, 1, 1, argc, argv, &av);
	if (ret >= 0)
		return ret;
	dead = av.pos[0];
	t.to = c->server ? c->server : mapper_host_name(c->host_name, sizeof(c->host_name));
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	if (!mapper_server_config(m, dead) || !mapper_server_config(m, t.to)) {
		ctl_err("%s: no [server:%s] in %s", cmd,
			mapper_server_config(m, dead) ? t.to : dead, c->config_path);
		return CTL_EXIT_FAIL;
	}
	if (strcmp(dead, t.to) == 0)
		return usage_error(cmd, "%s cannot take over its own nodes", dead);
	t.names = calloc(mapper_all_count(m) + 1, sizeof(*t.names));
	if (!t.names)
		return CTL_EXIT_FAIL;
	for (i = 0; i < mapper_all_count(m); i++)
		if (strcmp(mapper_all_at(m, i)->server, dead) == 0)
			t.names[t.n++] = mapper_all_at(m, i)->name;
	ret = t.n ? edit_config(c, cmd, takeover_edit, &t) : CTL_EXIT_OK;
	if (ret == CTL_EXIT_OK) {
		printf("%zu node%s of %s move%s to %s at their next boot:", t.n,
		       t.n == 1 ? "" : "s", dead, t.n == 1 ? "s" : "", t.to);
		for (i = 0; i < t.n; i++)
			printf(" %s", t.names[i]);
		putchar('\n');
	}
	free(t.names);
	return ret;
}

/* ---- node rm ------------------------------------------------------------------ */

static int rm_edit(struct ini_doc *d, const char *file, void *ctx)
{
	const char *name = ctx;
	char section[NODE_NAME_MAX + 8];

	snprintf(section, sizeof(section), "node:%s", name);
	if (ini_section_remove(d, section) == -ENOENT) {
		ctl_err("node rm: no node %s in %s", name, file);
		return CTL_EXIT_FAIL;
	}
	return 0;
}

static int node_rm(struct ctl *c, int argc, char **argv)
{
	struct arg_values av;
	int ret;

	ret = args_parse("node rm", rm_help, 0, 1, 1, argc, argv, &av);
	if (ret >= 0)
		return ret;
	ret = check_name("node rm", av.pos[0]);
	if (ret >= 0)
		return ret;
	ret = edit_config(c, "node rm", rm_edit, av.pos[0]);
	if (ret == CTL_EXIT_OK)
		printf("node %s removed from %s\n", av.pos[0], c->config_path);
	return ret;
}

int cmd_node_edit(struct ctl *c, int argc, char **argv)
{
	if (strcmp(argv[0], "add") == 0)
		return node_add(c, argc, argv);
	if (strcmp(argv[0], "set") == 0)
		return node_set(c, argc, argv);
	if (strcmp(argv[0], "move") == 0)
		return node_move(c, argc, argv);
	return node_rm(c, argc, argv);
}
