/* SPDX-License-Identifier: MIT */
/* netbootctl node reset NAME [--force]: empty a node's overlay. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/args.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/output.h"
#include "ctl/overlay_dir.h"
#include "lib/rmtree.h"

static const char reset_help[] =
	"Usage: netbootctl [-c CONFIG] node reset NAME [--force]\n"
	"\n"
	"Empty the overlay of node NAME (<overlays>/NAME): the node's root shows\n"
	"its image again at once. Refused while the node is up, unless --force:\n"
	"a node is up while its root served a request within the last\n"
	"2 * boot_gap seconds, or while it boots (the TFTP server read its boot\n"
	"tree within the last boot_gap seconds).\n"
	"\n"
	"The running daemon does the reset (through [server] control). Without a\n"
	"daemon the overlay directory is emptied directly, unless the node's root\n"
	"is still mounted.\n";

/* Whether @path is a mount point (its device differs from its parent's). A
 * dead FUSE mount (ENOTCONN) counts as not mounted: nobody serves it. */
static bool is_mount_point(const char *path)
{
	char parent[PATH_MAX + 4];
	struct stat st, pst;

	if (stat(path, &st) != 0)
		return false;
	snprintf(parent, sizeof(parent), "%s/..", path);
	return stat(parent, &pst) == 0 && st.st_dev != pst.st_dev;
}

/* No daemon: empty the directory ourselves. */
static int reset_offline(const struct mapper *m, const char *name)
{
	const struct server_config *srv = mapper_server(m);
	char root[PATH_MAX], overlay[PATH_MAX];
	int err;

	snprintf(root, sizeof(root), "%s/%s", srv->nfs_root, name);
	snprintf(overlay, sizeof(overlay), "%s/%s", srv->overlays, name);
	if (is_mount_point(root)) {
		ctl_err("node reset: %s is mounted but no daemon answers on %s; not touching %s",
			root, srv->control, overlay);
		return CTL_EXIT_FAIL;
	}
	/* Everything inside, not the directory itself; a missing one is empty. */
	err = rmtree_contents_at(AT_FDCWD, overlay);
	if (err && err != -ENOENT) {
		ctl_err("node reset: %s: %s", overlay, strerror(-err));
		return CTL_EXIT_FAIL;
	}
	printf("node %s: overlay emptied (netbootfs is not running)\n", name);
	return CTL_EXIT_OK;
}

static int node_reset(struct ctl *c, int argc, char **argv)
{
	struct json_object *req, *reply = NULL;
	const struct mapper *m;
	struct arg_values av;
	char path[PATH_MAX];
	const char *name;
	int ret;

	ret = args_parse("node reset", reset_help, ARG_FORCE, 1, 1, argc, argv, &av);
	if (ret >= 0)
		return ret;
	name = av.pos[0];
	m = ctl_load_node(c, "node reset", name);
	if (!m)
		return CTL_EXIT_FAIL;
	snprintf(path, sizeof(path), "%s", mapper_server(m)->control);
	req = ctl_node_request("node-reset", name);
	json_object_object_add(req, "force", json_object_new_boolean(av.force));
	ret = ctl_daemon_call(path, req, &reply);
	json_object_put(req);
	if (ret < 0 && ctl_daemon_absent(ret))
		return reset_offline(m, name);
	if (ret < 0) {
		ctl_daemon_error(path, "node reset", ret);
		return CTL_EXIT_FAIL;
	}
	ret = ctl_reply_ok(reply) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
	if (ret == CTL_EXIT_OK)
		printf("node %s: overlay emptied\n", name);
	else
		ctl_err("node reset: %s", ctl_reply_error(reply));
	json_object_put(reply);
	return ret;
}

int cmd_node_admin(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "reset") == 0)
		return node_reset(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "boot") == 0)
		return cmd_node_boot(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "diff") == 0)
		return cmd_node_diff(c, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "set") == 0 ||
			  strcmp(argv[1], "rm") == 0 || strcmp(argv[1], "move") == 0))
		return cmd_node_edit(c, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(reset_help, stdout);
		putchar('\n');
		fputs("Usage: netbootctl [-c CONFIG] node add|set|rm|move NAME ...\n\n"
		      "Add, change, remove or move a node in the configuration, in place: see\n"
		      "'netbootctl node add --help', 'node set --help', 'node rm --help',\n"
		      "'node move --help'.\n\n",
		      stdout);
	}
	if (argc < 2)
		return usage_error(
			"node", "missing subcommand (show, add, set, rm, move, reset, boot, diff)");
	return cmd_node(c, argc, argv);
}
