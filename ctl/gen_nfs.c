/* SPDX-License-Identifier: MIT */
/*
 * netbootctl gen exports / gen ganesha: one NFS export per node root.
 * Each node's fsid (and Ganesha export id) is its persistent slot from
 * <state>/nodes, so it survives reloads, restarts and nodes added in front.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/output.h"
#include "mapper/escape.h"
#include "mapper/state.h"
#include "mapper/users.h"

/* The Ganesha Export_Id of [server] homes (16 bits): node slots are given
 * lowest first, so only a 65535th node would reach it. */
#define HOMES_EXPORT_ID NODE_SLOT_MAX

/* A node's root, NFS_ROOT/NODE, escaped by @f's rules (malloc'ed), or NULL
 * with the reason printed. The mapper refused every nfs_root these formats
 * cannot hold, and node names are plain: this is the last line of defence. */
static char *node_root(const struct mapper *m, const struct node *n, enum esc_format f)
{
	char path[PATH_MAX], *s = NULL;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", mapper_server(m)->nfs_root, n->name) <
	    sizeof(path))
		s = esc_str(f, path);
	if (!s)
		ctl_err("%s:%u: node %s: its root cannot be written in %s", mapper_path(m), n->line,
			n->name, esc_format_name(f));
	return s;
}

static struct node_slots *assign_slots(const struct mapper *m)
{
	const char *state = mapper_server(m)->state;
	struct node_slots *s = NULL;
	int ret;

	ret = node_slots_load(state, &s);
	if (ret == 0) {
		ret = node_slots_assign(s, m);
		if (ret < 0)
			node_slots_free(s);
	}
	if (ret < 0) {
		ctl_err("%s: node slots: %s", state, strerror(-ret));
		return NULL;
	}
	return s;
}

/* Who may mount @n's root: its ip, else [server] clients (may be a list). */
static const char *node_clients(const struct mapper *m, const struct node *n)
{
	if (n->ip[0])
		return n->ip;
	if (mapper_server(m)->clients[0])
		return mapper_server(m)->clients;
	ctl_err("%s:%u: node %s: no ip and no [server] clients: nobody may mount its root",
		mapper_path(m), n->line, n->name);
	return NULL;
}

/* Calls @fn for each client of a "a, b c" list. */
static void for_each_client(const char *list, void (*fn)(FILE *, const char *, size_t, void *),
			    FILE *out, void *ctx)
{
	const char *p = list;

	while (*p) {
		size_t len;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (len)
			fn(out, p, len, ctx);
		p += len;
	}
}

/* Who may mount [server] homes: [server] clients, else every node's ip,
 * malloc'ed ("" when no node has one). */
static char *homes_clients(const struct mapper *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (mapper_server(m)->clients[0])
		return strdup(mapper_server(m)->clients);
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	/* (len is only updated at a flush: it cannot tell the first.) */
	for (size_t i = 0, n = 0; i < mapper_node_count(m); i++)
		if (mapper_node_at(m, i)->ip[0])
			fprintf(f, "%s%s", n++ ? " " : "", mapper_node_at(m, i)->ip);
	return fclose(f) == 0 ? buf : NULL;
}

struct export_line {
	const char *opts;
};

static void print_exports_client(FILE *out, const char *client, size_t len, void *ctx)
{
	const struct export_line *e = ctx;

	fprintf(out, " %.*s(%s)", (int)len, client, e->opts);
}

int gen_exports(struct ctl *c, const struct gen_opts *o, FILE *out)
{
	const struct mapper *m = ctl_load_config_server(c);
	struct node_slots *slots;
	size_t i;
	int ret = 0;

	(void)o;
	if (!m)
		return -EINVAL;
	slots = assign_slots(m);
	if (!slots)
		return -EIO;
	fputs("# /etc/exports for netbootfs, from ", out);
	esc_print(out, ESC_COMMENT, mapper_path(m));
	fputs(" (netbootctl gen exports).\n"
	      "# fsid is the node's persistent slot: stable across reloads and restarts.\n",
	      out);
	for (i = 0; i < mapper_node_count(m); i++) {
		const struct node *n = mapper_node_at(m, i);
		const char *clients = node_clients(m, n);
		char opts[96], *root;
		struct export_line e = {opts};

		if (!clients) {
			ret = -EINVAL;
			continue;
		}
		root = node_root(m, n, ESC_EXPORTS);
		if (!root) {
			ret = -EINVAL;
			continue;
		}
		snprintf(opts, sizeof(opts), "rw,sync,no_subtree_check,no_root_squash,fsid=%u",
			 node_slots_get(slots, n->name));
		fputs(root, out);
		free(root);
		for_each_client(clients, print_exports_client, out, &e);
		fputc('\n', out);
	}
	node_slots_free(slots);
	if (mapper_server(m)->homes[0]) {
		struct export_line e = {"rw,sync,no_subtree_check,root_squash"};
		char *clients = homes_clients(m);

		if (!clients)
			return -ENOMEM;
		fputs("# The shared homes of netbootctl user, mounted by every node on " HOMES_MOUNT
		      ".\n",
		      out);
		if (esc_print(out, ESC_EXPORTS, mapper_server(m)->homes) < 0)
			ret = -EINVAL;
		for_each_client(clients, print_exports_client, out, &e);
		fputc('\n', out);
		free(clients);
	}
	return ret;
}

static void print_ganesha_client(FILE *out, const char *client, size_t len, void *ctx)
{
	bool *first = ctx;

	fprintf(out, "%s%.*s", *first ? "" : ", ", (int)len, client);
	*first = false;
}

/* One Ganesha EXPORT block. */
struct ganesha_export {
	const char *comment; /* "node rpi-01" */
	unsigned id;
	const char *path; /* a Ganesha string, quotes included */
	bool fsid;	  /* Filesystem_Id = id.id (a FUSE root has no stable one) */
	bool root_squash;
	const char *clients;
};

static void print_ganesha_export(FILE *out, const struct ganesha_export *x)
{
	bool first = true;

	fprintf(out,
		"\n"
		"# %s\n"
		"EXPORT {\n"
		"\tExport_Id = %u;\n"
		"\tPath = %s;\n"
		"\tPseudo = %s;\n",
		x->comment, x->id, x->path, x->path);
	if (x->fsid)
		fprintf(out, "\tFilesystem_Id = %u.%u;\n", x->id, x->id);
	fprintf(out,
		"\tProtocols = 3, 4;\n"
		"\tTransports = TCP;\n"
		"\tSecType = sys;\n"
		"\tSquash = %s;\n"
		"\t# Nobody but the clients below.\n"
		"\tAccess_Type = None;\n"
		"\tCLIENT {\n"
		"\t\tClients = ",
		x->root_squash ? "Root_Squash" : "No_Root_Squash");
	for_each_client(x->clients, print_ganesha_client, out, &first);
	fprintf(out, ";\n"
		     "\t\tAccess_Type = RW;\n"
		     "\t}\n"
		     "\tFSAL {\n"
		     "\t\tName = VFS;\n"
		     "\t}\n"
		     "}\n");
}

int gen_ganesha(struct ctl *c, const struct gen_opts *o, FILE *out)
{
	const struct mapper *m = ctl_load_config_server(c);
	struct node_slots *slots;
	size_t i;
	int ret = 0;

	(void)o;
	if (!m)
		return -EINVAL;
	slots = assign_slots(m);
	if (!slots)
		return -EIO;
	fputs("# NFS-Ganesha configuration for netbootfs, from ", out);
	esc_print(out, ESC_COMMENT, mapper_path(m));
	fprintf(out,
		"\n"
		"# (netbootctl gen ganesha). One FSAL_VFS export per node root; Export_Id and\n"
		"# Filesystem_Id are the node's persistent slot.\n"
		"\n"
		"NFS_CORE_PARAM {\n"
		"\t# NFSv3 for the Pi kernels' nfsroot, v4 for everything else.\n"
		"\tProtocols = 3, 4;\n"
		"\t# v3 mounts use the same paths as v4.\n"
		"\tmount_path_pseudo = true;\n"
		"\t# An nfsroot mounts with nolock; no quotas either.\n"
		"\tEnable_NLM = false;\n"
		"\tEnable_RQUOTA = false;\n"
		"}\n"
		"\n"
		"MDCACHE {\n"
		"\t# No directory entry cache: a node's boot onto a new image generation\n"
		"\t# changes the names under its root while the directories' times stay;\n"
		"\t# cached entries would keep serving the old generation.\n"
		"\tDir_Chunk = 0;\n"
		"}\n");
	for (i = 0; i < mapper_node_count(m); i++) {
		const struct node *n = mapper_node_at(m, i);
		const char *clients = node_clients(m, n);
		char *root = clients ? node_root(m, n, ESC_GANESHA) : NULL;
		char comment[NODE_NAME_MAX + 8];
		struct ganesha_export x = {
			comment, node_slots_get(slots, n->name), root, true, false, clients};

		if (!root) {
			ret = -EINVAL;
			continue;
		}
		snprintf(comment, sizeof(comment), "node %s", n->name);
		print_ganesha_export(out, &x);
		free(root);
	}
	node_slots_free(slots);
	if (mapper_server(m)->homes[0]) {
		char *clients = homes_clients(m);
		char *path = esc_str(ESC_GANESHA, mapper_server(m)->homes);

		if (clients && path) {
			/* A real file system: no Filesystem_Id needed. */
			struct ganesha_export x = {
				"The shared homes of netbootctl user, mounted by every node on "
				"" HOMES_MOUNT ".",
				HOMES_EXPORT_ID,
				path,
				false,
				true,
				clients};

			print_ganesha_export(out, &x);
		} else {
			ret = -EINVAL;
		}
		free(clients);
		free(path);
	}
	return ret;
}
