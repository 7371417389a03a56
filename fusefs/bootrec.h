/* SPDX-License-Identifier: MIT */
/*
 * Boot records: how a file-server daemon ([server] role = files) learns
 * that a node boots, when the TFTP requests that tell it reach another
 * daemon (role = pxe). The PXE server writes <state>/boots/<node> (atomic
 * rename) holding the image generation it pinned; the file server watches
 * the directory with inotify and re-pins the node's root to that same
 * generation. The state directory is shared by both servers.
 */
#ifndef NETBOOTFS_BOOTREC_H
#define NETBOOTFS_BOOTREC_H

#include <stddef.h>

#define BOOTREC_DIR "boots"

/* <state>/boots, made if missing (mode 0755); the path goes to @buf. */
int bootrec_dir(const char *state, char *buf, size_t size);
/* Record that @node boots generation @gen_id (0: its image is missing). */
int bootrec_write(const char *state, const char *node, unsigned gen_id);
/* The generation of @node's last boot record. */
int bootrec_read(const char *state, const char *node, unsigned *gen_id);

#endif
