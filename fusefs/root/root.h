/* SPDX-License-Identifier: MIT */
/*
 * A node's root mount, <nfs_root>/<node>: the union, top first, of the
 * node's overlay (read-write, kernel overlayfs upper format), the generated
 * layer, the shared layers and the pinned image.
 */
#ifndef NETBOOTFS_ROOT_H
#define NETBOOTFS_ROOT_H

#include <dirent.h>
#include <limits.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fusefs/context.h"
#include "fusefs/root/listcache.h"
#include "fusefs/root/renamex.h"
#include "fusefs/union/union.h"

struct fs_mount;
struct fuse_lowlevel_ops;

struct root_fs {
	struct daemon *d;
	struct node_rt *rt;
	struct union_fs u; /* the node's union (fusefs/union/union.h) */
	struct fs_mount *mnt;
	/* For status and "is the node up": */
	atomic_llong last_active; /* mono_ms() of the last request, 0 = none */
	atomic_int open_files;
	struct root_fs *retired_next; /* unmounted, freed once u.users is 0 */
	/* The kernel opens files without OPEN (set at INIT): reads and
	 * writes come by node id (root_noopen.c). */
	bool no_open;
	struct listcache lists; /* built listings by directory (listcache.h) */
	/* The node's lease, held while the root is mounted and until the
	 * root is freed (none for a PXE-role view). */
	struct lease lease;
	/* What the overlay's filesystem refuses (renamex.h). */
	struct overlay_caps caps;
};

/* A request on the root: the node is in use (boot detection, "up"). Every
 * request that reaches the daemon counts, the ones answered without the
 * layers (READDIR of a cached listing, STATFS) too. */
static inline void root_mark_active(struct root_fs *fs)
{
	atomic_store_explicit(&fs->last_active, mono_ms(), memory_order_relaxed);
}

/* The tree changed (call after the change is visible). */
static inline void root_changed(struct root_fs *fs)
{
	union_changed(&fs->u);
}

/*
 * How far the kernel reads ahead in a root's files: 1 MiB instead of the
 * default 128 KiB. Each READ is a round trip with two wake-ups; with 1 MiB
 * a large file comes in an eighth of the READs, and the first READ of a
 * small file is large enough for more of them to need only one.
 */
#define ROOT_READAHEAD_KIB 1024

/* An entry of directory @dir was made, removed or renamed: its listing
 * is built afresh for the next chunk (call after the change). */
static inline void root_dir_changed(struct root_fs *fs, uint64_t dir)
{
	listcache_forget(&fs->lists, dir);
}

extern const struct fuse_lowlevel_ops root_ops;

/* ---- roots.c: mounts -------------------------------------------------- */

/* The root of @slot with a reference (NULL if none), for users outside the
 * root's own mount (TFTP view, boot handling). */
struct root_fs *root_fs_get(struct daemon *d, unsigned slot);
void root_fs_put(struct root_fs *fs);

/* Make the overlays area and check it is root-only (overlay_area.h). */
int roots_secure_overlays(struct daemon *d);
/* Mount the root of every node that has none. A node whose lease another
 * server holds is not mounted, and is no error: it waits (lease_wait). */
int roots_mount_all(struct daemon *d);
/* Try again the nodes that wait for their lease; d->leases_waiting counts
 * those that still wait. Main thread only. */
void roots_retry_leases(struct daemon *d);
/* Stop serving and unmount every root; roots_unmount_all() then frees. */
void roots_detach_all(struct daemon *d);
void roots_unmount_all(struct daemon *d);
/* A node booted: empty a volatile overlay, drop kernel caches. */
void roots_node_booted(struct daemon *d, struct node_rt *rt, bool repinned);
/* Empty the node's overlay now (netbootctl node reset). */
int roots_reset_overlay(struct daemon *d, unsigned slot);
/* mono_ms() of the last request on the node's root (0: none, or no
 * root), and how many files it has open (with a handle). */
long long roots_last_active_ms(struct daemon *d, unsigned slot, int *open_files);
/* Seconds since the node's root last saw a request (-1: never), and how
 * many files it has open. */
long roots_idle_seconds(struct daemon *d, unsigned slot, int *open_files);
/* A node is up while its root has open files or served a request within
 * the last 2 * boot_gap seconds, or the TFTP server read its boot tree
 * within the last boot_gap seconds (it is booting). */
bool roots_node_up(struct daemon *d, unsigned slot);
/* Unmount the roots of nodes no longer in the config once they are not
 * up, and drop their pins. Returns how many such roots are still busy
 * (call again later). Main thread only. */
unsigned roots_unmount_removed(struct daemon *d);

#endif
