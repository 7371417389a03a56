/* SPDX-License-Identifier: MIT */
/* The keys of [defaults], [profile:NAME] and [node:NAME], and their values. */
#include "mapper/escape.h"
#include "mapper/ident.h"
#include "mapper/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum node_key key;
	unsigned scope;
} keyset_keys[] = {
	{"image", NODE_KEY_IMAGE, SCOPE_ALL},
	{"overlay", NODE_KEY_OVERLAY, SCOPE_ALL},
	{"cmdline", NODE_KEY_CMDLINE, SCOPE_ALL},
	{"boot_dir", NODE_KEY_BOOT_DIR, SCOPE_ALL},
	{"boot", NODE_KEY_BOOT, SCOPE_ALL},
	{"layers", NODE_KEY_LAYERS, SCOPE_ALL},
	{"quota", NODE_KEY_QUOTA, SCOPE_ALL},
	{"upgrade", NODE_KEY_UPGRADE, SCOPE_ALL},
	{"persist", NODE_KEY_PERSIST, SCOPE_ALL},
	{"model", NODE_KEY_MODEL, SCOPE_ALL},
	{"server", NODE_KEY_SERVER, SCOPE_ALL},
	{"profile", NODE_KEY_PROFILE, SCOPE_PROFILE | SCOPE_NODE},
	{"serial", NODE_KEY_SERIAL, SCOPE_NODE},
	{"mac", NODE_KEY_MAC, SCOPE_NODE},
	{"ip", NODE_KEY_IP, SCOPE_NODE},
};

/* Image names are file names under <images> without ".sqfs". */
bool valid_image_name(const char *s)
{
	size_t i;

	if (!*s || *s == '.' || *s == '-')
		return false;
	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (i >= 200)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' || ch == '+'))
			return false;
	}
	return true;
}

/* Dotted quad, four decimal parts, no leading zeros (inet_pton's rule). */
bool parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return false;
	if (addr)
		*addr = ntohl(in.s_addr);
	return true;
}

/* "auto", or a relative path inside the image that does not climb out. */
static bool valid_boot_dir(const char *s)
{
	const char *p = s;

	if (!*s || *s == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		while (*p == '/')
			p++;
	}
	return true;
}

static bool is_layer_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

/* Split @value at commas and blanks into arena strings; NULL on ENOMEM. */
static const char **split_list(struct parse_ctx *c, const char *value, size_t *count)
{
	size_t n = 0, i;
	const char *p;
	const char **v;

	for (p = value; *p;) {
		while (is_layer_sep(*p))
			p++;
		if (!*p)
			break;
		n++;
		while (*p && !is_layer_sep(*p))
			p++;
	}
	v = arena_alloc(&c->m->arena, (n + 1) * sizeof(*v));
	if (!v) {
		c->fatal = -ENOMEM;
		return NULL;
	}
	for (p = value, i = 0; i < n; i++) {
		size_t len;

		while (is_layer_sep(*p))
			p++;
		len = strcspn(p, ", \t");
		v[i] = arena_strndup(&c->m->arena, p, len);
		if (!v[i]) {
			c->fatal = -ENOMEM;
			return NULL;
		}
		p += len;
	}
	v[n] = NULL;
	*count = n;
	return v;
}

static void parse_layers(struct parse_ctx *c, struct keyset *ks, const char *value)
{
	size_t n = 0, i, j;
	const char **v = split_list(c, value, &n);

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		if (!ident_valid_node_name(v[i])) {
			perr(c, c->lineno, "invalid layer name '%s'", shown(c, v[i]));
			return;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(v[j], v[i]) == 0) {
				perr(c, c->lineno, "duplicate layer '%s'", v[i]);
				return;
			}
		}
	}
	ks->layers = v;
	ks->n_layers = n;
}

/* Bytes: decimal digits and an optional K, M or G (powers of 1024). */
static bool parse_quota(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, unit = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10)
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	switch (*p) {
	case 'G':
		unit <<= 10; /* fall through */
	case 'M':
		unit <<= 10; /* fall through */
	case 'K':
		unit <<= 10;
		p++;
		break;
	default:
		break;
	}
	if (*p || v > ULLONG_MAX / unit)
		return false;
	*out = v * unit;
	return true;
}

/* An absolute path glob inside the node's root: no "." or ".." part. */
static bool valid_persist_glob(const char *s)
{
	const char *p = s;

	if (*s != '/' || !s[1])
		return false;
	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	}
	return true;
}

static void parse_persist(struct parse_ctx *c, struct keyset *ks, const char *value)
{
	size_t n = 0, i;
	const char **v = split_list(c, value, &n);

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		if (!valid_persist_glob(v[i])) {
			perr(c, c->lineno,
			     "bad path in persist: '%s' (expected an absolute path or glob "
			     "without . or .. parts)",
			     shown(c, v[i]));
			return;
		}
	}
	ks->persist = v;
	ks->n_persist = n;
}

static const char *dup_value(struct parse_ctx *c, const char *value)
{
	const char *s = arena_strdup(&c->m->arena, value);

	if (!s)
		c->fatal = -ENOMEM;
	return s;
}

static bool set_value(struct parse_ctx *c, struct keyset *ks, enum node_key k, const char *value)
{
	char ip[INET_ADDRSTRLEN];
	uint32_t addr;

	switch (k) {
	case NODE_KEY_IMAGE:
		if (!valid_image_name(value)) {
			perr(c, c->lineno,
			     "bad value for image: '%s' (expected an image name: letters, digits, "
			     ". _ + -)",
			     shown(c, value));
			return false;
		}
		ks->image = dup_value(c, value);
		break;
	case NODE_KEY_OVERLAY:
		if (strcmp(value, "persistent") == 0) {
			ks->overlay = OVERLAY_PERSISTENT;
		} else if (strcmp(value, "volatile") == 0) {
			ks->overlay = OVERLAY_VOLATILE;
		} else {
			perr(c, c->lineno,
			     "bad value for overlay: '%s' (expected persistent or volatile)",
			     shown(c, value));
			return false;
		}
		break;
	case NODE_KEY_CMDLINE:
		if (esc_why(ESC_CMDLINE, value)) {
			perr(c, c->lineno, "cmdline: %s cannot be written in %s",
			     esc_why(ESC_CMDLINE, value), esc_format_name(ESC_CMDLINE));
			return false;
		}
		ks->cmdline = dup_value(c, value);
		break;
	case NODE_KEY_BOOT_DIR:
		if (!valid_boot_dir(value)) {
			perr(c, c->lineno,
			     "bad value for boot_dir: '%s' (expected auto or a relative path "
			     "without '..')",
			     shown(c, value));
			return false;
		}
		ks->boot_dir = dup_value(c, value);
		break;
	case NODE_KEY_BOOT:
		if (strcmp(value, "pi") == 0) {
			ks->boot = BOOT_PI;
		} else if (strcmp(value, "pxe") == 0) {
			ks->boot = BOOT_PXE;
		} else {
			perr(c, c->lineno, "bad value for boot: '%s' (expected pi or pxe)",
			     shown(c, value));
			return false;
		}
		break;
	case NODE_KEY_LAYERS:
		parse_layers(c, ks, value);
		if (!ks->layers)
			return false;
		break;
	case NODE_KEY_QUOTA:
		if (!parse_quota(value, &ks->quota)) {
			perr(c, c->lineno,
			     "bad value for quota: '%s' (expected bytes, with an optional K, M or "
			     "G "
			     "suffix; 0 is unlimited)",
			     shown(c, value));
			return false;
		}
		break;
	case NODE_KEY_UPGRADE:
		if (strcmp(value, "keep") == 0) {
			ks->upgrade = UPGRADE_KEEP;
		} else if (strcmp(value, "rebase") == 0) {
			ks->upgrade = UPGRADE_REBASE;
		} else {
			perr(c, c->lineno, "bad value for upgrade: '%s' (expected keep or rebase)",
			     shown(c, value));
			return false;
		}
		break;
	case NODE_KEY_PERSIST:
		parse_persist(c, ks, value);
		if (!ks->persist)
			return false;
		break;
	case NODE_KEY_MODEL:
		if (strcmp(value, "pi3") == 0) {
			ks->model = PI_MODEL_3;
		} else if (strcmp(value, "pi4") == 0) {
			ks->model = PI_MODEL_4;
		} else if (strcmp(value, "pi5") == 0) {
			ks->model = PI_MODEL_5;
		} else {
			perr(c, c->lineno, "bad value for model: '%s' (expected pi3, pi4 or pi5)",
			     shown(c, value));
			return false;
		}
		break;
	case NODE_KEY_PROFILE:
		ks->profile = dup_value(c, value);
		break;
	case NODE_KEY_SERVER:
		if (!ident_valid_node_name(value)) {
			perr(c, c->lineno, "bad value for server: '%s' (expected a server name)",
			     shown(c, value));
			return false;
		}
		ks->server = dup_value(c, value);
		break;
	case NODE_KEY_SERIAL:
		if (ident_normalize_serial(value, ks->serial)) {
			perr(c, c->lineno, "bad serial '%s'", shown(c, value));
			return false;
		}
		break;
	case NODE_KEY_MAC:
		if (ident_normalize_mac(value, ks->mac)) {
			perr(c, c->lineno, "bad mac '%s'", shown(c, value));
			return false;
		}
		break;
	case NODE_KEY_IP:
		if (!parse_ipv4(value, &addr)) {
			perr(c, c->lineno, "bad value for ip: '%s' (expected an IPv4 address)",
			     shown(c, value));
			return false;
		}
		addr = htonl(addr);
		inet_ntop(AF_INET, &addr, ip, sizeof(ip));
		ks->ip = dup_value(c, ip);
		break;
	case NODE_KEY__COUNT:
		return false;
	}
	return true;
}

void keyset_key(struct parse_ctx *c, struct keyset *ks, const char *key, const char *value,
		unsigned scope)
{
	size_t i;
	enum node_key k;

	for (i = 0; i < sizeof(keyset_keys) / sizeof(keyset_keys[0]); i++)
		if (strcmp(keyset_keys[i].name, key) == 0)
			break;
	if (i == sizeof(keyset_keys) / sizeof(keyset_keys[0]) || !(keyset_keys[i].scope & scope)) {
		perr(c, c->lineno, "unknown key '%s' in [%s]", shown(c, key), ks->section);
		return;
	}
	k = keyset_keys[i].key;
	if (ks->set & (1u << k)) {
		perr(c, c->lineno, "duplicate key '%s' in [%s] (also at line %u)", key, ks->section,
		     ks->key_line[k]);
		return;
	}
	/* A bad value still counts as given, so that it is not reported again
	 * as "no image" or shadowed by an inherited value. */
	ks->set |= 1u << k;
	ks->key_line[k] = c->lineno;
	set_value(c, ks, k, value);
}
