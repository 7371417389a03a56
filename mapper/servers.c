/* SPDX-License-Identifier: MIT */
/*
 * Several servers from one configuration: the [server:NAME] sections, which
 * server serves each node, and the table as one server sees it.
 *
 * A node names its server with `server = NAME` (node, profile or
 * [defaults]); a node that names none is spread by rendezvous (highest
 * random weight) hashing of its name over the server names: every server
 * scores hash(node, server) and the highest score serves the node. It needs
 * no state and every server computes the same answer from the same ini;
 * adding a server moves only the nodes that the new one wins (about 1/N of
 * them), and removing one moves only its own nodes.
 */
#include "mapper/ident.h"
#include "mapper/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* splitmix64's finaliser: FNV alone spreads short, similar names badly. */
static uint64_t mix(uint64_t h)
{
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

size_t mapper_spread(const char *node, const char *const *names, size_t n)
{
	uint64_t best = 0, h;
	size_t i, pick = 0;

	for (i = 0; i < n; i++) {
		h = fnv1a(0xcbf29ce484222325ULL, node);
		h = fnv1a(h ^ 0xff, names[i]); /* a separator: "ab"+"c" != "a"+"bc" */
		h = mix(h);
		if (i == 0 || h > best) {
			best = h;
			pick = i;
		}
	}
	return pick;
}

void servers_section(struct parse_ctx *c, const char *name)
{
	struct mapper *m = c->m;
	struct server_entry *e;
	uint32_t other;

	c->kind = SECTION_SKIP;
	if (!ident_valid_node_name(name)) {
		perr(c, c->lineno, "invalid server name '%s'", shown(c, name));
		return;
	}
	if (strmap_get(&m->server_by_name, name, &other)) {
		perr(c, c->lineno, "duplicate section [server:%s] (also at line %u)", name,
		     m->servers[other].line);
		return;
	}
	if (m->n_servers == m->cap_servers) {
		size_t cap = m->cap_servers ? m->cap_servers * 2 : 4;

		e = reallocarray(m->servers, cap, sizeof(*e));
		if (!e)
			goto oom;
		m->servers = e;
		m->cap_servers = cap;
	}
	e = &m->servers[m->n_servers];
	memset(e, 0, sizeof(*e));
	e->name = arena_strdup(&m->arena, name);
	e->line = c->lineno;
	if (!e->name || strmap_insert(&m->server_by_name, e->name, (uint32_t)m->n_servers, NULL))
		goto oom;
	c->cur_server = m->n_servers++;
	c->kind = SECTION_SERVER_NAMED;
	return;
oom:
	c->fatal = -ENOMEM;
}

/* Recorded as written: [server] may come later, and is what these override. */
void servers_key(struct parse_ctx *c, const char *key, const char *value)
{
	struct server_entry *e = &c->m->servers[c->cur_server];
	struct server_override *o;

	if (e->n_ov == e->cap_ov) {
		size_t cap = e->cap_ov ? e->cap_ov * 2 : 4;

		o = reallocarray(e->ov, cap, sizeof(*o));
		if (!o)
			goto oom;
		e->ov = o;
		e->cap_ov = cap;
	}
	o = &e->ov[e->n_ov];
	o->key = arena_strdup(&c->m->arena, key);
	o->value = arena_strdup(&c->m->arena, value);
	o->line = c->lineno;
	if (!o->key || !o->value)
		goto oom;
	e->n_ov++;
	return;
oom:
	c->fatal = -ENOMEM;
}

void servers_resolve(struct parse_ctx *c)
{
	struct mapper *m = c->m;
	unsigned saved = c->lineno;
	size_t i, j;

	for (i = 0; i < m->n_servers && !c->fatal; i++) {
		struct server_entry *e = &m->servers[i];
		unsigned key_line[SERVER_KEY__COUNT] = {0}, any_line[SERVER_KEY__COUNT];
		char section[NODE_NAME_MAX + 8];

		snprintf(section, sizeof(section), "server:%s", e->name);
		e->cfg = m->server;
		for (j = 0; j < e->n_ov; j++) {
			c->lineno = e->ov[j].line;
			server_key_into(c, &e->cfg, key_line, section, e->ov[j].key,
					e->ov[j].value);
		}
		for (j = 0; j < SERVER_KEY__COUNT; j++)
			any_line[j] = key_line[j] ? key_line[j] : c->server_key_line[j];
		server_check_config(c, &e->cfg, key_line, any_line);
		/* A node has one server: it must serve both halves. */
		if (e->cfg.role != ROLE_BOTH)
			perr(c, any_line[SERVER_ROLE],
			     "[server:%s]: role = %s does not combine with several servers: each "
			     "serves its nodes' boot trees and roots (role = both)",
			     e->name, server_role_name(e->cfg.role));
		/* Its nodes' cmdline.txt, exports and DHCP answers name it. */
		if (!key_line[SERVER_ADDRESS])
			perr(c, e->line,
			     "[server:%s] needs an address (its nodes mount their roots from it)",
			     e->name);
	}
	c->lineno = saved;
}

static void check_key(struct parse_ctx *c, const struct keyset *ks)
{
	if (!ks->server || strmap_get(&c->m->server_by_name, ks->server, NULL))
		return;
	if (c->m->n_servers)
		perr(c, ks->key_line[NODE_KEY_SERVER],
		     "unknown server '%s' (no [server:%s] section)", shown(c, ks->server),
		     shown(c, ks->server));
	else
		perr(c, ks->key_line[NODE_KEY_SERVER],
		     "server '%s' given but no [server:NAME] section names any server",
		     shown(c, ks->server));
}

void servers_check_keys(struct parse_ctx *c)
{
	size_t i;

	check_key(c, &c->defaults);
	for (i = 0; i < c->profiles.n; i++)
		check_key(c, &c->profiles.v[i]);
	for (i = 0; i < c->nodes.n; i++)
		check_key(c, &c->nodes.v[i]);
}

const char *servers_of_node(struct parse_ctx *c, const struct keyset *src, const char *node)
{
	struct mapper *m = c->m;
	const char **v;
	uint32_t idx;
	size_t i, pick;

	if (!m->n_servers)
		return "";
	if (src && src->server && strmap_get(&m->server_by_name, src->server, &idx))
		return m->servers[idx].name;
	v = malloc(m->n_servers * sizeof(*v));
	if (!v) {
		c->fatal = -ENOMEM;
		return "";
	}
	for (i = 0; i < m->n_servers; i++)
		v[i] = m->servers[i].name;
	pick = mapper_spread(node, v, m->n_servers);
	free(v);
	return m->servers[pick].name;
}

static int index_other(struct mapper *m, size_t i)
{
	const struct node *n = &m->others[i];
	int rc;

	rc = strmap_insert(&m->others_by_key, n->name, (uint32_t)i, NULL);
	if (!rc && n->serial[0])
		rc = strmap_insert(&m->others_by_key, n->serial, (uint32_t)i, NULL);
	if (!rc && n->mac[0])
		rc = strmap_insert(&m->others_by_key, n->mac, (uint32_t)i, NULL);
	return rc < 0 ? rc : 0;
}

static int index_local(struct mapper *m, size_t i)
{
	const struct node *n = &m->nodes[i];
	int rc;

	rc = strmap_insert(&m->by_name, n->name, (uint32_t)i, NULL);
	if (rc >= 0 && n->serial[0])
		rc = strmap_insert(&m->by_serial, n->serial, (uint32_t)i, NULL);
	if (rc >= 0 && n->mac[0])
		rc = strmap_insert(&m->by_mac, n->mac, (uint32_t)i, NULL);
	return rc < 0 ? rc : 0;
}

int servers_partition(struct parse_ctx *c, const char *self)
{
	struct mapper *m = c->m;
	struct node *mine;
	size_t i, n_mine = 0;
	uint32_t idx;
	int rc;

	if (!self || !m->n_servers)
		return 0;
	if (!strmap_get(&m->server_by_name, self, &idx)) {
		perr(c, 0,
		     "this server is '%s', which is not one of the servers named by "
		     "[server:NAME] sections: give its name with -S NAME",
		     shown(c, self));
		return 0;
	}
	m->self = m->servers[idx].name;
	m->server = m->servers[idx].cfg;
	m->others = calloc(m->n_nodes ? m->n_nodes : 1, sizeof(*m->others));
	mine = calloc(m->n_nodes ? m->n_nodes : 1, sizeof(*mine));
	if (!m->others || !mine) {
		free(mine);
		return -ENOMEM;
	}
	for (i = 0; i < m->n_nodes; i++) {
		if (strcmp(m->nodes[i].server, m->self) == 0)
			mine[n_mine++] = m->nodes[i];
		else
			m->others[m->n_others++] = m->nodes[i];
	}
	free(m->nodes);
	m->nodes = mine;
	m->n_nodes = n_mine;
	strmap_free(&m->by_name);
	strmap_free(&m->by_serial);
	strmap_free(&m->by_mac);
	memset(&m->by_name, 0, sizeof(m->by_name));
	memset(&m->by_serial, 0, sizeof(m->by_serial));
	memset(&m->by_mac, 0, sizeof(m->by_mac));
	for (i = 0; i < m->n_nodes; i++) {
		rc = index_local(m, i);
		if (rc)
			return rc;
	}
	for (i = 0; i < m->n_others; i++) {
		rc = index_other(m, i);
		if (rc)
			return rc;
	}
	return 0;
}

void servers_free(struct mapper *m)
{
	size_t i;

	for (i = 0; i < m->n_servers; i++)
		free(m->servers[i].ov);
	free(m->servers);
	strmap_free(&m->server_by_name);
	free(m->others);
	strmap_free(&m->others_by_key);
}

const char *mapper_host_name(char *buf, size_t len)
{
	if (!len)
		return "";
	if (gethostname(buf, len) != 0)
		buf[0] = '\0';
	buf[len - 1] = '\0';
	buf[strcspn(buf, ".")] = '\0';
	return buf;
}

size_t mapper_server_count(const struct mapper *m)
{
	return m->n_servers;
}

const char *mapper_server_name(const struct mapper *m, size_t i)
{
	return i < m->n_servers ? m->servers[i].name : NULL;
}

const struct server_config *mapper_server_config(const struct mapper *m, const char *name)
{
	uint32_t i;

	if (!name || !strmap_get(&m->server_by_name, name, &i))
		return NULL;
	return &m->servers[i].cfg;
}

const char *mapper_self(const struct mapper *m)
{
	return m->self ? m->self : "";
}

size_t mapper_other_count(const struct mapper *m)
{
	return m->n_others;
}

const struct node *mapper_other_at(const struct mapper *m, size_t i)
{
	return i < m->n_others ? &m->others[i] : NULL;
}

const struct node *mapper_find_other(const struct mapper *m, const char *key)
{
	uint32_t i;

	if (!key || !strmap_get(&m->others_by_key, key, &i))
		return NULL;
	return &m->others[i];
}

size_t mapper_all_count(const struct mapper *m)
{
	return m->n_nodes + m->n_others;
}

const struct node *mapper_all_at(const struct mapper *m, size_t i)
{
	return i < m->n_nodes ? &m->nodes[i] : mapper_other_at(m, i - m->n_nodes);
}

int mapper_adopt(struct mapper *m, const char *server)
{
	size_t i, j = 0, count = 0;
	struct node *grown;
	int rc;

	if (!m->self || strcmp(server, m->self) == 0)
		return 0;
	for (i = 0; i < m->n_others; i++)
		count += strcmp(m->others[i].server, server) == 0;
	if (!count)
		return 0;
	grown = realloc(m->nodes, (m->n_nodes + count) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	m->nodes = grown;
	for (i = 0; i < m->n_others; i++) {
		if (strcmp(m->others[i].server, server) != 0) {
			m->others[j++] = m->others[i];
			continue;
		}
		m->nodes[m->n_nodes] = m->others[i];
		rc = index_local(m, m->n_nodes++);
		if (rc)
			return rc;
	}
	m->n_others = j;
	strmap_free(&m->others_by_key);
	memset(&m->others_by_key, 0, sizeof(m->others_by_key));
	for (i = 0; i < m->n_others; i++) {
		rc = index_other(m, i);
		if (rc)
			return rc;
	}
	return 0;
}
