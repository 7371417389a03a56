/* SPDX-License-Identifier: MIT */
/* netbootctl nodes, netbootctl node show. */
#include <stdlib.h>
#include <string.h>

#include "ctl/args.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/output.h"
#include "mapper/state.h"

static const char nodes_help[] =
	"Usage: netbootctl [-c CONFIG] nodes [--json]\n"
	"\n"
	"List the configured nodes: NAME SERIAL MAC IP IMAGE OVERLAY, and SLOT (the\n"
	"persistent number behind the node's NFS fsid) once the state directory\n"
	"holds one. --json prints an array of objects with the keys name, serial,\n"
	"mac, ip, image, overlay and slot (null when unset). When the config names\n"
	"several servers ([server:NAME]), SERVER (key server) says which serves\n"
	"each node.\n";

static const char node_help[] =
	"Usage: netbootctl [-c CONFIG] node show NAME [--json]\n"
	"\n"
	"Show every effective key of node NAME, its value and the section and line\n"
	"of the configuration that set it (\"built-in\" for defaults).\n";

/* Slots from <state>; NULL when there is no state to show. */
static struct node_slots *load_slots(const struct mapper *m)
{
	struct node_slots *s = NULL;
	size_t i;

	if (node_slots_load(mapper_server(m)->state, &s) < 0)
		return NULL;
	for (i = 0; i < mapper_node_count(m); i++)
		if (node_slots_get(s, mapper_node_at(m, i)->name))
			return s;
	node_slots_free(s);
	return NULL;
}

static struct json_object *node_json(const struct mapper *m, const struct node *n, unsigned slot)
{
	struct json_object *o = json_object_new_object();
	char buf[32];

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "serial", json_string_or_null(n->serial));
	json_object_object_add(o, "mac", json_string_or_null(n->mac));
	json_object_object_add(o, "ip", json_string_or_null(n->ip));
	json_object_object_add(o, "image", json_object_new_string(n->image));
	json_object_object_add(
		o, "overlay",
		json_object_new_string(node_key_value(n, NODE_KEY_OVERLAY, buf, sizeof(buf))));
	json_object_object_add(o, "slot", slot ? json_object_new_int64(slot) : NULL);
	if (mapper_server_count(m))
		json_object_object_add(o, "server", json_object_new_string(n->server));
	return o;
}

static int print_nodes_json(const struct mapper *m, const struct node_slots *slots)
{
	struct json_object *arr = json_object_new_array();
	size_t i;
	int ret;

	for (i = 0; i < mapper_all_count(m); i++) {
		const struct node *n = mapper_all_at(m, i);

		json_object_array_add(arr,
				      node_json(m, n, slots ? node_slots_get(slots, n->name) : 0));
	}
	ret = json_print(arr, stdout);
	json_object_put(arr);
	return ret;
}

static int print_nodes_table(const struct mapper *m, const struct node_slots *slots)
{
	static const char *const headers[] = {"NAME",  "SERIAL",  "MAC",  "IP",
					      "IMAGE", "OVERLAY", "SLOT", "SERVER"};
	static const char *const headers_noslot[] = {"NAME",  "SERIAL",	 "MAC",	  "IP",
						     "IMAGE", "OVERLAY", "SERVER"};
	bool servers = mapper_server_count(m) > 0;
	struct table t;
	size_t i;
	int ret = 0;

	table_init(&t, (slots ? 7 : 6) + servers, slots ? headers : headers_noslot);
	for (i = 0; i < mapper_all_count(m) && ret == 0; i++) {
		const struct node *n = mapper_all_at(m, i);
		char overlay[32], slot[16] = "";
		const char *row[8] = {
			n->name,  n->serial,
			n->mac,	  n->ip,
			n->image, node_key_value(n, NODE_KEY_OVERLAY, overlay, sizeof(overlay)),
			slot,	  n->server};

		if (slots && node_slots_get(slots, n->name))
			snprintf(slot, sizeof(slot), "%u", node_slots_get(slots, n->name));
		if (!slots)
			row[6] = n->server;
		ret = table_add(&t, row);
	}
	if (ret == 0)
		table_print(&t, stdout);
	table_free(&t);
	return ret;
}

int cmd_nodes(struct ctl *c, int argc, char **argv)
{
	struct node_slots *slots;
	const struct mapper *m;
	struct arg_values av;
	int ret;

	ret = args_parse("nodes", nodes_help, ARG_JSON, 0, 0, argc, argv, &av);
	if (ret >= 0)
		return ret;
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	slots = load_slots(m);
	ret = av.json ? print_nodes_json(m, slots) : print_nodes_table(m, slots);
	if (slots)
		node_slots_free(slots);
	if (ret < 0) {
		ctl_err("nodes: %s", strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

/* "[profile:workers] line 12", or "[built-in]". */
static const char *origin_text(const struct key_origin *o, char *buf, size_t len)
{
	if (o->line)
		snprintf(buf, len, "[%s] line %u", o->section, o->line);
	else
		snprintf(buf, len, "[%s]", o->section);
	return buf;
}

/* The server key only means something when the config names servers. */
static bool shown_key(const struct mapper *m, enum node_key k)
{
	return k != NODE_KEY_SERVER || mapper_server_count(m) > 0;
}

static int show_node_json(const struct mapper *m, const struct node *n)
{
	struct json_object *o = json_object_new_object();
	struct json_object *keys = json_object_new_object();
	enum node_key k;
	int ret;

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "line", json_object_new_int64(n->line));
	for (k = 0; k < NODE_KEY__COUNT; k++) {
		struct json_object *e;
		char val[1024];

		if (!shown_key(m, k))
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "value",
				       json_string_or_null(node_key_value(n, k, val, sizeof(val))));
		json_object_object_add(e, "section", json_object_new_string(n->origin[k].section));
		json_object_object_add(e, "line", json_object_new_int64(n->origin[k].line));
		json_object_object_add(keys, node_key_name(k), e);
	}
	json_object_object_add(o, "keys", keys);
	ret = json_print(o, stdout);
	json_object_put(o);
	return ret;
}

static int show_node_table(const struct mapper *m, const struct node *n)
{
	char section[NODE_NAME_MAX + 16], origin[NODE_NAME_MAX + 64];
	struct table t;
	enum node_key k;
	int ret;

	table_init(&t, 3, NULL);
	snprintf(section, sizeof(section), "node:%s", n->name);
	ret = table_add(&t,
			(const char *const[]){"name", n->name,
					      origin_text(&(struct key_origin){section, n->line},
							  origin, sizeof(origin))});
	for (k = 0; k < NODE_KEY__COUNT && ret == 0; k++) {
		char val[1024];
		const char *row[3] = {node_key_name(k), node_key_value(n, k, val, sizeof(val)),
				      origin_text(&n->origin[k], origin, sizeof(origin))};

		if (shown_key(m, k))
			ret = table_add(&t, row);
	}
	if (ret == 0)
		table_print(&t, stdout);
	table_free(&t);
	return ret;
}

static int node_show(struct ctl *c, int argc, char **argv)
{
	const struct mapper *m;
	const struct node *n;
	struct arg_values av;
	int ret;

	ret = args_parse("node show", node_help, ARG_JSON, 1, 1, argc, argv, &av);
	if (ret >= 0)
		return ret;
	/* Any server's node: its config is the same file. */
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	n = mapper_find_any(m, av.pos[0]);
	if (!n) {
		ctl_err("node show: no node '%s' in %s", av.pos[0], mapper_path(m));
		return CTL_EXIT_FAIL;
	}
	ret = av.json ? show_node_json(m, n) : show_node_table(m, n);
	if (ret < 0) {
		ctl_err("node show: %s", strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

int cmd_node(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return node_show(c, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(node_help, stdout);
		return CTL_EXIT_OK;
	}
	if (argc < 2)
		return usage_error("node", "missing subcommand (show)");
	return usage_error("node", "unknown subcommand '%s'", argv[1]);
}
