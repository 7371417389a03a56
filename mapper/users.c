/* SPDX-License-Identifier: MIT */
#include "mapper/users.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mkdirp.h"
#include "lib/statefile.h"

bool user_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > USER_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || c == '_' ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == '-'))))
			return false;
	}
	return true;
}

bool user_list_valid(const char *list)
{
	char buf[1024], *tok, *save;

	if (strlen(list) >= sizeof(buf))
		return false;
	if (!*list)
		return true;
	if (list[0] == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,"))
		return false;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!user_name_valid(tok))
			return false;
	return true;
}

bool user_gecos_valid(const char *gecos)
{
	const unsigned char *p;

	if (strlen(gecos) > 200)
		return false;
	for (p = (const unsigned char *)gecos; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == ':' || *p == ',')
			return false;
	return true;
}

static void user_clear(struct user *e)
{
	free(e->hash);
	free(e->groups);
	free(e->profiles);
	free(e->gecos);
}

void users_free(struct users *u)
{
	for (size_t i = 0; i < u->n; i++)
		user_clear(&u->v[i]);
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

struct user *users_find(const struct users *u, const char *name)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, name) == 0)
			return &u->v[i];
	return NULL;
}

int users_add(struct users *u, const struct user *e)
{
	struct user *v = realloc(u->v, (u->n + 1) * sizeof(*v)), *n;

	if (!v)
		return -ENOMEM;
	u->v = v;
	n = &v[u->n];
	*n = (struct user){.uid = e->uid};
	snprintf(n->name, sizeof(n->name), "%s", e->name);
	n->hash = strdup(e->hash);
	n->groups = strdup(e->groups);
	n->profiles = strdup(e->profiles);
	n->gecos = strdup(e->gecos);
	if (!n->hash || !n->groups || !n->profiles || !n->gecos) {
		user_clear(n);
		return -ENOMEM;
	}
	u->n++;
	return 0;
}

void users_remove(struct users *u, struct user *e)
{
	size_t i = (size_t)(e - u->v);

	user_clear(e);
	memmove(&u->v[i], &u->v[i + 1], (u->n - i - 1) * sizeof(*e));
	u->n--;
}

unsigned users_free_uid(const struct users *u, unsigned min, unsigned max)
{
	for (unsigned long uid = min; uid <= max; uid++) {
		size_t i;

		for (i = 0; i < u->n && u->v[i].uid != uid; i++)
			;
		if (i == u->n)
			return (unsigned)uid;
	}
	return 0;
}

/* Split @line (modified) into 6 ':' fields. */
static bool split_fields(char *line, char *f[6])
{
	for (int i = 0; i < 6; i++) {
		f[i] = line;
		line = strchr(line, ':');
		if (i < 5) {
			if (!line)
				return false;
			*line++ = '\0';
		} else if (line) {
			return false;
		}
	}
	return true;
}

static const char *parse_line(char *line, struct users *u)
{
	struct user e = {0};
	char *f[6], *end;
	unsigned long uid;

	if (!split_fields(line, f))
		return "not NAME:UID:HASH:GROUPS:PROFILES:GECOS";
	if (!user_name_valid(f[0]))
		return "invalid user name";
	errno = 0;
	uid = strtoul(f[1], &end, 10);
	if (errno || !*f[1] || *end || uid == 0 || uid > 4294967294UL)
		return "invalid uid";
	if (!*f[2] || strchr(f[2], ' '))
		return "invalid password hash";
	if (!user_list_valid(f[3]) || !user_list_valid(f[4]))
		return "invalid group or profile list";
	if (!user_gecos_valid(f[5]))
		return "invalid GECOS text";
	if (users_find(u, f[0]))
		return "duplicate user";
	snprintf(e.name, sizeof(e.name), "%s", f[0]);
	e.uid = (unsigned)uid;
	e.hash = f[2];
	e.groups = f[3];
	e.profiles = f[4];
	e.gecos = f[5];
	return users_add(u, &e) ? "out of memory" : NULL;
}

int users_load(const char *state, struct users *u, char *why, size_t whylen)
{
	char *text = NULL, *line, *next;
	unsigned lineno = 0;
	size_t len = 0;
	int err;

	memset(u, 0, sizeof(*u));
	err = statefile_read(state, USERS_FILE, &text, &len);
	if (err) {
		snprintf(why, whylen, "%s/%s: %s", state, USERS_FILE, strerror(-err));
		return err;
	}
	for (line = text; line && *line; line = next) {
		const char *bad;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line || *line == '#')
			continue;
		bad = parse_line(line, u);
		if (bad) {
			snprintf(why, whylen, "%s/%s:%u: %s", state, USERS_FILE, lineno, bad);
			users_free(u);
			free(text);
			return -EINVAL;
		}
	}
	free(text);
	return 0;
}

int users_save(const char *state, const struct users *u)
{
	char *text = NULL, path[4096];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int err;

	if (!f)
		return -ENOMEM;
	fputs("# netbootfs shared accounts, written by netbootctl user: do not edit.\n"
	      "# NAME:UID:HASH:GROUPS:PROFILES:GECOS\n",
	      f);
	for (size_t i = 0; i < u->n; i++) {
		const struct user *e = &u->v[i];

		fprintf(f, "%s:%u:%s:%s:%s:%s\n", e->name, e->uid, e->hash, e->groups, e->profiles,
			e->gecos);
	}
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	err = mkdir_p(state, 0755);
	if (!err &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", state, USERS_FILE) >= sizeof(path))
		err = -ENAMETOOLONG;
	if (!err)
		err = statefile_replace(path, text, len, 0600, (uid_t)-1, (gid_t)-1);
	free(text);
	return err;
}

/* Is @name an item of the comma list @list? */
static bool list_has(const char *list, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");

		if (l == nl && strncmp(p, name, nl) == 0)
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}

bool user_on_profile(const struct user *e, const char *profile)
{
	return !*e->profiles || (profile && *profile && list_has(e->profiles, profile));
}

static char *finish(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

/* One line per user of @profile, printed by @line. */
static char *gen_lines(const struct users *u, const char *profile, size_t *len,
		       void (*line)(FILE *f, const struct user *e))
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < u->n; i++)
		if (user_on_profile(&u->v[i], profile))
			line(f, &u->v[i]);
	return finish(f, &buf);
}

static void passwd_line(FILE *f, const struct user *e)
{
	fprintf(f, "%s:x:%u:%u:%s:" HOMES_MOUNT "/%s:/bin/bash\n", e->name, e->uid, e->uid,
		e->gecos, e->name);
}

/* No ageing: the last-change day 1 is never "must change now" (0 is). */
static void shadow_line(FILE *f, const struct user *e)
{
	fprintf(f, "%s:%s:1:0:99999:7:::\n", e->name, e->hash);
}

static void own_group_line(FILE *f, const struct user *e)
{
	fprintf(f, "%s:x:%u:\n", e->name, e->uid);
}

char *users_gen_passwd(const struct users *u, const char *profile, size_t *len)
{
	return gen_lines(u, profile, len, passwd_line);
}

char *users_gen_shadow(const struct users *u, const char *profile, size_t *len)
{
	return gen_lines(u, profile, len, shadow_line);
}

/* The gid of group @name in @text (an etc/group), or -1. */
static long image_gid(const char *text, size_t len, const char *name)
{
	size_t nl = strlen(name), i = 0;

	while (text && i < len) {
		const char *line = text + i, *end = memchr(line, '\n', len - i), *p;
		size_t ll = end ? (size_t)(end - line) : len - i;

		i += ll + 1;
		if (ll > nl + 1 && strncmp(line, name, nl) == 0 && line[nl] == ':') {
			/* name:x:GID:members */
			p = memchr(line + nl + 1, ':', ll - nl - 1);
			if (p && p + 1 < line + ll)
				return strtol(p + 1, NULL, 10);
		}
	}
	return -1;
}

/* Every user of @profile in group @g, comma separated, to @f. */
static void print_members(FILE *f, const struct users *u, const char *profile, const char *g,
			  bool first)
{
	for (size_t k = 0; k < u->n; k++) {
		if (user_on_profile(&u->v[k], profile) && list_has(u->v[k].groups, g)) {
			fprintf(f, "%s%s", first ? "" : ",", u->v[k].name);
			first = false;
		}
	}
}

/* Is group @g (at most 32 bytes) one some user of @profile is in? */
static bool group_wanted(const struct users *u, const char *profile, const char *g)
{
	for (size_t k = 0; k < u->n; k++)
		if (user_on_profile(&u->v[k], profile) && list_has(u->v[k].groups, g))
			return true;
	return false;
}

char *users_gen_etc_group(const struct users *u, const char *profile, const char *image_group,
			  size_t image_group_len, size_t *len)
{
	char *buf = NULL;
	size_t i = 0;
	bool changed = false;
	FILE *f;

	if (!image_group)
		return NULL;
	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	while (i < image_group_len) {
		const char *line = image_group + i, *end = memchr(line, '\n', image_group_len - i);
		size_t ll = end ? (size_t)(end - line) : image_group_len - i;
		char g[USER_NAME_MAX + 1];
		size_t nl = strcspn(line, ":\n");
		long gid = -1;

		i += ll + 1;
		if (nl < ll && nl <= USER_NAME_MAX) {
			snprintf(g, sizeof(g), "%.*s", (int)nl, line);
			gid = image_gid(line, ll, g);
		}
		fprintf(f, "%.*s", (int)ll, line);
		if (gid >= 0 && gid < EXTRAUSERS_MIN_GID && group_wanted(u, profile, g)) {
			print_members(f, u, profile, g, line[ll - 1] == ':');
			changed = true;
		}
		fputc('\n', f);
	}
	if (fclose(f) != 0 || !changed) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *users_gen_group(const struct users *u, const char *profile, const char *image_group,
		      size_t image_group_len, char **missing, size_t *len)
{
	char *buf = NULL, *mbuf = NULL, seen[4096] = ",";
	size_t mlen = 0, nmissing = 0;
	FILE *f = open_memstream(&buf, len), *m = open_memstream(&mbuf, &mlen);

	if (!f || !m) {
		if (f)
			fclose(f);
		if (m)
			fclose(m);
		free(buf);
		free(mbuf);
		return NULL;
	}
	/* Each user's own group. */
	for (size_t i = 0; i < u->n; i++)
		if (user_on_profile(&u->v[i], profile))
			own_group_line(f, &u->v[i]);
	/* Each supplementary group once, with every member on this node. */
	for (size_t i = 0; i < u->n; i++) {
		const char *p;

		if (!user_on_profile(&u->v[i], profile))
			continue;
		for (p = u->v[i].groups; *p;) {
			size_t l = strcspn(p, ",");
			char g[USER_NAME_MAX + 3];
			long gid;

			snprintf(g, sizeof(g), "%.*s", (int)l, p);
			p += l + (p[l] == ',');
			if (list_has(seen, g) || strlen(seen) + l + 2 > sizeof(seen))
				continue;
			strcat(strcat(seen, g), ",");
			gid = image_gid(image_group, image_group_len, g);
			if (gid < 0) {
				fprintf(m, "%s%s", nmissing++ ? "," : "", g);
				continue;
			}
			/* libnss-extrausers ignores gids below 500: those are in
			 * users_gen_etc_group() instead. */
			if (gid < EXTRAUSERS_MIN_GID)
				continue;
			fprintf(f, "%s:x:%ld:", g, gid);
			print_members(f, u, profile, g, true);
			fputc('\n', f);
		}
	}
	if (fclose(m) != 0) {
		free(mbuf);
		mbuf = NULL;
	}
	*missing = mbuf;
	return finish(f, &buf);
}
