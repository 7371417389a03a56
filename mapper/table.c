/* SPDX-License-Identifier: MIT */
/* Loading a node table, and looking nodes up in it (mapper.h, the
 * library's entry, is implemented by this file, servers.c and errors.c). */
#include "mapper/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void keyset_vec_free(struct keyset_vec *vec)
{
	free(vec->v);
	strmap_free(&vec->by_name);
}

void mapper_free(struct mapper *m)
{
	if (!m)
		return;
	strmap_free(&m->by_name);
	strmap_free(&m->by_serial);
	strmap_free(&m->by_mac);
	free(m->nodes);
	servers_free(m);
	arena_free(&m->arena);
	free(m->path);
	free(m);
}

static int load_string(const char *name, const char *text, size_t len, const char *self,
		       struct mapper **out, struct mapper_errors *errs, bool partial)
{
	struct parse_ctx c = {
		.errs = errs,
		.errs_cap = errs ? errs->n : 0,
		.file = name,
		.text = text,
		.len = len,
		.kind = SECTION_NONE,
	};
	size_t first_error = errs ? errs->n : 0;
	int rc;

	c.m = calloc(1, sizeof(*c.m));
	if (!c.m)
		return -ENOMEM;
	c.m->path = strdup(name);
	if (!c.m->path) {
		rc = -ENOMEM;
		goto out;
	}
	server_defaults(&c.m->server);
	c.defaults.section = "defaults";
	c.defaults.name = "";
	c.defaults.parent = -1;

	rc = parse_text(&c);
	if (rc)
		goto out;
	server_check(&c);
	servers_resolve(&c);
	servers_check_keys(&c);
	resolve_profiles(&c);
	if (c.fatal) {
		rc = c.fatal;
		goto out;
	}
	rc = build_table(&c);
	if (rc)
		goto out;
	rc = servers_partition(&c, self);
	if (rc)
		goto out;
	rc = c.n_errors ? -EINVAL : 0;
out:
	if (rc == -ENOMEM && !c.fatal) {
		c.fatal = 0;
		perr(&c, 0, "out of memory");
	}
	if (errs)
		errors_sort(errs, first_error);
	keyset_vec_free(&c.profiles);
	keyset_vec_free(&c.nodes);
	free(c.linebuf);
	if (rc && !(partial && rc == -EINVAL)) {
		mapper_free(c.m);
		return rc;
	}
	*out = c.m;
	return rc;
}

int mapper_load_string(const char *name, const char *text, size_t len, struct mapper **out,
		       struct mapper_errors *errs)
{
	return load_string(name, text, len, NULL, out, errs, false);
}

int mapper_load_string_as(const char *name, const char *text, size_t len, const char *self,
			  struct mapper **out, struct mapper_errors *errs)
{
	return load_string(name, text, len, self, out, errs, false);
}

int mapper_load_string_partial(const char *name, const char *text, size_t len, struct mapper **out,
			       struct mapper_errors *errs)
{
	return load_string(name, text, len, NULL, out, errs, true);
}

int mapper_load(const char *path, struct mapper **out, struct mapper_errors *errs)
{
	return mapper_load_as(path, NULL, out, errs);
}

int mapper_load_as(const char *path, const char *self, struct mapper **out,
		   struct mapper_errors *errs)
{
	struct parse_ctx c = {.errs = errs, .errs_cap = errs ? errs->n : 0, .file = path};
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		goto fail;
	}
	/* The whole file at once: one code path with mapper_load_string(). */
	{
		size_t cap = 0;
		char buf[65536];
		size_t got;

		while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
			if (len + got > cap) {
				char *p;

				cap = (len + got) * 2;
				p = realloc(text, cap);
				if (!p) {
					fclose(f);
					rc = -ENOMEM;
					goto fail;
				}
				text = p;
			}
			memcpy(text + len, buf, got);
			len += got;
		}
		if (ferror(f)) {
			rc = errno ? -errno : -EIO;
			fclose(f);
			goto fail;
		}
	}
	fclose(f);
	rc = mapper_load_string_as(path, text ? text : "", len, self, out, errs);
	free(text);
	return rc;
fail:
	free(text);
	perr(&c, 0, "cannot read: %s", strerror(-rc));
	return rc;
}

const char *mapper_path(const struct mapper *m)
{
	return m->path;
}

const struct server_config *mapper_server(const struct mapper *m)
{
	return &m->server;
}

size_t mapper_node_count(const struct mapper *m)
{
	return m->n_nodes;
}

const struct node *mapper_node_at(const struct mapper *m, size_t i)
{
	return i < m->n_nodes ? &m->nodes[i] : NULL;
}

static const struct node *find(const struct mapper *m, const struct strmap *map, const char *key)
{
	uint32_t i;

	if (!key || !strmap_get(map, key, &i))
		return NULL;
	return &m->nodes[i];
}

const struct node *mapper_find_name(const struct mapper *m, const char *name)
{
	return find(m, &m->by_name, name);
}

const struct node *mapper_find_serial(const struct mapper *m, const char *serial)
{
	return find(m, &m->by_serial, serial);
}

const struct node *mapper_find_mac(const struct mapper *m, const char *mac)
{
	return find(m, &m->by_mac, mac);
}

const struct node *mapper_find_any(const struct mapper *m, const char *name)
{
	const struct node *n = mapper_find_name(m, name);

	return n ? n : mapper_find_other(m, name);
}

const char *pi_model_name(enum pi_model m)
{
	switch (m) {
	case PI_MODEL_3:
		return "pi3";
	case PI_MODEL_4:
		return "pi4";
	case PI_MODEL_5:
		return "pi5";
	case PI_MODEL_ANY:
		break;
	}
	return "";
}

const char *node_key_name(enum node_key k)
{
	static const char *const names[NODE_KEY__COUNT] = {
		[NODE_KEY_IMAGE] = "image",	[NODE_KEY_OVERLAY] = "overlay",
		[NODE_KEY_CMDLINE] = "cmdline", [NODE_KEY_BOOT_DIR] = "boot_dir",
		[NODE_KEY_LAYERS] = "layers",	[NODE_KEY_QUOTA] = "quota",
		[NODE_KEY_SERIAL] = "serial",	[NODE_KEY_MAC] = "mac",
		[NODE_KEY_IP] = "ip",		[NODE_KEY_PROFILE] = "profile",
		[NODE_KEY_UPGRADE] = "upgrade", [NODE_KEY_PERSIST] = "persist",
		[NODE_KEY_MODEL] = "model",	[NODE_KEY_BOOT] = "boot",
		[NODE_KEY_SERVER] = "server",
	};

	return (unsigned)k < NODE_KEY__COUNT ? names[k] : "?";
}

/* @v joined with ','; if @len is too small, as many whole names as fit. */
static const char *join_list(const char *const *v, size_t n, char *buf, size_t len)
{
	size_t used = 0, i;

	if (!len)
		return "";
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? "," : "", v[i]);

		if (w < 0 || (size_t)w >= len - used) {
			buf[used] = '\0'; /* whole names only */
			break;
		}
		used += (size_t)w;
	}
	return buf;
}

/* "unlimited", or bytes with the largest K, M or G suffix that divides them. */
static const char *quota_text(unsigned long long q, char *buf, size_t len)
{
	static const char units[] = "KMG";
	int u = -1;

	if (!q)
		return "unlimited";
	while (u < 2 && q % 1024 == 0) {
		q /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", q);
	else
		snprintf(buf, len, "%llu%c", q, units[u]);
	return buf;
}

const char *node_key_value(const struct node *n, enum node_key k, char *buf, size_t len)
{
	switch (k) {
	case NODE_KEY_IMAGE:
		return n->image;
	case NODE_KEY_OVERLAY:
		return n->overlay == OVERLAY_VOLATILE ? "volatile" : "persistent";
	case NODE_KEY_CMDLINE:
		return n->cmdline;
	case NODE_KEY_BOOT_DIR:
		return n->boot_dir;
	case NODE_KEY_BOOT:
		return n->boot == BOOT_PXE ? "pxe" : "pi";
	case NODE_KEY_LAYERS:
		return join_list(n->layers, n->n_layers, buf, len);
	case NODE_KEY_QUOTA:
		return quota_text(n->quota, buf, len);
	case NODE_KEY_UPGRADE:
		return n->upgrade == UPGRADE_REBASE ? "rebase" : "keep";
	case NODE_KEY_PERSIST:
		return join_list(n->persist, n->n_persist, buf, len);
	case NODE_KEY_SERIAL:
		return n->serial;
	case NODE_KEY_MAC:
		return n->mac;
	case NODE_KEY_IP:
		return n->ip;
	case NODE_KEY_MODEL:
		return pi_model_name(n->model);
	case NODE_KEY_PROFILE:
		return n->profile;
	case NODE_KEY_SERVER:
		return n->server;
	case NODE_KEY__COUNT:
		break;
	}
	return "";
}
