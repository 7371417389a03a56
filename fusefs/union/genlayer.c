/* SPDX-License-Identifier: MIT */
#include "fusefs/union/genlayer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMPLATE_MAX (1 << 20)

char *genlayer_render(const char *text, size_t len, const struct genvars *vars, size_t *outlen)
{
	const struct {
		const char *key;
		const char *val;
	} keys[] = {{"${node}", vars->node},
		    {"${serial}", vars->serial},
		    {"${mac}", vars->mac},
		    {"${ip}", vars->ip},
		    {"${image}", vars->image}};
	char *out = NULL;
	size_t i = 0, k, olen = 0;
	FILE *f = open_memstream(&out, &olen);

	if (!f)
		return NULL;
	while (i < len) {
		bool done = false;

		for (k = 0; text[i] == '$' && k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k].key);

			if (len - i >= kl && memcmp(text + i, keys[k].key, kl) == 0) {
				fputs(keys[k].val ? keys[k].val : "", f);
				i += kl;
				done = true;
				break;
			}
		}
		if (!done)
			fputc(text[i++], f);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	*outlen = olen;
	return out;
}

/* Is @mnt where an SD card's root or boot partition would be mounted? */
static bool fstab_sd_mount(const char *mnt, size_t len, const char *boot_dir)
{
	static const char *const sd[] = {"/", "/boot", "/boot/firmware"};
	size_t i, bl = strlen(boot_dir);

	for (i = 0; i < sizeof(sd) / sizeof(sd[0]); i++)
		if (len == strlen(sd[i]) && memcmp(mnt, sd[i], len) == 0)
			return true;
	return len == bl + 1 && mnt[0] == '/' && memcmp(mnt + 1, boot_dir, bl) == 0;
}

char *genlayer_fstab(const char *fstab, size_t len, const char *boot_dir, size_t *outlen)
{
	char *out = NULL;
	size_t olen = 0, i = 0;
	FILE *f = open_memstream(&out, &olen);

	if (!f)
		return NULL;
	while (i < len) {
		const char *line = fstab + i, *end = memchr(line, '\n', len - i), *p, *q;
		size_t ll = end ? (size_t)(end - line) : len - i;
		bool drop = false;

		i += ll + (end ? 1 : 0);
		/* Second field: the mount point. */
		p = line;
		while (p < line + ll && (*p == ' ' || *p == '\t'))
			p++;
		if (p < line + ll && *p != '#') {
			while (p < line + ll && *p != ' ' && *p != '\t')
				p++;
			while (p < line + ll && (*p == ' ' || *p == '\t'))
				p++;
			q = p;
			while (q < line + ll && *q != ' ' && *q != '\t')
				q++;
			drop = q > p && fstab_sd_mount(p, (size_t)(q - p), boot_dir);
		}
		if (!drop)
			fprintf(f, "%.*s\n", (int)ll, line);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	*outlen = olen;
	return out;
}

static int add(struct genlayer *g, const char *path, bool is_dir, mode_t mode, char *data,
	       size_t len)
{
	struct gen_entry *v = realloc(g->v, (g->n + 1) * sizeof(*v));

	if (!v) {
		free(data);
		return -ENOMEM;
	}
	g->v = v;
	v[g->n] = (struct gen_entry){
		.path = strdup(path), .is_dir = is_dir, .mode = mode, .data = data, .len = len};
	if (!v[g->n].path) {
		free(data);
		return -ENOMEM;
	}
	g->n++;
	return 0;
}

static int read_small_file(int dirfd, const char *name, char **data, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || st.st_size > TEMPLATE_MAX) {
		err = st.st_size > TEMPLATE_MAX ? -EFBIG : -errno;
		goto out;
	}
	*data = malloc((size_t)st.st_size + 1);
	if (!*data) {
		err = -ENOMEM;
		goto out;
	}
	n = read(fd, *data, (size_t)st.st_size);
	if (n < 0) {
		err = -errno;
		free(*data);
		goto out;
	}
	*len = (size_t)n;
out:
	close(fd);
	return err;
}

static int add_templates(struct genlayer *g, const char *dir, const char *rel,
			 const struct genvars *vars, int depth)
{
	DIR *d;
	struct dirent *de;
	int err = 0;

	if (depth > 32)
		return -ELOOP;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (de = readdir(d))) {
		char path[PATH_MAX], relpath[PATH_MAX], *raw = NULL, *out;
		struct stat st;
		size_t len = 0, olen;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(relpath, sizeof(relpath), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			err = add_templates(g, path, relpath, vars, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		err = read_small_file(dirfd(d), de->d_name, &raw, &len);
		if (err)
			break;
		out = genlayer_render(raw, len, vars, &olen);
		free(raw);
		if (!out)
			err = -ENOMEM;
		else
			err = add(g, relpath, false, st.st_mode & 07777, out, olen);
	}
	closedir(d);
	return err;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct gen_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Every parent directory of a generated file is a generated dir too. */
static int add_parents(struct genlayer *g)
{
	size_t i, n = g->n;
	int err = 0;

	/* Entries added here are dirs, whose parents are added with them:
	 * looking at the first n (the files) is enough. */
	for (i = 0; i < n && !err; i++) {
		char path[PATH_MAX], *slash;

		snprintf(path, sizeof(path), "%s", g->v[i].path);
		while (!err && (slash = strrchr(path, '/'))) {
			size_t k;

			*slash = '\0';
			for (k = n; k < g->n && strcmp(g->v[k].path, path) != 0; k++)
				;
			if (k == g->n)
				err = add(g, path, true, 0755, NULL, 0);
		}
	}
	qsort(g->v, g->n, sizeof(*g->v), entry_cmp);
	return err;
}

int genlayer_build(struct genlayer *g, const struct genvars *vars, const char *fstab,
		   size_t fstab_len, const char *boot_dir, const char *cmdline_path,
		   const char *cmdline, const char *templates_dir)
{
	char *data;
	size_t len;
	int err;

	memset(g, 0, sizeof(*g));
	g->mtime = time(NULL);
	/* Templates first; the built-ins then replace any of the same path. */
	err = add_templates(g, templates_dir, "", vars, 0);
	if (err)
		goto fail;
	for (size_t i = 0; i < g->n; i++) {
		if (!strcmp(g->v[i].path, "etc/hostname") || !strcmp(g->v[i].path, "etc/fstab") ||
		    !strcmp(g->v[i].path, cmdline_path)) {
			free(g->v[i].path);
			free(g->v[i].data);
			g->v[i--] = g->v[--g->n];
		}
	}
	if (asprintf(&data, "%s\n", vars->node) < 0) {
		err = -ENOMEM;
		goto fail;
	}
	err = add(g, "etc/hostname", false, 0644, data, strlen(data));
	if (!err && fstab) {
		data = genlayer_fstab(fstab, fstab_len, boot_dir, &len);
		err = data ? add(g, "etc/fstab", false, 0644, data, len) : -ENOMEM;
	}
	if (!err && cmdline_path && *cmdline_path) {
		data = strdup(cmdline);
		err = data ? add(g, cmdline_path, false, 0644, data, strlen(data)) : -ENOMEM;
	}
	if (err)
		goto fail;
	qsort(g->v, g->n, sizeof(*g->v), entry_cmp);
	err = add_parents(g);
	if (err)
		goto fail;
	return 0;
fail:
	genlayer_free(g);
	return err;
}

int genlayer_put(struct genlayer *g, const char *path, mode_t mode, char *data, size_t len,
		 bool append)
{
	struct gen_entry *e = (struct gen_entry *)genlayer_find(g, path);
	char parent[PATH_MAX], *slash;
	int err;

	if (e && e->is_dir) {
		free(data);
		return -EISDIR;
	}
	if (e && append) {
		char *both = realloc(e->data, e->len + len + 1);

		if (!both) {
			free(data);
			return -ENOMEM;
		}
		memcpy(both + e->len, data, len);
		both[e->len + len] = '\0';
		e->data = both;
		e->len += len;
		free(data);
		return 0;
	}
	if (e) {
		free(e->data);
		e->data = data;
		e->len = len;
		e->mode = mode;
		return 0;
	}
	err = add(g, path, false, mode, data, len);
	snprintf(parent, sizeof(parent), "%s", path);
	while (!err && (slash = strrchr(parent, '/'))) {
		*slash = '\0';
		qsort(g->v, g->n, sizeof(*g->v), entry_cmp);
		if (!genlayer_find(g, parent))
			err = add(g, parent, true, 0755, NULL, 0);
	}
	qsort(g->v, g->n, sizeof(*g->v), entry_cmp);
	return err;
}

void genlayer_free(struct genlayer *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->v[i].path);
		free(g->v[i].data);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
}

/* strcmp(@s, @dir "/" @name), @dir NULL for none, without joining them. */
static int cmp_joined(const char *s, const char *dir, const char *name)
{
	const char *parts[3] = {dir, "/", name};
	unsigned i;

	for (i = dir ? 0 : 2; i < 3; i++) {
		const char *q;

		for (q = parts[i]; *q; q++, s++)
			if (*s != *q)
				return (unsigned char)*s - (unsigned char)*q;
	}
	return (unsigned char)*s;
}

const struct gen_entry *genlayer_child(const struct genlayer *g, const struct gen_entry *dir,
				       const char *name)
{
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_joined(g->v[mid].path, dir ? dir->path : NULL, name);

		if (c == 0)
			return &g->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct gen_entry *genlayer_find(const struct genlayer *g, const char *path)
{
	return genlayer_child(g, NULL, path);
}

int genlayer_children(const struct genlayer *g, const char *dir, genlayer_fn fn, void *ctx)
{
	size_t dl = strlen(dir), i;
	int err;

	for (i = 0; i < g->n; i++) {
		const char *p = g->v[i].path, *name;

		if (dl) {
			if (strncmp(p, dir, dl) != 0 || p[dl] != '/')
				continue;
			name = p + dl + 1;
		} else {
			name = p;
		}
		if (strchr(name, '/'))
			continue;
		err = fn(ctx, &g->v[i], name);
		if (err)
			return err;
	}
	return 0;
}
