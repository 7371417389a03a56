/* SPDX-License-Identifier: MIT */
/*
 * A pin: what a node booted with. Immutable once made and reference
 * counted, so a handler takes one (node_pin_get() in the daemon) and uses
 * it without holding any lock while the node may be re-pinned under it.
 * The union engine reads its image generation, generated layer and shared
 * layers; the rest is the daemon's (boot directory, cmdline, overlay mode).
 */
#ifndef NETBOOTFS_PIN_H
#define NETBOOTFS_PIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fusefs/union/genlayer.h"
#include "images/images.h"
#include "mapper/mapper.h"

#define MAX_SHARED_LAYERS 8

struct pin {
	atomic_uint refs;
	uint64_t seq;	       /* unique per pin: caches keyed on it */
	struct image_gen *gen; /* NULL: the node's image is missing */
	bool has_boot;
	bool pxe;	  /* boot = pxe: <boot_dir>/boot.ipxe instead of cmdline.txt */
	img_ino boot_ino; /* boot dir inside the image */
	char *cmdline;	  /* generated cmdline.txt, or boot.ipxe for a PXE node */
	size_t cmdline_len;
	char image[IMAGE_NAME_MAX + 1];
	char boot_dir[256];
	/* The node's root: its generated layer and its config at boot. */
	struct genlayer genl;
	enum overlay_mode overlay;
	char layers[MAX_SHARED_LAYERS][NODE_NAME_MAX + 1]; /* shared layers, top first */
	unsigned n_layers;
};

/* Another reference to @p. */
struct pin *pin_ref(struct pin *p);
/* Drop a reference (NULL is fine); the last one frees the pin. */
void pin_put(struct pin *p);

#endif
