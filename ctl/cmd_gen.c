/* SPDX-License-Identifier: MIT */
/* netbootctl gen: configurations for the services around netbootfs. */
#include <string.h>

#include "ctl/args.h"
#include "ctl/ctl.h"
#include "ctl/output.h"

static const char gen_help[] =
	"Usage: netbootctl [-c CONFIG] gen dnsmasq [--hook PATH]\n"
	"       netbootctl [-c CONFIG] gen exports\n"
	"       netbootctl [-c CONFIG] gen ganesha\n"
	"       netbootctl [-c CONFIG] gen systemd [--dir DIR]\n"
	"\n"
	"Print a configuration derived from the netbootfs config:\n"
	"  dnsmasq  proxy DHCP (or full, [server] dhcp) with the Raspberry Pi boot\n"
	"           menu, iPXE loaders and scripts for boot = pxe nodes, TFTP from\n"
	"           tftp_root, dhcp-host lines for nodes with an ip and\n"
	"           the dhcp-script hook (--hook PATH, default\n"
	"           " NETBOOTFS_DATADIR "/dnsmasq-hook.sh)\n"
	"  exports  /etc/exports, one line per node, fsid = the node's persistent slot\n"
	"  ganesha  the same for NFS-Ganesha (FSAL_VFS)\n"
	"  systemd  netbootfs.service and drop-ins ordering dnsmasq and the NFS server\n"
	"           after it; --dir DIR writes the files below DIR instead\n"
	"exports and ganesha assign slots to new nodes in the state directory.\n"
	"With [server] role = pxe only dnsmasq and systemd are generated (the NFS\n"
	"exports belong on the file server); with role = files, all but dnsmasq.\n"
	"With several servers ([server:NAME]) each file is this server's (-S NAME,\n"
	"default the host name): its nodes only, its [server:NAME] keys over\n"
	"[server]; dnsmasq ignores the other servers' nodes (dhcp-host=MAC with a\n"
	"tag and dhcp-ignore, which proxy DHCP obeys too).\n"
	"Values are quoted by each format's rules; one a format cannot hold is an\n"
	"error (see netbootctl check) and nothing is written.\n";

struct generator {
	const char *name;
	unsigned accept;
	enum server_role not_on; /* the role without the service; ROLE_BOTH: none */
	int (*fn)(struct ctl *c, const struct gen_opts *o, FILE *out);
};

static const struct generator generators[] = {
	{"dnsmasq", ARG_HOOK, ROLE_FILES, gen_dnsmasq},
	{"exports", 0, ROLE_PXE, gen_exports},
	{"ganesha", 0, ROLE_PXE, gen_ganesha},
	{"systemd", ARG_DIR, ROLE_BOTH, gen_systemd},
};

int cmd_gen(struct ctl *c, int argc, char **argv)
{
	struct arg_values av;
	struct gen_opts o;
	char cmd[32];
	size_t i;
	int ret;

	if (argc < 2)
		return usage_error("gen", "missing what to generate (dnsmasq, exports, ganesha, "
					  "systemd)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(gen_help, stdout);
		return CTL_EXIT_OK;
	}
	for (i = 0; i < sizeof(generators) / sizeof(generators[0]); i++) {
		const struct generator *g = &generators[i];

		if (strcmp(argv[1], g->name) != 0)
			continue;
		snprintf(cmd, sizeof(cmd), "gen %s", g->name);
		ret = args_parse(cmd, gen_help, g->accept, 0, 0, argc - 1, argv + 1, &av);
		if (ret >= 0)
			return ret;
		if (g->not_on != ROLE_BOTH) {
			const struct mapper *m = ctl_load_config_server(c);

			if (!m)
				return CTL_EXIT_FAIL;
			if (mapper_server(m)->role == g->not_on) {
				const char *where = g->not_on == ROLE_PXE ? "file" : "PXE";

				ctl_err("gen %s: this server's [server] role is %s: run it on the "
					"%s server",
					g->name, server_role_name(g->not_on), where);
				return CTL_EXIT_FAIL;
			}
		}
		o = (struct gen_opts){.hook = av.hook, .outdir = av.dir};
		return g->fn(c, &o, stdout) < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	}
	return usage_error("gen", "unknown generator '%s'", argv[1]);
}
