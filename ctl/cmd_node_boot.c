/* SPDX-License-Identifier: MIT */
/* netbootctl node boot NAME: tell the daemon that a node boots. */
#include <limits.h>
#include <stdio.h>

#include "ctl/args.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/output.h"

static const char boot_help[] =
	"Usage: netbootctl [-c CONFIG] node boot NAME\n"
	"\n"
	"Node NAME boots, for clients whose boots the daemon cannot tell on its\n"
	"own. If the node is down (its root served no request within the last\n"
	"2 * boot_gap seconds and its boot tree was not read over TFTP within the\n"
	"last boot_gap seconds), it boots now: it takes its current configuration\n"
	"and the newest generation of its image, and a volatile overlay is\n"
	"emptied. Otherwise the next request of the TFTP server in its boot tree\n"
	"starts its boot, whatever its root is doing (status shows boot_pending).\n"
	"\n"
	"The running daemon does it (through [server] control).\n";

int cmd_node_boot(struct ctl *c, int argc, char **argv)
{
	struct json_object *req, *reply = NULL, *gen;
	const struct mapper *m;
	struct arg_values av;
	char path[PATH_MAX];
	const char *name;
	int ret;

	ret = args_parse("node boot", boot_help, 0, 1, 1, argc, argv, &av);
	if (ret >= 0)
		return ret;
	name = av.pos[0];
	m = ctl_load_node(c, "node boot", name);
	if (!m)
		return CTL_EXIT_FAIL;
	snprintf(path, sizeof(path), "%s", mapper_server(m)->control);
	req = ctl_node_request("node-boot", name);
	ret = ctl_daemon_call(path, req, &reply);
	json_object_put(req);
	if (ret < 0) {
		ctl_daemon_error(path, "node boot", ret);
		return CTL_EXIT_FAIL;
	}
	if (!ctl_reply_ok(reply)) {
		ctl_err("node boot: %s", ctl_reply_error(reply));
		json_object_put(reply);
		return CTL_EXIT_FAIL;
	}
	if (json_object_get_boolean(json_object_object_get(reply, "booted"))) {
		gen = json_object_object_get(reply, "generation");
		printf("node %s: booted now (it is down): image %s generation %s\n", name,
		       json_object_get_string(json_object_object_get(reply, "image")),
		       gen ? json_object_get_string(gen) : "none");
	} else {
		printf("node %s: is up; its next TFTP request starts its boot\n", name);
	}
	json_object_put(reply);
	return CTL_EXIT_OK;
}
