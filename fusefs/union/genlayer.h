/* SPDX-License-Identifier: MIT */
/*
 * The generated layer of a node's root: etc/hostname, etc/fstab without
 * the SD-card lines, <boot_dir>/cmdline.txt, and every file under
 * `templates` rendered with ${node} ${serial} ${mac} ${ip} ${image}.
 * Built when a node is pinned (at boot) and immutable afterwards.
 */
#ifndef NETBOOTFS_GENLAYER_H
#define NETBOOTFS_GENLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "images/images.h"

struct node;
struct server_config;

struct gen_entry {
	char *path;  /* relative: "etc/hostname" */
	bool is_dir; /* implied parent of a generated file */
	mode_t mode;
	char *data;
	size_t len;
};

struct genlayer {
	struct gen_entry *v; /* sorted by path */
	size_t n;
	time_t mtime;
};

struct genvars {
	const char *node, *serial, *mac, *ip, *image;
};

/* @fstab: the image's etc/fstab (may be NULL); @cmdline_path/@cmdline:
 * where the generated cmdline goes and what it says. */
int genlayer_build(struct genlayer *g, const struct genvars *vars, const char *fstab,
		   size_t fstab_len, const char *boot_dir, const char *cmdline_path,
		   const char *cmdline, const char *templates_dir);
/* Add file @path (taking @data), replacing one of the same path, or with
 * @append add @data to its end; missing parent directories are added. */
int genlayer_put(struct genlayer *g, const char *path, mode_t mode, char *data, size_t len,
		 bool append);
void genlayer_free(struct genlayer *g);
const struct gen_entry *genlayer_find(const struct genlayer *g, const char *path);
/* Entry @name of directory entry @dir (NULL: the layer's root), found
 * without building its path: the layer is walked by name like the others. */
const struct gen_entry *genlayer_child(const struct genlayer *g, const struct gen_entry *dir,
				       const char *name);
/* Direct children of directory @dir ("" = root), in path order. */
typedef int (*genlayer_fn)(void *ctx, const struct gen_entry *e, const char *name);
int genlayer_children(const struct genlayer *g, const char *dir, genlayer_fn fn, void *ctx);

/* Exposed for unit tests. */
char *genlayer_render(const char *text, size_t len, const struct genvars *vars, size_t *outlen);
char *genlayer_fstab(const char *fstab, size_t len, const char *boot_dir, size_t *outlen);

#endif
