/* SPDX-License-Identifier: MIT */
/* netbootctl node diff NAME [--json]: what a node changed against its image. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctl/args.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/output.h"
#include "images/images.h"

static const char diff_help[] =
	"Usage: netbootctl [-c CONFIG] node diff NAME [--json]\n"
	"\n"
	"What node NAME changed against the image generation its overlay is based\n"
	"on (the one it last booted, or was last rebased onto; the newest\n"
	"generation of its image if that file is gone), read from its overlay\n"
	"directory <overlays>/NAME, one line per path, sorted:\n"
	"\n"
	"  A SIZE PATH   added: the image has no such path\n"
	"  M SIZE PATH   modified: the node's copy hides the image's\n"
	"  D    - PATH   deleted (a whiteout)\n"
	"  O    - PATH   opaque: a directory the node replaced, whose content is\n"
	"                then listed as added\n"
	"\n"
	"SIZE is the node's file size in bytes (\"-\" for directories). Directories\n"
	"the image has are listed only through what changed in them.\n"
	"--json prints an array of {path, change, type, size}.\n";

struct change {
	char *path;
	char kind; /* A M D O */
	const char *type;
	long long size; /* -1: none */
};

struct diff {
	struct image_gen *g;
	struct change *v;
	size_t n, cap;
};

static int add_change(struct diff *d, const char *path, char kind, const char *type, long long size)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct change *bigger = realloc(d->v, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		d->v = bigger;
		d->cap = cap;
	}
	d->v[d->n] = (struct change){strdup(path), kind, type, size};
	if (!d->v[d->n].path)
		return -ENOMEM;
	d->n++;
	return 0;
}

static const char *type_of(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return "file";
	if (S_ISDIR(st->st_mode))
		return "dir";
	if (S_ISLNK(st->st_mode))
		return "symlink";
	return "other";
}

static bool is_opaque(int dirfd, const char *name)
{
	char path[PATH_MAX], v[8];

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	return lgetxattr(path, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* @hidden: below an opaque directory, where the image shows nothing. */
static int walk(struct diff *d, int dirfd, const char *rel, bool hidden)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st, ist;
	img_ino ino;
	int err = 0;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (!err && (de = readdir(dir))) {
		bool in_img, opaque = false;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", rel, de->d_name);
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			err = -errno;
			break;
		}
		in_img = !hidden && d->g && img_resolve(d->g, path + 1, false, &ino, &ist) == 0;
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			err = add_change(d, path, 'D', "whiteout", -1);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub;

			opaque = is_opaque(fd, de->d_name);
			if (opaque && in_img)
				err = add_change(d, path, 'O', "dir", -1);
			else if (!in_img || !S_ISDIR(ist.st_mode))
				err = add_change(d, path, in_img ? 'M' : 'A', "dir", -1);
			sub = err ? -1
				  : openat(fd, de->d_name,
					   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (!err && sub < 0)
				err = -errno;
			if (!err) {
				err = walk(d, sub, path,
					   hidden || opaque || !in_img || !S_ISDIR(ist.st_mode));
				close(sub);
			}
			continue;
		}
		err = add_change(d, path, in_img ? 'M' : 'A', type_of(&st), (long long)st.st_size);
	}
	closedir(dir);
	return err;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

/* The generation the overlay is based on, else the image's newest file. */
static struct image_gen *base_gen(const struct server_config *srv, const struct node *n, int upper)
{
	char v[256], name[IMAGE_NAME_MAX + 1], path[PATH_MAX], why[160];
	struct image_file_id id;
	struct image_gen *g = NULL;
	unsigned gen_id;
	ssize_t len = fgetxattr(upper, "trusted.netbootfs.base", v, sizeof(v) - 1);

	if (len > 0) {
		v[len] = '\0';
		if (image_base_parse(v, name, &id, &gen_id) == 0 &&
		    image_find_file(srv->images, name, &id, path, sizeof(path)) == 0 &&
		    image_gen_open(path, &g, why, sizeof(why)) == 0)
			return g;
	}
	snprintf(path, sizeof(path), "%s/%s.sqfs", srv->images, n->image);
	if (image_gen_open(path, &g, why, sizeof(why)) != 0) {
		ctl_err("node diff: %s: %s (every path counts as added)", path, why);
		return NULL;
	}
	return g;
}

static void print_json(const struct diff *d)
{
	struct json_object *arr = json_object_new_array();
	static const char *const kinds[] = {
		['A'] = "added", ['M'] = "modified", ['D'] = "deleted", ['O'] = "opaque"};

	for (size_t i = 0; i < d->n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(d->v[i].path));
		json_object_object_add(o, "change",
				       json_object_new_string(kinds[(int)d->v[i].kind]));
		json_object_object_add(o, "type", json_object_new_string(d->v[i].type));
		json_object_object_add(
			o, "size", d->v[i].size < 0 ? NULL : json_object_new_int64(d->v[i].size));
		json_object_array_add(arr, o);
	}
	json_print(arr, stdout);
	json_object_put(arr);
}

int cmd_node_diff(struct ctl *c, int argc, char **argv)
{
	struct diff d = {0};
	const struct mapper *m;
	const struct node *n;
	struct arg_values av;
	char overlay[PATH_MAX];
	int ret, upper, err;

	ret = args_parse("node diff", diff_help, ARG_JSON, 1, 1, argc, argv, &av);
	if (ret >= 0)
		return ret;
	m = ctl_load_node(c, "node diff", av.pos[0]);
	if (!m)
		return CTL_EXIT_FAIL;
	n = mapper_find_name(m, av.pos[0]);
	snprintf(overlay, sizeof(overlay), "%s/%s", mapper_server(m)->overlays, n->name);
	upper = open(overlay, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upper < 0 && errno != ENOENT) {
		ctl_err("node diff: %s: %s", overlay, strerror(errno));
		return CTL_EXIT_FAIL;
	}
	if (upper >= 0) {
		d.g = base_gen(mapper_server(m), n, upper);
		err = walk(&d, upper, "", false);
		close(upper);
		if (err) {
			ctl_err("node diff: %s: %s", overlay, strerror(-err));
			ret = CTL_EXIT_FAIL;
			goto out;
		}
	}
	qsort(d.v, d.n, sizeof(*d.v), by_path);
	if (av.json) {
		print_json(&d);
	} else {
		for (size_t i = 0; i < d.n; i++) {
			if (d.v[i].size < 0)
				printf("%c %6s %s\n", d.v[i].kind, "-", d.v[i].path);
			else
				printf("%c %6lld %s\n", d.v[i].kind, d.v[i].size, d.v[i].path);
		}
	}
	ret = CTL_EXIT_OK;
out:
	for (size_t i = 0; i < d.n; i++)
		free(d.v[i].path);
	free(d.v);
	if (d.g)
		image_gen_put(d.g);
	return ret;
}
