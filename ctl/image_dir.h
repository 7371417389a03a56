/* SPDX-License-Identifier: MIT */
/* The image files in [server] images, as netbootctl sees them (read-only). */
#ifndef NETBOOTFS_CTL_IMAGE_DIR_H
#define NETBOOTFS_CTL_IMAGE_DIR_H

#include <stddef.h>

#define IMAGE_SUFFIX ".sqfs"

/* Sorted image names ("<name>" for "<dir>/<name>.sqfs"), regular files only,
 * hidden files skipped. Returns 0 or a negative errno; free with
 * image_names_free(). */
int image_names_list(const char *dir, char ***names, size_t *n);
void image_names_free(char **names, size_t n);

/* "<dir>/<name>.sqfs", malloc'ed, or NULL. */
char *image_path(const char *dir, const char *name);

#endif
