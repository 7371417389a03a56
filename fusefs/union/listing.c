/* SPDX-License-Identifier: MIT */
/* The merged listing of a directory of the union. */
#include "fusefs/union/union_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WHITEOUT_MARK 0 /* dirlist type of a whiteout: hides lower names */

static int list_host_dir(struct dirlist *l, int dirfd, uint64_t base_id)
{
	DIR *d = host_opendir(dirfd, ".");
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		struct stat st;
		mode_t type;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		type = is_whiteout(&st) ? WHITEOUT_MARK : (st.st_mode & S_IFMT);
		err = dirlist_add(l, de->d_name, base_id | (uint32_t)st.st_ino, type);
	}
	closedir(d);
	return err;
}

struct gen_list_ctx {
	struct dirlist *l;
	uint64_t base_id;
};

static int list_gen_cb(void *ctx, const struct gen_entry *e, const char *name)
{
	struct gen_list_ctx *g = ctx;

	return dirlist_add(g->l, name, g->base_id, e->is_dir ? S_IFDIR : S_IFREG);
}

struct img_list_ctx {
	struct dirlist *l;
	struct nid base;
	uint32_t pos; /* index of the next entry in the image directory */
};

static int list_img_cb(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t off)
{
	struct img_list_ctx *g = ctx;
	struct nid n = g->base;

	(void)off;
	n.payload = ino;
	return dirlist_add_at(g->l, name, nid_encode(&n), type & S_IFMT, g->pos++);
}

int union_list_dir(struct union_fs *fs, struct pin *p, const struct dirlayers *dl,
		   struct dirlist *l)
{
	struct nid n = {.kind = NID_UPPER, .slot = fs->slot};
	unsigned i;
	int err = 0;

	/* Top layer first: the first entry of a name wins. */
	if (dl->upper_fd >= 0)
		err = list_host_dir(l, dl->upper_fd, nid_encode(&n));
	if (!err && dl->gen_dir && !dl->lower_hidden) {
		struct gen_list_ctx g = {.l = l, .base_id = nid_encode(&n)};

		err = genlayer_children(&p->genl, dl->gen ? dl->gen->path : "", list_gen_cb, &g);
	}
	for (i = 0; !err && i < dl->n_shared; i++) {
		n = (struct nid){.kind = NID_SHARED, .slot = fs->slot, .gen = i};
		if (dl->shared_fd[i] >= 0)
			err = list_host_dir(l, dl->shared_fd[i], nid_encode(&n));
	}
	if (!err && dl->img_dir) {
		struct img_list_ctx g = {
			.l = l,
			.base = {.kind = NID_IMG, .slot = fs->slot, .gen = image_gen_id(p->gen)}};

		err = img_readdir(p->gen, dl->img, 0, list_img_cb, &g);
		if (err > 0)
			err = 0;
	}
	if (err)
		return err;
	dirlist_finish(l);
	/* Whiteouts have done their job: hiding lower names. */
	size_t out = 0;
	for (i = 0; i < l->n; i++) {
		if (l->v[i].type == WHITEOUT_MARK) {
			free(l->v[i].name);
			continue;
		}
		l->v[out++] = l->v[i];
	}
	l->n = out;
	return 0;
}
