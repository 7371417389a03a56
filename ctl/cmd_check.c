/* SPDX-License-Identifier: MIT */
/* netbootctl check: the config, every image file, and every node's image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/args.h"
#include "ctl/config_check.h"
#include "ctl/ctl.h"
#include "ctl/host_check.h"
#include "ctl/output.h"
#include "lib/statefile.h"

static const char check_help[] =
	"Usage: netbootctl [-c CONFIG] check [--json]\n"
	"\n"
	"Check everything netbootfs and gen need, and report every problem in one\n"
	"pass: config errors as FILE:LINE: MESSAGE (including values a generated file\n"
	"or cmdline.txt cannot hold, a missing [server] address, a node without ip\n"
	"when there is no [server] clients, two nodes with one ip, a layer without its\n"
	"<overlays>/@NAME directory), then image problems as IMAGE: REASON (an image\n"
	"file that does not validate, a node whose image is missing, an image without\n"
	"the boot files its nodes' Pi model needs, or without a kernel in /boot for\n"
	"boot = pxe nodes).\n"
	"Host settings that slow netbootfs down are warnings on stderr, never problems:\n"
	"\"warning: FILE is 0 with the cpuidle driver haltpoll: ...\" in a virtual machine\n"
	"that halts idle vCPUs at once (guest halt polling off).\n"
	"Prints \"ok: N nodes, M images\" and exits 0 when nothing is wrong, else 1.\n"
	"--json prints {\"ok\", \"problems\", \"nodes\", \"images\", \"warnings\": [TEXT]}\n"
	"instead (problems stay on stderr); NETBOOTCTL_SYSFS replaces /sys for the host\n"
	"settings.\n";

/* Which services this server runs, and which gen outputs belong here. */
static void check_print_role(const struct mapper *m)
{
	const struct server_config *srv = m ? mapper_server(m) : NULL;

	if (!srv || srv->role == ROLE_BOTH)
		return;
	if (srv->role == ROLE_PXE)
		printf("role pxe: boot trees (DHCP/TFTP, gen dnsmasq) here; node roots on the file "
		       "server %s\n",
		       srv->address);
	else
		printf("role files: node roots (NFS, gen exports or ganesha) here; boot trees on "
		       "the PXE server\n");
}

/* "servers: alpha 10.0.0.1 (2 nodes), beta 10.0.0.2 (1 node)" */
static void check_print_servers(const struct mapper *m)
{
	size_t i, j, count;

	if (!m || !mapper_server_count(m))
		return;
	fputs("servers:", stdout);
	for (i = 0; i < mapper_server_count(m); i++) {
		const char *name = mapper_server_name(m, i);

		for (j = count = 0; j < mapper_all_count(m); j++)
			count += strcmp(mapper_all_at(m, j)->server, name) == 0;
		printf("%s %s %s (%zu node%s)", i ? "," : "", name,
		       mapper_server_config(m, name)->address, count, count == 1 ? "" : "s");
	}
	putchar('\n');
}

/* The result as one JSON object on stdout. */
static int check_print_json(const struct check_result *r, const struct host_warnings *w)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	size_t i;
	int ret;

	json_object_object_add(o, "ok", json_object_new_boolean(r->problems == 0));
	json_object_object_add(o, "problems", json_object_new_int64(r->problems));
	json_object_object_add(o, "nodes", json_object_new_int64((int64_t)r->nodes));
	json_object_object_add(o, "images", json_object_new_int64((int64_t)r->images));
	for (i = 0; i < w->n; i++)
		json_object_array_add(arr, json_object_new_string(w->text[i]));
	json_object_object_add(o, "warnings", arr);
	ret = json_print(o, stdout);
	json_object_put(o);
	return ret;
}

int cmd_check(struct ctl *c, int argc, char **argv)
{
	const char *sysfs = getenv("NETBOOTCTL_SYSFS");
	struct host_warnings w;
	struct check_result r;
	struct arg_values av;
	char *text = NULL;
	size_t len = 0;
	size_t i;
	int ret;

	ret = args_parse("check", check_help, ARG_JSON, 0, 0, argc, argv, &av);
	if (ret >= 0)
		return ret;
	ret = statefile_read_path(c->config_path, &text, &len);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot read: %s\n", c->config_path, strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	config_check(c->config_path, text ? text : "", len, &r);
	free(text);
	host_check(sysfs && sysfs[0] ? sysfs : "/sys", &w);
	if (av.json) {
		if (check_print_json(&r, &w) < 0)
			return CTL_EXIT_FAIL;
		return r.problems ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	}
	for (i = 0; i < w.n; i++)
		fprintf(stderr, "warning: %s\n", w.text[i]);
	if (r.problems) {
		ctl_err("%u problem%s found", r.problems, r.problems == 1 ? "" : "s");
		return CTL_EXIT_FAIL;
	}
	printf("ok: %zu nodes, %zu images\n", r.nodes, r.images);
	check_print_role(ctl_load_config(c));
	check_print_servers(ctl_load_config(c));
	if (!r.nodes)
		printf("hint: nothing to serve yet: set [server] address and clients, import an "
		       "image (image import) and add a node per Pi (netbootctl node add, see "
		       "netbootfs.ini.example)\n");
	return CTL_EXIT_OK;
}
