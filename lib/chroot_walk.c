/* SPDX-License-Identifier: MIT */
#include "lib/chroot_walk.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The current directory's path from the root: "" or "a/b". */
struct curpath {
	char *s;
	size_t len, cap;
};

static int cur_push(struct curpath *c, const char *name)
{
	size_t nl = strlen(name), need = c->len + 1 + nl + 1;

	if (need > c->cap) {
		size_t cap = c->cap * 2 > need ? c->cap * 2 : need + 64;
		char *s = realloc(c->s, cap);

		if (!s)
			return -ENOMEM;
		c->s = s;
		c->cap = cap;
	}
	if (c->len)
		c->s[c->len++] = '/';
	memcpy(c->s + c->len, name, nl + 1);
	c->len += nl;
	return 0;
}

static void cur_pop(struct curpath *c)
{
	char *slash = strrchr(c->s, '/');

	c->len = slash ? (size_t)(slash - c->s) : 0;
	c->s[c->len] = '\0';
}

enum jail_pos { JAIL_OUT, JAIL_ABOVE, JAIL_IN };

/* Where @path (its first @pl bytes) is with respect to @jail: inside it
 * (or the jail itself), above it on the way down to it (where an absolute
 * link target starts), or anywhere else. */
static enum jail_pos jail_pos(const char *path, size_t pl, const char *jail)
{
	size_t jl = strlen(jail);

	if (pl >= jl && !strncmp(path, jail, jl) && (!jl || pl == jl || path[jl] == '/'))
		return JAIL_IN;
	if (pl < jl && !strncmp(jail, path, pl) && (!pl || jail[pl] == '/'))
		return JAIL_ABOVE;
	return JAIL_OUT;
}

/* May the walk in @cur go on to @name (the last component if @last)?
 * Above the jail only on the way down into it. */
static int jail_allows(struct curpath *c, const char *name, bool last, const char *jail)
{
	size_t len = c->len;
	enum jail_pos pos;
	int err = cur_push(c, name);

	if (err)
		return err;
	pos = jail_pos(c->s, c->len, jail);
	c->len = len;
	c->s[len] = '\0';
	return pos == JAIL_IN || (pos == JAIL_ABOVE && !last) ? 0 : -ENOENT;
}

/* ".." from @c: refused at the root of the jail or above it. */
static int jail_allows_up(const struct curpath *c, const char *jail)
{
	const char *slash = strrchr(c->s, '/');

	if (!c->len || jail_pos(c->s, slash ? (size_t)(slash - c->s) : 0, jail) != JAIL_IN)
		return -ENOENT;
	return 0;
}

/* Replace *@work with "@target/@rest". */
static int splice_link(char **work, const char *target, const char *rest)
{
	size_t tl = strlen(target), rl = strlen(rest);
	char *next = malloc(tl + 1 + rl + 1);

	if (!next)
		return -ENOMEM;
	memcpy(next, target, tl);
	next[tl] = '/';
	memcpy(next + tl + 1, rest, rl + 1);
	free(*work);
	*work = next;
	return 0;
}

int chroot_walk(const struct chroot_walk_ops *ops, void *ctx, const char *path,
		struct chroot_walk *w)
{
	const bool need_name = w->flags & CHROOT_NEED_NAME;
	struct curpath cur = {0};
	char comp[NAME_MAX + 1];
	char *work = strdup(path), *target = NULL, *s;
	unsigned links = 0;
	int err = 0;

	w->named = false;
	w->via_link = false;
	if (!work || cur_push(&cur, "") != 0) {
		err = -ENOMEM;
		goto out;
	}
	s = work;
	for (;;) {
		bool last, trailing;
		size_t len;
		mode_t mode;
		char *e;

		while (*s == '/')
			s++;
		if (!*s) {
			err = need_name ? -EISDIR : 0; /* ended at a directory */
			break;
		}
		e = strchrnul(s, '/');
		len = (size_t)(e - s);
		if (len > NAME_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, s, len);
		comp[len] = '\0';
		s = e;
		trailing = *s == '/';
		while (*s == '/')
			s++;
		last = !*s;
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
			if (last && need_name) {
				err = -EISDIR;
				break;
			}
			if (comp[1] == '\0')
				continue;
			if (w->jail && (err = jail_allows_up(&cur, w->jail)) != 0)
				break;
			if (!cur.len)
				continue; /* the root is its own parent */
			cur_pop(&cur);
			err = ops->up(ctx, cur.s);
			if (err)
				break;
			continue;
		}
		if (w->jail && (err = jail_allows(&cur, comp, last, w->jail)) != 0)
			break;
		err = ops->lookup(ctx, comp, &mode);
		if (err)
			break;
		if (S_ISLNK(mode) && (!last || trailing || (w->flags & CHROOT_FOLLOW_LAST))) {
			if (++links > CHROOT_MAX_LINKS) {
				err = -ELOOP;
				break;
			}
			if (!target && !(target = malloc(PATH_MAX))) {
				err = -ENOMEM;
				break;
			}
			err = ops->readlink(ctx, target, PATH_MAX);
			if (!err)
				err = splice_link(&work, target, s);
			if (!err && target[0] == '/') {
				cur.len = 0;
				cur.s[0] = '\0';
				err = ops->to_root(ctx);
			}
			if (err)
				break;
			s = work;
			/* The last name was a link, wherever its target leads. */
			w->via_link |= last;
			continue;
		}
		if (last) {
			w->named = true;
			break;
		}
		if (!S_ISDIR(mode)) {
			err = -ENOTDIR;
			break;
		}
		if ((w->flags & CHROOT_SEARCH_OTHERS) && !(mode & S_IXOTH)) {
			err = -EACCES;
			break;
		}
		err = cur_push(&cur, comp);
		if (!err)
			err = ops->enter(ctx);
		if (err)
			break;
	}
out:
	free(target);
	free(cur.s);
	free(work);
	return err;
}
