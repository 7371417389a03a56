/* SPDX-License-Identifier: MIT */
/* netbootctl check: the config, every image file, and every node's image. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/args.h"
#include "ctl/config_check.h"
#include "ctl/ctl.h"
#include "ctl/gluster_check.h"
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
	"boot = pxe nodes), then, for the config's directory, images and overlays on\n"
	"GlusterFS, each volume option that docs/scale-out.md requires and the volume\n"
	"lacks, as DIR: MESSAGE with the 'gluster volume set' command that sets it\n"
	"(performance.quick-read off, performance.open-behind off, client.strict-locks\n"
	"on; read from the mount's own client graph, .meta/graphs/active/volfile).\n"
	"Warnings go to stderr and are never problems: a host setting that slows\n"
	"netbootfs down (\"warning: FILE is 0 with the cpuidle driver haltpoll: ...\" in\n"
	"a virtual machine that halts idle vCPUs at once), and a GlusterFS volume\n"
	"whose client graph could not be read.\n"
	"Prints \"ok: N nodes, M images\" and exits 0 when nothing is wrong, else 1.\n"
	"--json prints {\"ok\", \"problems\", \"nodes\", \"images\", \"warnings\": [TEXT]}\n"
	"instead (problems stay on stderr); NETBOOTCTL_SYSFS replaces /sys for the host\n"
	"settings.\n";

/* The shared directories of the config @text (file @path) on GlusterFS:
 * the config's own, the images and the overlays, each volume checked once.
 * The config's own errors were reported already: loaded quietly here. */
static unsigned check_shared_storage(const char *path, const char *text, size_t len,
				     struct host_warnings *w)
{
	struct mapper_errors errs = {0};
	const struct server_config *srv;
	struct mapper *m = NULL;
	char real[PATH_MAX];
	const char *dirs[3];
	unsigned problems = 0;

	mapper_load_string_partial(path, text, len, &m, &errs);
	mapper_errors_free(&errs);
	if (!m)
		return 0;
	srv = mapper_server(m);
	if (realpath(path, real)) {
		dirs[0] = dirname(real);
		dirs[1] = srv->images;
		dirs[2] = srv->overlays;
		problems = gluster_check_dirs(dirs, 3, "/proc/self/mountinfo", w);
	}
	mapper_free(m);
	return problems;
}

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
	host_check(sysfs && sysfs[0] ? sysfs : "/sys", &w);
	r.problems += check_shared_storage(c->config_path, text ? text : "", len, &w);
	free(text);
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
