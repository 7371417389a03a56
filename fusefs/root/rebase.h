/* SPDX-License-Identifier: MIT */
/*
 * upgrade = rebase: when a node boots onto a newer image generation, its
 * persistent overlay is rebased onto it (docs/design.md, "Rebasing an
 * overlay"). The new overlay is built beside the old one under
 * <overlays>/.work/.rebase/<node>/ and swapped in with one
 * renameat2(RENAME_EXCHANGE), so a crash leaves it wholly old or wholly new.
 *
 * Every overlay records the image generation it was last rebased onto in
 * the xattr trusted.netbootfs.base of <overlays>/<node>.
 */
#ifndef NETBOOTFS_REBASE_H
#define NETBOOTFS_REBASE_H

#include <stdbool.h>

struct root_fs;
struct pin;

/* At mount: finish or undo a rebase a crash interrupted, and record the
 * pinned generation as the overlay's base if it has none. */
void rebase_on_mount(struct root_fs *fs);
/* At a boot (the node's root has no users): rebase the overlay onto @p's
 * generation if the node's policy says so and its base is another one,
 * else just record @p's generation as the base. Returns true if the
 * overlay directory was replaced (the caller drops the kernel's caches). */
bool rebase_at_boot(struct root_fs *fs, struct pin *p);

#endif
