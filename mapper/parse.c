/* SPDX-License-Identifier: MIT */
/*
 * Reading netbootfs.ini with inih.
 *
 * inih drives the parse, but every line first goes through our reader, which
 * does what the Debian build of inih (55) cannot: it counts lines (the handler
 * gets no line number), it accepts ';' comments with no space before them (as
 * in "overlays = /var/lib/netbootfs/overlays; comment"), it keeps lines longer
 * than inih's 200-byte buffer, and section names longer than its 50 bytes. The
 * reader therefore hands inih a short canonical line ("[s]" or "k=v") and keeps
 * the real section, key and value; inih then calls the handler once per key
 * line, synchronously, so the handler knows the line it belongs to.
 */
#include "mapper/ident.h"
#include "mapper/internal.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char *trim(char *s)
{
	char *e;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		e--;
	*e = '\0';
	return s;
}

static struct keyset *keyset_new(struct parse_ctx *c, struct keyset_vec *vec, const char *kind,
				 const char *name)
{
	struct keyset *ks;
	char *section;
	size_t klen = strlen(kind), nlen = strlen(name);
	int rc;

	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 16;

		ks = reallocarray(vec->v, cap, sizeof(*ks));
		if (!ks)
			goto oom;
		vec->v = ks;
		vec->cap = cap;
	}
	section = arena_alloc(&c->m->arena, klen + 1 + nlen + 1);
	if (!section)
		goto oom;
	memcpy(section, kind, klen);
	section[klen] = ':';
	memcpy(section + klen + 1, name, nlen + 1);

	ks = &vec->v[vec->n];
	memset(ks, 0, sizeof(*ks));
	ks->section = section;
	ks->name = section + klen + 1;
	ks->line = c->lineno;
	ks->parent = -1;
	rc = strmap_insert(&vec->by_name, ks->name, (uint32_t)vec->n, NULL);
	if (rc < 0)
		goto oom;
	vec->n++;
	return ks;
oom:
	c->fatal = -ENOMEM;
	return NULL;
}

/* [profile:NAME] or [node:NAME] */
static void named_section(struct parse_ctx *c, struct keyset_vec *vec, const char *kind,
			  const char *name)
{
	uint32_t other;

	c->kind = SECTION_SKIP;
	if (!ident_valid_node_name(name)) {
		perr(c, c->lineno, "invalid %s name '%s'", kind, shown(c, name));
		return;
	}
	if (strmap_get(&vec->by_name, name, &other)) {
		perr(c, c->lineno, "duplicate %s name '%s' (also at line %u)", kind, name,
		     vec->v[other].line);
		return;
	}
	c->cur = keyset_new(c, vec, kind, name);
	if (!c->cur)
		return;
	c->kind = SECTION_KEYSET;
	c->cur_type = vec == &c->nodes ? CUR_NODE : CUR_PROFILE;
}

static void begin_section(struct parse_ctx *c, const char *name)
{
	c->kind = SECTION_SKIP;
	c->cur = NULL;
	if (strcmp(name, "server") == 0) {
		if (c->server_line) {
			perr(c, c->lineno, "duplicate section [server] (also at line %u)",
			     c->server_line);
			return;
		}
		c->server_line = c->lineno;
		c->kind = SECTION_SERVER;
	} else if (strcmp(name, "defaults") == 0) {
		if (c->defaults_line) {
			perr(c, c->lineno, "duplicate section [defaults] (also at line %u)",
			     c->defaults_line);
			return;
		}
		c->defaults_line = c->lineno;
		c->defaults.line = c->lineno;
		c->cur = &c->defaults;
		c->cur_type = CUR_DEFAULTS;
		c->kind = SECTION_KEYSET;
	} else if (strncmp(name, "server:", 7) == 0) {
		servers_section(c, name + 7);
	} else if (strncmp(name, "profile:", 8) == 0) {
		named_section(c, &c->profiles, "profile", name + 8);
	} else if (strncmp(name, "node:", 5) == 0) {
		named_section(c, &c->nodes, "node", name + 5);
	} else {
		perr(c, c->lineno, "unknown section [%s]", shown(c, name));
	}
}

static void on_key(struct parse_ctx *c)
{
	static const unsigned scope[] = {
		[CUR_DEFAULTS] = SCOPE_DEFAULTS,
		[CUR_PROFILE] = SCOPE_PROFILE,
		[CUR_NODE] = SCOPE_NODE,
	};

	switch (c->kind) {
	case SECTION_NONE:
		perr(c, c->lineno, "key '%s' outside of any section", shown(c, c->key));
		break;
	case SECTION_SERVER:
		server_key(c, c->key, c->value);
		break;
	case SECTION_SERVER_NAMED:
		servers_key(c, c->key, c->value);
		break;
	case SECTION_KEYSET:
		keyset_key(c, c->cur, c->key, c->value, scope[c->cur_type]);
		break;
	case SECTION_SKIP:
		break;
	}
}

static int ini_handler_cb(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;

	(void)section;
	(void)name;
	(void)value;
	if (!c->fatal)
		on_key(c);
	return 1;
}

static int reserve_line(struct parse_ctx *c, size_t len)
{
	char *p;

	if (len < c->linecap)
		return 0;
	p = realloc(c->linebuf, len + 1);
	if (!p)
		return -ENOMEM;
	c->linebuf = p;
	c->linecap = len + 1;
	return 0;
}

/* Look at one physical line; returns the canonical text to give inih. */
static const char *scan_line(struct parse_ctx *c, const char *p, size_t len)
{
	char *line, *cut, *eq;

	if (c->lineno == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	if (memchr(p, '\0', len)) {
		perr(c, c->lineno, "NUL byte in line");
		return "\n";
	}
	if (reserve_line(c, len)) {
		c->fatal = -ENOMEM;
		return NULL;
	}
	memcpy(c->linebuf, p, len);
	c->linebuf[len] = '\0';
	line = trim(c->linebuf);
	if (*line == '#')
		return "\n";
	cut = strchr(line, ';');
	if (cut) {
		*cut = '\0';
		line = trim(line);
	}
	if (!*line)
		return "\n";

	if (*line == '[') {
		size_t l = strlen(line);

		if (line[l - 1] != ']' || l < 2) {
			perr(c, c->lineno, "bad section header '%s'", shown(c, line));
			c->kind = SECTION_SKIP;
			c->cur = NULL;
			return "\n";
		}
		line[l - 1] = '\0';
		begin_section(c, trim(line + 1));
		return "[s]\n";
	}

	eq = strchr(line, '=');
	if (!eq) {
		perr(c, c->lineno, "expected 'key = value' or '[section]': '%s'", shown(c, line));
		return "\n";
	}
	*eq = '\0';
	c->key = trim(line);
	c->value = trim(eq + 1);
	if (!*c->key) {
		perr(c, c->lineno, "missing key before '='");
		return "\n";
	}
	return "k=v\n";
}

static char *ini_reader_cb(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	const char *p, *nl, *out;
	size_t rest, len;

	if (c->pos >= c->len || c->fatal)
		return NULL;
	p = c->text + c->pos;
	rest = c->len - c->pos;
	nl = memchr(p, '\n', rest);
	len = nl ? (size_t)(nl - p) : rest;
	c->pos += len + (nl ? 1 : 0);
	c->lineno++;
	out = scan_line(c, p, len);
	if (!out)
		return NULL;
	if ((size_t)num <= strlen(out))
		return NULL; /* cannot happen: inih's buffer is 200 bytes */
	strcpy(str, out);
	return str;
}

int parse_text(struct parse_ctx *c)
{
	int rc = ini_parse_stream(ini_reader_cb, c, ini_handler_cb, c);

	if (c->fatal)
		return c->fatal;
	if (rc == -2)
		return -ENOMEM;
	if (rc != 0)
		perr(c, (unsigned)(rc > 0 ? rc : 0), "ini parser error");
	return 0;
}
