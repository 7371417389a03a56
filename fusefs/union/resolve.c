/* SPDX-License-Identifier: MIT */
/*
 * Path resolution through a node's union *with* symlinks followed, as in a
 * chroot of the node's root: an absolute target starts again at the node's
 * root and ".." never climbs above it. The TFTP view needs this because
 * dnsmasq follows links on the server: a link must lead to a file of the
 * node's own view, never to a host file. A boot directory asks for more (a
 * jail): a link in it is followed only while it stays inside it, so a boot
 * file can never name the node's /etc/shadow; and every directory on the
 * way must be searchable by others, as it is for a TFTP client in the
 * node's root (dnsmasq as root would pass any directory of the mount).
 */
#include "fusefs/union/union_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINKS 40
#define MAX_DEPTH 256

static int read_link(struct pin *p, struct dirlayers *dl, const char *name, const struct uobj *o,
		     char *buf, size_t size)
{
	ssize_t n;

	if (o->top == L_IMAGE) {
		n = img_readlink(p->gen, o->img, buf, size);
		return n < 0 ? (int)n : 0;
	}
	if (o->top != L_UPPER && o->top != L_SHARED)
		return -EINVAL;
	n = readlinkat(o->top == L_UPPER ? dl->upper_fd : dl->shared_fd[o->top_shared], name, buf,
		       size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

enum jail_pos { JAIL_OUT, JAIL_ABOVE, JAIL_IN };

/* Where union path @path ("" the root) is with respect to directory @jail:
 * inside it (or @jail itself), above it on the way down to it (where an
 * absolute link target starts), or anywhere else. */
static enum jail_pos jail_pos(const char *path, const char *jail)
{
	size_t pl = strlen(path), jl = strlen(jail);

	if (pl >= jl && !strncmp(path, jail, jl) && (!jl || !path[jl] || path[jl] == '/'))
		return JAIL_IN;
	if (pl < jl && !strncmp(jail, path, pl) && (!pl || jail[pl] == '/'))
		return JAIL_ABOVE;
	return JAIL_OUT;
}

/* May the walk in directory @dir go on to @name (the last component if
 * @last)? Above the jail only on the way down into it. */
static bool jail_allows(const char *dir, const char *name, bool last, const char *jail)
{
	char path[PATH_MAX];
	enum jail_pos pos;

	if (!jail)
		return true;
	if (snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "", name) >=
	    (int)sizeof(path))
		return false;
	pos = jail_pos(path, jail);
	return pos == JAIL_IN || (pos == JAIL_ABOVE && !last);
}

int union_resolve(struct union_fs *fs, struct pin *p, const char *jail, const char *path,
		  struct dirlayers *parent, char *name, struct uobj *o, uint64_t *parent_id,
		  bool *via_link)
{
	char rest[PATH_MAX * 2], target[PATH_MAX], comp[NAME_MAX + 1];
	uint64_t ids[MAX_DEPTH] = {1 /* the root */};
	struct dirlayers cur, next;
	unsigned depth = 0, links = 0;
	char *s;
	int err;

	*via_link = false;
	if (snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest))
		return -ENAMETOOLONG;
	err = layers_open_root(fs, p, &cur);
	if (err)
		return err;
	s = rest;
	for (;;) {
		char *e;
		size_t len;
		bool last;

		while (*s == '/')
			s++;
		if (!*s) {
			err = -EISDIR; /* the path named a directory by its trailing '/' */
			break;
		}
		e = strchr(s, '/');
		len = e ? (size_t)(e - s) : strlen(s);
		if (len > NAME_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, s, len);
		comp[len] = '\0';
		s += len;
		while (*s == '/')
			s++;
		last = !*s;
		if (!strcmp(comp, ".") && !last)
			continue;
		if (!strcmp(comp, "..") || !strcmp(comp, ".")) {
			char up[PATH_MAX];
			char *slash;

			if (last) {
				err = -EISDIR;
				break;
			}
			snprintf(up, sizeof(up), "%s", cur.path);
			slash = strrchr(up, '/');
			if (slash)
				*slash = '\0';
			else
				up[0] = '\0';
			if (jail && (!cur.path[0] || jail_pos(up, jail) != JAIL_IN)) {
				err = -ENOENT; /* ".." out of the jail */
				break;
			}
			if (depth)
				depth--;
			layers_close(&cur);
			err = layers_open_path(fs, p, up, &cur);
			if (err)
				return err;
			continue;
		}
		if (!jail_allows(cur.path, comp, last, jail)) {
			err = -ENOENT;
			break;
		}
		err = layers_lookup(fs, p, &cur, comp, o);
		if (err)
			break;
		err = itable_set(&fs->itab, o->id, ids[depth], comp);
		if (err)
			break;
		if (S_ISLNK(o->st.st_mode)) {
			char joined[PATH_MAX * 2];

			if (++links > MAX_LINKS) {
				err = -ELOOP;
				break;
			}
			err = read_link(p, &cur, comp, o, target, sizeof(target));
			if (err)
				break;
			if (snprintf(joined, sizeof(joined), "%s/%s", target, s) >=
			    (int)sizeof(joined)) {
				err = -ENAMETOOLONG;
				break;
			}
			if (target[0] == '/') {
				layers_close(&cur);
				err = layers_open_root(fs, p, &cur);
				if (err)
					return err;
				depth = 0;
			}
			snprintf(rest, sizeof(rest), "%s", joined);
			s = rest;
			*via_link = true;
			continue;
		}
		if (last) {
			*parent = cur;
			snprintf(name, NAME_MAX + 1, "%s", comp);
			*parent_id = ids[depth];
			return 0;
		}
		if (!S_ISDIR(o->st.st_mode)) {
			err = -ENOTDIR;
			break;
		}
		if (jail && !(o->st.st_mode & S_IXOTH)) {
			err = -EACCES; /* the node's root keeps others out of it */
			break;
		}
		if (depth + 1 >= MAX_DEPTH) {
			err = -ELOOP;
			break;
		}
		err = layers_step(fs, p, &cur, comp, &next);
		if (err)
			break;
		layers_close(&cur);
		cur = next;
		ids[++depth] = o->id;
		*via_link = false;
	}
	layers_close(&cur);
	return err;
}
