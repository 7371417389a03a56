/* SPDX-License-Identifier: MIT */
/* netbootctl check: the config, every image file, and every node's image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/args.h"
#include "ctl/config_check.h"
#include "ctl/ctl.h"
#include "ctl/output.h"
#include "lib/statefile.h"

static const char check_help[] =
	"Usage: netbootctl [-c CONFIG] check\n"
	"\n"
	"Check everything netbootfs and gen need, and report every problem in one\n"
	"pass: config errors as FILE:LINE: MESSAGE (including values a generated file\n"
	"or cmdline.txt cannot hold, a missing [server] address, a node without ip\n"
	"when there is no [server] clients, two nodes with one ip, a layer without its\n"
	"<overlays>/@NAME directory), then image problems as IMAGE: REASON (an image\n"
	"file that does not validate, a node whose image is missing, an image without\n"
	"the boot files its nodes' Pi model needs, or without a kernel in /boot for\n"
	"boot = pxe nodes).\n"
	"Prints \"ok: N nodes, M images\" and exits 0 when nothing is wrong, else 1.\n";

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

int cmd_check(struct ctl *c, int argc, char **argv)
{
	struct check_result r;
	struct arg_values av;
	char *text = NULL;
	size_t len = 0;
	int ret;

	ret = args_parse("check", check_help, 0, 0, 0, argc, argv, &av);
	if (ret >= 0)
		return ret;
	ret = statefile_read_path(c->config_path, &text, &len);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot read: %s\n", c->config_path, strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	config_check(c->config_path, text ? text : "", len, &r);
	free(text);
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
