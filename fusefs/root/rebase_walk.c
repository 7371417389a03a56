/* SPDX-License-Identifier: MIT */
/*
 * The rules of a rebase, applied to every object of the old overlay while
 * the new one is built beside it (docs/design.md, "Rebasing an overlay").
 * The old overlay is only read: what the new one keeps is hard-linked into
 * it, what the archive gets is hard-linked there, and merges are written
 * as new files, so the old overlay stays whole until the swap.
 */
#include "fusefs/root/rebase_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fusefs/serve/log.h"
#include "fusefs/root/rebase_merge.h"
#include "fusefs/root/root.h"

#define XATTR_OPAQUE "trusted.overlay.opaque"
#define TEXT_MAX     (4u << 20) /* larger /etc files are not merged */
#define CONFLICT_SFX ".netbootfs-node"

enum rb_action {
	RB_KEEP,    /* the node's object stays as it is */
	RB_ARCHIVE, /* moved to the archive: the new image's shows */
	RB_DROP,    /* a whiteout that goes: the new image's object shows */
	RB_MERGE,   /* /etc text file: diff3 */
	RB_USERDB,  /* /etc/passwd and friends: done after the walk */
};

static const char *const userdb[4] = {"etc/passwd", "etc/shadow", "etc/group", "etc/gshadow"};

static void note(struct rb_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct rb_ctx *c, const char *fmt, ...)
{
	char line[PATH_MAX + 200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(c->report, "%s\n", line);
	log_info("node %s: rebase: %s", c->node, line);
}

static bool under(const char *rel, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(rel, dir, n) && (rel[n] == '/' || rel[n] == '\0');
}

/* @rel or one of its parents matches a persist glob. */
static bool persisted(const struct rb_ctx *c, const char *rel)
{
	char abs[PATH_MAX + 1];
	size_t i, len;

	snprintf(abs, sizeof(abs), "/%s", rel);
	for (len = strlen(abs); len > 1; len--) {
		if (abs[len] != '\0' && abs[len] != '/')
			continue;
		abs[len] = '\0';
		for (i = 0; i < c->n_persist; i++)
			if (fnmatch(c->persist[i], abs, FNM_PATHNAME | FNM_PERIOD) == 0)
				return true;
	}
	return false;
}

static bool img_get(struct image_gen *g, const char *rel, img_ino *ino, struct stat *st)
{
	return img_resolve(g, rel, false, ino, st) == 0;
}

static int img_slurp(struct image_gen *g, img_ino ino, const struct stat *st, struct rbuf *b)
{
	ssize_t r;

	if ((uint64_t)st->st_size > TEXT_MAX)
		return -EFBIG;
	b->p = malloc((size_t)st->st_size + 1);
	if (!b->p)
		return -ENOMEM;
	r = img_read(g, ino, b->p, (size_t)st->st_size, 0);
	if (r < 0) {
		rbuf_free(b);
		return (int)r;
	}
	b->n = (size_t)r;
	return 0;
}

static int node_slurp(int dirfd, const char *name, struct rbuf *b)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t r;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size > TEXT_MAX) {
		close(fd);
		return -EFBIG;
	}
	b->p = malloc((size_t)st.st_size + 1);
	b->n = 0;
	if (!b->p)
		err = -ENOMEM;
	while (!err && b->n < (size_t)st.st_size) {
		r = pread(fd, b->p + b->n, (size_t)st.st_size - b->n, (off_t)b->n);
		if (r <= 0)
			err = r < 0 ? -errno : -EIO;
		else
			b->n += (size_t)r;
	}
	close(fd);
	if (err)
		rbuf_free(b);
	return err;
}

/* The object at @rel is the same in both generations (type, owner, mode,
 * and bytes or link target). */
static bool img_same(struct rb_ctx *c, const char *rel)
{
	struct stat a, b;
	img_ino ia, ib;
	char ba[65536], bb[65536];
	off_t off;

	if (!img_get(c->old, rel, &ia, &a) || !img_get(c->new, rel, &ib, &b))
		return false;
	if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid ||
	    a.st_size != b.st_size || a.st_rdev != b.st_rdev)
		return false;
	if (S_ISLNK(a.st_mode))
		return img_readlink(c->old, ia, ba, sizeof(ba)) >= 0 &&
		       img_readlink(c->new, ib, bb, sizeof(bb)) >= 0 && !strcmp(ba, bb);
	if (!S_ISREG(a.st_mode))
		return true;
	for (off = 0; off < a.st_size; off += (off_t)sizeof(ba)) {
		ssize_t ra = img_read(c->old, ia, ba, sizeof(ba), off);
		ssize_t rb = img_read(c->new, ib, bb, sizeof(bb), off);

		if (ra <= 0 || ra != rb || memcmp(ba, bb, (size_t)ra) != 0)
			return false;
	}
	return true;
}

/* Copy the xattrs of @name in @dirfd (overlay markers and origin ids
 * included) onto @fd. */
static int copy_xattrs(int dirfd, const char *name, int fd)
{
	char path[PATH_MAX], names[4096], val[4096];
	ssize_t len, vlen;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	len = llistxattr(path, names, sizeof(names));
	if (len < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *n = names; n < names + len; n += strlen(n) + 1) {
		vlen = lgetxattr(path, n, val, sizeof(val));
		if (vlen < 0 || fsetxattr(fd, n, val, (size_t)vlen, 0) != 0)
			return -errno;
	}
	return 0;
}

/* A directory @name in @to like @name in @from (owner, mode, xattrs, times). */
static int dir_like(int from, const char *name, const struct stat *st, int to, int *out)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	int fd, err = 0;

	if (mkdirat(to, name, 0700) != 0 && errno != EEXIST)
		return -errno;
	fd = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchown(fd, st->st_uid, st->st_gid) != 0 || fchmod(fd, st->st_mode & 07777) != 0)
		err = -errno;
	if (!err)
		err = copy_xattrs(from, name, fd);
	if (!err && futimens(fd, ts) != 0)
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

/* Hard-link every object under @name of @from into @to (directories made
 * alike): what a persisted tree or an archived opaque directory gets. */
static int clone_tree(int from, const char *name, int to)
{
	struct dirent *de;
	struct stat st;
	int dfd, err;
	DIR *d;

	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return linkat(from, name, to, name, 0) == 0 ? 0 : -errno;
	err = dir_like(from, name, &st, to, &dfd);
	if (err)
		return err;
	d = host_opendir(from, name);
	if (!d) {
		err = -errno;
		close(dfd);
		return err;
	}
	while (!err && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			err = clone_tree(dirfd(d), de->d_name, dfd);
	closedir(d);
	close(dfd);
	return err;
}

/* The archive's directory for the parent of @rel, made as needed. */
static int archive_dir(struct rb_ctx *c, const char *rel, int *out)
{
	char buf[PATH_MAX], *p, *slash;
	int fd = dup(c->adir), next;

	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%s", rel);
	for (p = buf; (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		if (mkdirat(fd, p, 0700) != 0 && errno != EEXIST) {
			close(fd);
			return -errno;
		}
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return -errno;
		fd = next;
	}
	*out = fd;
	return 0;
}

static int archive(struct rb_ctx *c, int odir, const char *name, const char *rel)
{
	int fd, err = archive_dir(c, rel, &fd);

	if (err)
		return err;
	err = clone_tree(odir, name, fd);
	close(fd);
	return err;
}

/* Write @b as @name in @dir with the owner, mode and xattrs of @meta_name
 * in @meta_dir (or of @st alone when @meta_dir is -1). */
static int write_new(int dir, const char *name, const struct rbuf *b, const struct stat *st,
		     int meta_dir, const char *meta_name)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t done = 0;
	int err = 0;

	if (fd < 0)
		return -errno;
	while (!err && done < b->n) {
		ssize_t w = write(fd, b->p + done, b->n - done);

		if (w <= 0)
			err = w < 0 ? -errno : -EIO;
		else
			done += (size_t)w;
	}
	if (!err &&
	    (fchown(fd, st->st_uid, st->st_gid) != 0 || fchmod(fd, st->st_mode & 07777) != 0))
		err = -errno;
	if (!err && meta_dir >= 0)
		err = copy_xattrs(meta_dir, meta_name, fd);
	close(fd);
	return err;
}

static enum rb_action classify(struct rb_ctx *c, const char *rel, const struct stat *st)
{
	bool wh = is_whiteout(st), in_old, in_new;
	struct stat os, ns;
	img_ino oi, ni;
	size_t i;

	if (persisted(c, rel))
		return RB_KEEP;
	for (i = 0; i < 4; i++)
		if (!strcmp(rel, userdb[i]) && S_ISREG(st->st_mode))
			return RB_USERDB;
	in_old = img_get(c->old, rel, &oi, &os);
	in_new = img_get(c->new, rel, &ni, &ns);
	/* Package state and the image's files under /usr follow the image. */
	if (under(rel, "var/lib/dpkg") || under(rel, "var/lib/apt") ||
	    (under(rel, "usr") && (in_old || in_new)))
		return wh ? RB_DROP : RB_ARCHIVE;
	if (!in_old && !in_new)
		return RB_KEEP; /* the node's own */
	if (wh)
		return in_old && in_new && img_same(c, rel) ? RB_KEEP : RB_DROP;
	if (!in_old || !in_new)
		return RB_ARCHIVE; /* both made it, or the image dropped it */
	if (img_same(c, rel))
		return RB_KEEP;
	if (under(rel, "etc") && S_ISREG(st->st_mode) && S_ISREG(os.st_mode) && S_ISREG(ns.st_mode))
		return RB_MERGE;
	return RB_ARCHIVE;
}

static int read_three(struct rb_ctx *c, const char *rel, int odir, const char *name,
		      struct rbuf b[3], struct stat *new_st)
{
	struct stat st;
	img_ino ino;
	int err;

	memset(b, 0, 3 * sizeof(*b));
	err = img_get(c->old, rel, &ino, &st) ? img_slurp(c->old, ino, &st, &b[0]) : 0;
	if (!err && odir >= 0)
		err = node_slurp(odir, name, &b[1]);
	else if (!err && b[0].n && !(b[1].p = malloc(b[0].n)))
		err = -ENOMEM;
	else if (!err && b[0].n)
		memcpy(b[1].p, b[0].p, b[1].n = b[0].n);
	if (!err)
		err = img_get(c->new, rel, &ino, new_st) ? img_slurp(c->new, ino, new_st, &b[2])
							 : -ENOENT;
	return err;
}

/* Merge /etc text file @name (dir @odir, new dir @rdir) three ways. */
static int merge_one(struct rb_ctx *c, int odir, int rdir, const char *name, const char *rel,
		     const struct stat *st)
{
	struct rbuf b[3], out = {0};
	char side[NAME_MAX + sizeof(CONFLICT_SFX)];
	struct stat ns;
	int err;

	err = read_three(c, rel, odir, name, b, &ns);
	if (err == -EFBIG ||
	    (!err && !(rbuf_is_text(&b[0]) && rbuf_is_text(&b[1]) && rbuf_is_text(&b[2])))) {
		err = archive(c, odir, name, rel);
		if (!err) {
			c->archived++;
			note(c, "archived /%s (not a text file both changed)", rel);
		}
		goto out;
	}
	if (!err)
		err = merge_text3(c->tmpdir, &b[0], &b[1], &b[2], &out);
	if (err < 0)
		goto out;
	/* The node's version goes to the archive either way. */
	err = archive(c, odir, name, rel);
	if (err)
		goto out;
	if (out.p) {
		err = write_new(rdir, name, &out, st, odir, name);
		c->merged++;
		note(c, "merged /%s", rel);
		goto out;
	}
	snprintf(side, sizeof(side), "%s" CONFLICT_SFX, name);
	if (faccessat(rdir, side, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		unlinkat(rdir, side, 0); /* an older one: archived with the tree */
	err = linkat(odir, name, rdir, side, 0) == 0 ? 0 : -errno;
	c->conflicts++;
	note(c, "conflict /%s: the new image's version is in place, the node's is /%s" CONFLICT_SFX,
	     rel, rel);
out:
	for (int i = 0; i < 3; i++)
		rbuf_free(&b[i]);
	rbuf_free(&out);
	return err;
}

static int walk(struct rb_ctx *c, int odir, int rdir, const char *rel);

static int walk_entry(struct rb_ctx *c, int odir, int rdir, const char *name, const char *rel)
{
	struct stat st;
	int sub, rsub, err;

	if (fstatat(odir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		bool opaque = dir_is_opaque(odir, name);

		if (persisted(c, rel))
			return clone_tree(odir, name, rdir);
		if (opaque) { /* the node's replacement of a directory: a unit */
			if (under(rel, "var/lib/dpkg") || under(rel, "var/lib/apt") ||
			    under(rel, "usr")) {
				c->archived++;
				note(c, "archived /%s/ (a directory the node replaced)", rel);
				return archive(c, odir, name, rel);
			}
			return clone_tree(odir, name, rdir);
		}
		err = dir_like(odir, name, &st, rdir, &rsub);
		if (err)
			return err;
		sub = openat(odir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = sub < 0 ? -errno : walk(c, sub, rsub, rel);
		if (sub >= 0)
			close(sub);
		close(rsub);
		return err;
	}
	switch (classify(c, rel, &st)) {
	case RB_KEEP:
	case RB_USERDB: /* linked for now, replaced after the walk */
		return linkat(odir, name, rdir, name, 0) == 0 ? 0 : -errno;
	case RB_DROP:
		c->restored++;
		note(c, "restored /%s (the node had deleted it; the new image's shows)", rel);
		return 0;
	case RB_ARCHIVE:
		c->archived++;
		note(c, "archived /%s", rel);
		return archive(c, odir, name, rel);
	case RB_MERGE:
		return merge_one(c, odir, rdir, name, rel, &st);
	}
	return -EINVAL;
}

static int walk(struct rb_ctx *c, int odir, int rdir, const char *rel)
{
	DIR *d = host_opendir(odir, ".");
	char sub[PATH_MAX];
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
				     de->d_name) >= sizeof(sub))
			err = -ENAMETOOLONG;
		else
			err = walk_entry(c, odir, rdir, de->d_name, sub);
	}
	closedir(d);
	return err;
}

/* passwd+shadow or group+gshadow (@i, @i + 1 in userdb[]), if the node
 * changed either: merged entry by entry, the shadow file made to agree. */
static int userdb_pair(struct rb_ctx *c, int oetc, int retc, unsigned i)
{
	struct rbuf b[2][3], m[2] = {{0}};
	struct stat st[2], ns[2];
	bool in_o[2];
	unsigned k;
	int err = 0;

	memset(b, 0, sizeof(b));
	for (k = 0; k < 2; k++)
		in_o[k] = fstatat(oetc, userdb[i + k] + 4, &st[k], AT_SYMLINK_NOFOLLOW) == 0 &&
			  S_ISREG(st[k].st_mode);
	if ((!in_o[0] && !in_o[1]) || persisted(c, userdb[i]) || persisted(c, userdb[i + 1]))
		return 0;
	for (k = 0; k < 2 && !err; k++)
		err = read_three(c, userdb[i + k], in_o[k] ? oetc : -1, userdb[i + k] + 4, b[k],
				 &ns[k]);
	if (err == -ENOENT) { /* the new image lacks one: the node's copies stay */
		err = 0;
		goto out;
	}
	for (k = 0; k < 2 && !err; k++)
		err = merge_userdb(&b[k][0], &b[k][1], &b[k][2], &m[k]);
	if (!err)
		err = userdb_align(&m[1], &m[0], &b[1][1], &b[1][2]);
	for (k = 0; k < 2 && !err; k++) {
		const char *name = userdb[i + k] + 4;

		if (!in_o[k] && rbuf_eq(&m[k], &b[k][2]))
			continue; /* the new image's file is the merge */
		if (in_o[k]) {
			err = archive(c, oetc, name, userdb[i + k]);
			if (!err && unlinkat(retc, name, 0) != 0)
				err = -errno;
		}
		if (!err && !rbuf_eq(&m[k], &b[k][2]))
			err = write_new(retc, name, &m[k], in_o[k] ? &st[k] : &ns[k],
					in_o[k] ? oetc : -1, name);
		c->merged++;
		note(c, "merged /%s entry by entry", userdb[i + k]);
	}
out:
	for (k = 0; k < 2; k++) {
		for (unsigned j = 0; j < 3; j++)
			rbuf_free(&b[k][j]);
		rbuf_free(&m[k]);
	}
	return err;
}

static int userdb_pass(struct rb_ctx *c)
{
	int oetc = openat(c->odir, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int retc = openat(c->rdir, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int err = 0;

	if (oetc >= 0 && retc >= 0) {
		err = userdb_pair(c, oetc, retc, 0);
		if (!err)
			err = userdb_pair(c, oetc, retc, 2);
	}
	if (oetc >= 0)
		close(oetc);
	if (retc >= 0)
		close(retc);
	return err;
}

int rebase_build(struct rb_ctx *c)
{
	struct stat st;
	int err;

	if (fstat(c->odir, &st) != 0 || fchown(c->rdir, st.st_uid, st.st_gid) != 0 ||
	    fchmod(c->rdir, st.st_mode & 07777) != 0)
		return -errno;
	err = copy_xattrs(c->odir, ".", c->rdir);
	if (!err)
		err = walk(c, c->odir, c->rdir, "");
	if (!err)
		err = userdb_pass(c);
	return err;
}
