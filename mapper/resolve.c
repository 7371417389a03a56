/* SPDX-License-Identifier: MIT */
/*
 * From sections to nodes: profile inheritance, precedence (node > profile >
 * parent profile > [defaults] > built-in), and the lookup tables.
 */
#include "mapper/escape.h"
#include "mapper/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char builtin_section[] = "built-in";

/* Link every profile to its parent, then find cycles. Each profile has at
 * most one parent, so following parents from any profile either ends or
 * runs into a cycle; every profile is walked over once. */
void resolve_profiles(struct parse_ctx *c)
{
	struct keyset_vec *pv = &c->profiles;
	int64_t *walk; /* the profile whose walk reached this one, or -1 */
	size_t i;

	for (i = 0; i < pv->n; i++) {
		struct keyset *p = &pv->v[i];
		uint32_t parent;

		if (!(p->set & (1u << NODE_KEY_PROFILE)) || !p->profile)
			continue;
		if (strmap_get(&pv->by_name, p->profile, &parent))
			p->parent = parent;
		else
			perr(c, p->key_line[NODE_KEY_PROFILE], "unknown profile '%s'",
			     shown(c, p->profile));
	}

	walk = malloc((pv->n ? pv->n : 1) * sizeof(*walk));
	if (!walk) {
		c->fatal = -ENOMEM;
		return;
	}
	for (i = 0; i < pv->n; i++)
		walk[i] = -1;
	for (i = 0; i < pv->n; i++) {
		int64_t j = (int64_t)i;

		while (j >= 0 && walk[j] < 0) {
			walk[j] = (int64_t)i;
			j = pv->v[j].parent;
		}
		if (j >= 0 && walk[j] == (int64_t)i) {
			/* This walk came back to j: j starts a new cycle. */
			size_t len, cap = 64;
			char *msg = malloc(cap);
			int64_t k = j;

			if (!msg) {
				c->fatal = -ENOMEM;
				break;
			}
			msg[0] = '\0';
			len = 0;
			do {
				const char *name = pv->v[k].name;
				size_t need = len + strlen(name) + 5;

				if (need > cap) {
					char *p;

					cap = need * 2;
					p = realloc(msg, cap);
					if (!p) {
						free(msg);
						c->fatal = -ENOMEM;
						goto out;
					}
					msg = p;
				}
				len += (size_t)sprintf(msg + len, "%s -> ", name);
				pv->v[k].in_cycle = true;
				k = pv->v[k].parent;
			} while (k != j);
			perr(c, pv->v[j].key_line[NODE_KEY_PROFILE], "profile cycle: %s%s", msg,
			     pv->v[j].name);
			free(msg);
		}
	}
out:
	free(walk);
}

/* Where @k comes from for @n: the node, its profiles nearest first, then
 * [defaults]; NULL for the built-in value. */
static const struct keyset *source_of(struct parse_ctx *c, const struct keyset *n, int64_t profile,
				      enum node_key k)
{
	unsigned bit = 1u << k;
	size_t steps = 0;

	if (n->set & bit)
		return n;
	while (profile >= 0 && steps++ <= c->profiles.n) {
		const struct keyset *p = &c->profiles.v[profile];

		if (p->set & bit)
			return p;
		if (p->in_cycle)
			break;
		profile = p->parent;
	}
	if (c->defaults.set & bit)
		return &c->defaults;
	return NULL;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void resolve_node(struct parse_ctx *c, const struct keyset *ks, struct node *n)
{
	static const char *const no_layers[1] = {NULL};
	/* Documented in netbootfs.ini(5) and kept by every rebase unless a
	 * persist key replaces the list. */
	static const char *const default_persist[] = {
		"/home", "/root", "/etc/ssh/ssh_host_*", "/etc/machine-id", "/var/log", NULL};
	int64_t profile = -1;
	const struct keyset *src;
	enum node_key k;

	memcpy(n->name, ks->name, strlen(ks->name) + 1);
	memcpy(n->serial, ks->serial, sizeof(n->serial));
	memcpy(n->mac, ks->mac, sizeof(n->mac));
	n->ip = or_empty(ks->ip);
	n->profile = or_empty(ks->profile);
	n->line = ks->line;
	if ((ks->set & (1u << NODE_KEY_PROFILE)) && ks->profile) {
		uint32_t idx;

		if (strmap_get(&c->profiles.by_name, ks->profile, &idx))
			profile = idx;
		else
			perr(c, ks->key_line[NODE_KEY_PROFILE], "unknown profile '%s'",
			     shown(c, ks->profile));
	}

	/* Built-in values, then whatever the sections say. */
	n->image = "";
	n->overlay = OVERLAY_PERSISTENT;
	n->cmdline = "";
	n->boot_dir = "auto";
	n->boot = BOOT_PI;
	n->layers = no_layers;
	n->n_layers = 0;
	n->quota = 0;
	n->upgrade = UPGRADE_KEEP;
	n->persist = default_persist;
	n->n_persist = sizeof(default_persist) / sizeof(default_persist[0]) - 1;
	n->model = PI_MODEL_ANY;
	for (k = 0; k < NODE_KEY__COUNT; k++) {
		src = source_of(c, ks, k <= NODE_KEY_SERVER ? profile : -1, k);
		n->origin[k].section = src ? src->section : builtin_section;
		n->origin[k].line = src ? src->key_line[k] : 0;
		if (!src)
			continue;
		switch (k) {
		case NODE_KEY_IMAGE:
			n->image = or_empty(src->image);
			break;
		case NODE_KEY_OVERLAY:
			n->overlay = src->overlay;
			break;
		case NODE_KEY_CMDLINE:
			n->cmdline = or_empty(src->cmdline);
			break;
		case NODE_KEY_BOOT_DIR:
			if (src->boot_dir)
				n->boot_dir = src->boot_dir;
			break;
		case NODE_KEY_BOOT:
			n->boot = src->boot;
			break;
		case NODE_KEY_LAYERS:
			if (src->layers) {
				n->layers = src->layers;
				n->n_layers = src->n_layers;
			}
			break;
		case NODE_KEY_QUOTA:
			n->quota = src->quota;
			break;
		case NODE_KEY_UPGRADE:
			n->upgrade = src->upgrade;
			break;
		case NODE_KEY_PERSIST:
			if (src->persist) {
				n->persist = src->persist;
				n->n_persist = src->n_persist;
			}
			break;
		case NODE_KEY_MODEL:
			n->model = src->model;
			break;
		case NODE_KEY_SERVER:
			break; /* below, with the spread */
		default:
			break; /* node-only keys, copied above */
		}
	}
	n->server = servers_of_node(c, source_of(c, ks, profile, NODE_KEY_SERVER), ks->name);
	if (!n->origin[NODE_KEY_SERVER].line && *n->server)
		n->origin[NODE_KEY_SERVER].section = "spread";
	/* A PXE node's cmdline is written into its iPXE script too. */
	if (n->boot == BOOT_PXE && esc_why(ESC_IPXE, n->cmdline))
		perr(c,
		     n->origin[NODE_KEY_CMDLINE].line ? n->origin[NODE_KEY_CMDLINE].line : ks->line,
		     "cmdline: %s cannot be written in %s (node %s has boot = pxe)",
		     esc_why(ESC_IPXE, n->cmdline), esc_format_name(ESC_IPXE), ks->name);
	/* A bad image value was reported where it was given. */
	src = source_of(c, ks, profile, NODE_KEY_IMAGE);
	if (!src)
		perr(c, ks->line, "node %s has no image", ks->name);
}

static int index_node(struct parse_ctx *c, size_t i)
{
	struct mapper *m = c->m;
	const struct node *n = &m->nodes[i];
	const struct keyset *ks = &c->nodes.v[i];
	uint32_t other;
	int rc;

	rc = strmap_insert(&m->by_name, n->name, (uint32_t)i, NULL);
	if (rc < 0)
		return rc;
	if (n->serial[0]) {
		rc = strmap_insert(&m->by_serial, n->serial, (uint32_t)i, &other);
		if (rc < 0)
			return rc;
		if (rc == 1)
			perr(c, ks->key_line[NODE_KEY_SERIAL],
			     "duplicate serial %s (also node %s at line %u)", n->serial,
			     m->nodes[other].name, c->nodes.v[other].key_line[NODE_KEY_SERIAL]);
	}
	if (n->mac[0]) {
		rc = strmap_insert(&m->by_mac, n->mac, (uint32_t)i, &other);
		if (rc < 0)
			return rc;
		if (rc == 1)
			perr(c, ks->key_line[NODE_KEY_MAC],
			     "duplicate mac %s (also node %s at line %u)", n->mac,
			     m->nodes[other].name, c->nodes.v[other].key_line[NODE_KEY_MAC]);
	}
	return 0;
}

int build_table(struct parse_ctx *c)
{
	struct mapper *m = c->m;
	size_t i;
	int rc;

	if (c->nodes.n > UINT32_MAX)
		return -E2BIG;
	m->nodes = calloc(c->nodes.n ? c->nodes.n : 1, sizeof(*m->nodes));
	if (!m->nodes)
		return -ENOMEM;
	m->n_nodes = c->nodes.n;
	for (i = 0; i < m->n_nodes; i++) {
		resolve_node(c, &c->nodes.v[i], &m->nodes[i]);
		rc = index_node(c, i);
		if (rc < 0)
			return rc;
		if (c->fatal)
			return c->fatal;
	}
	return 0;
}
