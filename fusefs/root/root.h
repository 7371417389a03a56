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

#include "fusefs/daemon.h"
#include "fusefs/union/genholds.h"
#include "fusefs/union/hfd.h"
#include "fusefs/union/itable.h"

struct fs_mount;
struct fuse_lowlevel_ops;
struct dircache;

struct root_fs {
	struct daemon *d;
	struct node_rt *rt;
	unsigned slot;
	int overlays_fd; /* <overlays>, for the shared layers @NAME */
	int upper_fd;	 /* <overlays>/<node> */
	int work_fd;	 /* <overlays>/.work/<node>: copy-up temp files */
	struct itable itab;
	pthread_mutex_t copyup_lock; /* one copy-up at a time per node */
	struct fs_mount *mnt;
	/* For status and "is the node up": */
	atomic_llong last_active; /* mono_ms() of the last request, 0 = none */
	atomic_int open_files;
	/* Where each directory lives in each layer, so a lookup need not walk
	 * the path from the root; any change to the tree bumps the epoch. */
	struct dircache *dircache;    /* allocated on first use */
	struct root_fs *retired_next; /* unmounted, freed once unused */
	atomic_int users;	      /* TFTP requests and open files using it */
	/* Files open read-only from lower layers, by id: once the node boots
	 * onto another generation their ids resolve no more, but fstat() on
	 * them (GETATTR without a file handle) must still work. */
	pthread_mutex_t open_lock;
	struct rfile *open_list;
	pthread_mutex_t dircache_lock;
	atomic_uint_fast64_t epoch;
	/* The kernel opens files without OPEN (set at INIT): reads and
	 * writes come by node id (root_noopen.c). */
	bool no_open;
	struct gen_holds holds;		/* generations the kernel holds inodes of */
	atomic_int_fast64_t quota_used; /* bytes of the overlay (quota.h) */
	atomic_bool quota_full_logged;
	struct hfd_cache hfd; /* overlay files open for handle-less I/O */
};

/* A request on the root: the node is in use (boot detection, "up"). Every
 * request that reaches the daemon counts, the ones answered without the
 * layers (OPENDIR of a cached listing, STATFS) too. */
static inline void root_mark_active(struct root_fs *fs)
{
	atomic_store_explicit(&fs->last_active, mono_ms(), memory_order_relaxed);
}

/* The tree changed (call after the change is visible). */
static inline void root_changed(struct root_fs *fs)
{
	atomic_fetch_add(&fs->epoch, 1);
}

extern const struct fuse_lowlevel_ops root_ops;

/* ---- layers.c: resolving a path through the layers ------------------ */

enum layer_kind { L_NONE, L_UPPER, L_GEN, L_SHARED, L_IMAGE };

/* A directory of the union, as each layer has it. */
struct dirlayers {
	char path[PATH_MAX]; /* relative; "" for the root */
	/* Where the layers below the overlay have it: the same as @path
	 * unless a renamed directory (trusted.overlay.redirect) is on the way. */
	char lpath[PATH_MAX];
	int upper_fd;	   /* -1: not in the overlay */
	bool lower_hidden; /* the overlay dir is opaque: nothing below shows */
	bool gen_dir;
	int shared_fd[MAX_SHARED_LAYERS]; /* -1: absent or hidden */
	unsigned n_shared;
	bool img_dir;
	img_ino img;
};

/* One name in a directory of the union. */
struct uobj {
	uint64_t id;
	enum layer_kind top;
	unsigned top_shared;
	struct stat st; /* the top object's attributes; st_ino = id */
	const struct gen_entry *ge;
	bool in_image; /* the image has it at this path, visible */
	img_ino img;
	bool lower_present; /* some layer below the overlay shows it */
	/* FUSE generation: for an overlay-only object, whose id is its host
	 * inode number, it tells apart the objects the host gave that number
	 * over time, so that a handle of a deleted file is stale even when the
	 * host reuses the inode. 0 for every other id (never reused). */
	uint64_t fh_gen;
};

int layers_open_root(struct root_fs *fs, struct pin *p, struct dirlayers *dl);
/* Enter directory @path (relative), never following a symlink on the host. */
int layers_open_path(struct root_fs *fs, struct pin *p, const char *path, struct dirlayers *dl);
/* Enter child directory @name of @parent. */
int layers_step(struct root_fs *fs, struct pin *p, const struct dirlayers *parent, const char *name,
		struct dirlayers *child);
void layers_close(struct dirlayers *dl);
int layers_lookup(struct root_fs *fs, struct pin *p, const struct dirlayers *dir, const char *name,
		  struct uobj *o);
/* The layers of directory @id (cached). */
int layers_open_dir_id(struct root_fs *fs, struct pin *p, uint64_t id, struct dirlayers *dl);
/* The object an id names now, with its parent directory's layers: the
 * id must still be what its path resolves to, else -ESTALE. */
int layers_resolve_id(struct root_fs *fs, struct pin *p, uint64_t id, struct dirlayers *parent,
		      char *name, struct uobj *o);
bool is_whiteout(const struct stat *st);
/* Directory @name of @dirfd carries trusted.overlay.opaque=y. */
bool dir_is_opaque(int dirfd, const char *name);
/* Kernel overlayfs's mark of a renamed directory (redirect_dir=on): the
 * path its lower layers have it at, absolute ("/a/b", from each lower
 * layer's root) or a name in the parent's lower directories. */
#define XATTR_REDIRECT "trusted.overlay.redirect"
/* Some layer below the overlay shows directory @dl. */
bool layers_have_lower(const struct dirlayers *dl);
/* The id a copied-up object keeps from its origin (kernel overlayfs
 * ignores the attribute). */
#define XATTR_ORIGIN "trusted.netbootfs.origin"
int host_getxattr(int dirfd, const char *name, const char *attr, void *buf, size_t size);
int host_setxattr(int dirfd, const char *name, const char *attr, const void *val, size_t size);
/* A listing of directory @name in @dirfd ("." for @dirfd itself), never
 * through a symlink; NULL with errno set. closedir() closes it all. */
DIR *host_opendir(int dirfd, const char *name);

/* ---- copyup.c -------------------------------------------------------- */

/* Make @name of @dir exist in the overlay (copying the lower object, and
 * parents first). Atomic: temp file in the work dir, then rename. On
 * return dir->upper_fd is valid. */
int copyup(struct root_fs *fs, struct pin *p, struct dirlayers *dir, const char *name,
	   const struct uobj *o);
/* Make directory @dl exist in the overlay (for creating entries in it). */
int copyup_dir_chain(struct root_fs *fs, struct pin *p, struct dirlayers *dl);
void copyup_clean_work(struct root_fs *fs);
/* rm -r of @name in @dirfd, never following symlinks. */
void copyup_remove_tree(int dirfd, const char *name);

/* ---- roots.c: mounts -------------------------------------------------- */

/* The root of @slot with a reference (NULL if none), for users outside the
 * root's own mount (TFTP view, boot handling). */
struct root_fs *root_fs_get(struct daemon *d, unsigned slot);
void root_fs_put(struct root_fs *fs);

/* Make the overlays area and check it is root-only (overlay_area.h). */
int roots_secure_overlays(struct daemon *d);
int roots_mount_all(struct daemon *d);
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
