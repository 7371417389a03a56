/* SPDX-License-Identifier: MIT */
/*
 * The union engine: a node's root as the union, top first, of the node's
 * overlay (read-write, kernel overlayfs upper format), the generated layer,
 * the shared layers and the pinned image. It knows a pin (pin.h) and the
 * host directories it is given, never the daemon, the FUSE session or the
 * TFTP view: this header is its one entry, what it includes is part of it.
 *
 * Lock order. The mutexes of a node's union, and who may take which while
 * holding which (a lock may only be taken while holding locks listed
 * before it, never the other way round):
 *
 *   1. open-file lock (ufile.lock, one per file open for reading): held
 *      while the file looks for its copied-up twin; takes the node's pin
 *      (union_fs.pin_get: the daemon's node lock, a leaf) and resolves an
 *      id (4-6).
 *   2. copy-up lock (union_fs.copyup_lock): one copy-up at a time per
 *      node; held across the copy, which walks the layers (4-6) and reads
 *      the image (its block cache, a leaf of images/). A rebase of the
 *      overlay (fusefs/root/rebase.c) holds it across its swap, so that no
 *      copy-up writes into the overlay meanwhile.
 *   3. open-files list lock (union_fs.open_lock): held while walking the
 *      node's open files (fstat of one, unlinking one); nothing under it
 *      but the image's own locks (img_getattr).
 *   4. node-object stripe locks (union_fs.itab.nodes.s[i].lock, rwlocks,
 *      fusefs/union/unode.h): one id's object lives in one stripe; a
 *      stripe lock is held to read or change the objects in it (parent,
 *      name, a directory's layer facts), never two at once, except by a
 *      snapshot of the id table, which takes all of them in index order
 *      (unode_lock_all()). No host file is opened under one.
 *   5. id table journal lock (union_fs.itab.jlock): taken under the write
 *      lock of the changed id's stripe to append the change's record (so
 *      one id's records are in the order made), and under every stripe
 *      lock to fold a full journal into the snapshot.
 *   6. directory cache lock (union_fs.dircache_lock, only to open its
 *      descriptors once), handle-fd cache lock (union_fs.hfd.lock),
 *      generation holds lock (union_fs.holds.lock): leaves, none held
 *      while taking another or any lock above. The hfd
 *      cache closes evicted files after unlocking; the holds drop an image
 *      generation after unlocking, since that may close it.
 *
 * The change epoch (union_fs.epoch) and the quota counters are atomics.
 * No engine lock is held while a FUSE reply is sent.
 */
#ifndef NETBOOTFS_UNION_H
#define NETBOOTFS_UNION_H

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fusefs/union/dirlist.h"
#include "fusefs/union/genholds.h"
#include "fusefs/union/genlayer.h"
#include "fusefs/union/hfd.h"
#include "fusefs/union/itable.h"
#include "fusefs/union/nodeid.h"
#include "fusefs/union/pin.h"
#include "images/images.h"

struct dircache;
struct ufile;

/* Where the engine's log lines go (syslog levels). */
typedef void (*union_log_fn)(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One node's union: its host directories and what the engine keeps per
 * node. Embedded in the node's root mount (fusefs/root/root.h). */
struct union_fs {
	unsigned slot;	  /* the node's persistent slot: the slot bits of its ids */
	const char *name; /* the node's, for log lines */
	union_log_fn log;
	int overlays_fd; /* <overlays>, for the shared layers @NAME */
	int upper_fd;	 /* <overlays>/<node> */
	int work_fd;	 /* <overlays>/.work/<node>: copy-up temp files */
	struct itable itab;
	pthread_mutex_t copyup_lock; /* one copy-up at a time per node */
	/* Where each directory lives in each layer is a field of its node
	 * object (dircache.h); anything that moves a directory (not a new
	 * file: fusefs/root/root_create.c) bumps the epoch, which invalidates
	 * it. The cache's descriptors to reopen directories by
	 * handle, opened on first use under dircache_lock: */
	struct dircache *dircache;
	pthread_mutex_t dircache_lock;
	atomic_uint_fast64_t epoch;
	/* Files open read-only from lower layers (struct ufile), by id: once
	 * the node boots onto another generation their ids resolve no more,
	 * but fstat() on them must still work. */
	pthread_mutex_t open_lock;
	struct ufile *open_list;
	/* Users outside the node's own mount (open files, TFTP requests): the
	 * owner frees @fs only once none is left (union_fs_put()). */
	atomic_int users;
	/* The node's current pin, with a reference (NULL: none), for an open
	 * file that looks for its copied-up twin. */
	struct pin *(*pin_get)(void *pin_ctx);
	void *pin_ctx;
	struct gen_holds holds; /* generations the kernel holds inodes of */
	struct hfd_cache hfd;	/* overlay files open for handle-less I/O */
	/* The overlay's quota (quota.c, below): the limit lives with the node's
	 * config (0: none), the usage here. */
	const atomic_uint_fast64_t *quota_limit;
	atomic_int_fast64_t quota_used; /* bytes of the overlay */
	atomic_bool quota_full_logged;
};

/* Set up @fs for node @name (kept, not copied) of @slot; no directory is
 * open yet (every fd -1; the caller opens them). @quota_limit may be NULL
 * (no quota). On error nothing is left to destroy. */
int union_fs_init(struct union_fs *fs, unsigned slot, const char *name,
		  const atomic_uint_fast64_t *quota_limit, union_log_fn log);
/* Close the directories and free what union_fs_init() and use made. */
void union_fs_destroy(struct union_fs *fs);

/* Drop a reference taken by incrementing @fs->users. */
static inline void union_fs_put(struct union_fs *fs)
{
	if (fs)
		atomic_fetch_sub(&fs->users, 1);
}

/* The tree changed (call after the change is visible). */
static inline void union_changed(struct union_fs *fs)
{
	atomic_fetch_add(&fs->epoch, 1);
}

/* ---- layers.c: resolving names through the layers ------------------- */

enum layer_kind { L_NONE, L_UPPER, L_GEN, L_SHARED, L_IMAGE };

/*
 * A directory of the union, as each layer has it: open directories of the
 * host layers, the generated layer's entry, the image's inode. Nothing in
 * it is a path: a directory is entered from its parent by name
 * (layers_step), so depth has no limit, as in the kernel. Moving the
 * struct moves what it holds; layers_close() releases it.
 */
struct dirlayers {
	uint64_t id; /* its node id (1: the root); 0: not known */
	/* Its union path ("" the root), kept only on walks that start from
	 * the root by path (the chroot-style resolver): heap, else NULL. */
	char *path;
	int upper_fd;	   /* -1: not in the overlay */
	bool lower_hidden; /* the overlay dir is opaque: nothing below shows */
	bool gen_dir;
	/* Its entry in the generated layer, where the layers below the
	 * overlay have it (a renamed directory's redirect followed); NULL for
	 * the layer's root. */
	const struct gen_entry *gen;
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

/* Enter child directory @name of @parent (child->id is left 0: the
 * caller knows it from its lookup). */
int layers_step(struct union_fs *fs, struct pin *p, const struct dirlayers *parent,
		const char *name, struct dirlayers *child);
void layers_close(struct dirlayers *dl);
/* What @name of @dir is; -ENAMETOOLONG for a name over NAME_MAX bytes. */
int layers_lookup(struct union_fs *fs, struct pin *p, const struct dirlayers *dir, const char *name,
		  struct uobj *o);
/* The layers of directory @id: from the directory cache (dircache.h),
 * else entered from its nearest cached ancestor (dirwalk.c). */
int layers_open_dir_id(struct union_fs *fs, struct pin *p, uint64_t id, struct dirlayers *dl);
/* The object an id names now, with its parent directory's layers: the id
 * must still be what its name in its parent resolves to, else -ESTALE. */
int layers_resolve_id(struct union_fs *fs, struct pin *p, uint64_t id, struct dirlayers *parent,
		      char *name, struct uobj *o);
/* Called on each level a walk by id enters, before it steps from @parent
 * into child @name (what @o says): copy-up makes the level there. */
typedef int (*layers_level_fn)(void *ctx, struct dirlayers *parent, const char *name,
			       const struct uobj *o);
/* Directory @id as layers_open_dir_id() gives it, entered level by level
 * from the nearest cached ancestor that is in the overlay, with @fn
 * called on every level entered. */
int layers_walk_to_dir(struct union_fs *fs, struct pin *p, uint64_t id, layers_level_fn fn,
		       void *ctx, struct dirlayers *dl);
/* Where the layers below the overlay have child @name of directory @id,
 * "a/b/c" (redirects of renamed directories followed), in a heap string. */
int layers_lower_path(struct union_fs *fs, uint64_t id, const char *name, char **out);
/* Set dl->path (heap) from the id table, for a caller that needs the
 * directory's union path (the TFTP view's jail). */
int layers_set_path(struct union_fs *fs, struct dirlayers *dl);
bool is_whiteout(const struct stat *st);
/* Directory @name of @dirfd carries trusted.overlay.opaque=y. */
bool dir_is_opaque(int dirfd, const char *name);
/* Kernel overlayfs's mark of a renamed directory (redirect_dir=on): the
 * path its lower layers have it at, absolute ("/a/b", from each lower
 * layer's root) or a name in the parent's lower directories. */
#define XATTR_REDIRECT "trusted.overlay.redirect"
/*
 * Directory @name of @parent (in the overlay; object @src) is about to
 * move: record where its lower layers have it, as kernel overlayfs's
 * redirect_dir=on does: its old name (@samedir: it stays in its parent),
 * else "/" and its lower path (layers_lower_path); and its id
 * (XATTR_ORIGIN). -EXDEV if the host cannot store it (as the kernel: mv
 * then copies).
 */
int union_set_redirect(struct union_fs *fs, const struct dirlayers *parent, const char *name,
		       const struct uobj *src, bool samedir);
/* Some layer below the overlay shows directory @dl. */
bool layers_have_lower(const struct dirlayers *dl);
/* The id a copied-up object keeps from its origin (kernel overlayfs
 * ignores the attribute). */
#define XATTR_ORIGIN "trusted.netbootfs.origin"
int host_getxattr(int dirfd, const char *name, const char *attr, void *buf, size_t size);
/* The value of @attr of @name as a NUL-terminated heap string, whatever
 * its length; NULL if it has none (or on error). */
char *host_getxattr_str(int dirfd, const char *name, const char *attr);
int host_setxattr(int dirfd, const char *name, const char *attr, const void *val, size_t size);
/* A listing of directory @name in @dirfd ("." for @dirfd itself), never
 * through a symlink; NULL with errno set. closedir() closes it all. */
DIR *host_opendir(int dirfd, const char *name);

/* ---- copyup.c -------------------------------------------------------- */

/* Make @name of @dir exist in the overlay (copying the lower object, and
 * parents first). Atomic: temp file in the work dir, then rename. On
 * return dir->upper_fd is valid. */
int copyup(struct union_fs *fs, struct pin *p, struct dirlayers *dir, const char *name,
	   const struct uobj *o);
/* Make directory @dl exist in the overlay (for creating entries in it). */
int copyup_dir_chain(struct union_fs *fs, struct pin *p, struct dirlayers *dl);
void copyup_clean_work(struct union_fs *fs);

/* ---- resolve.c ------------------------------------------------------- */

/* Resolve @path (relative to the node's root) following symlinks as a
 * chroot would; every component is recorded in the id table. On success
 * @parent holds the final object's directory (close it), @name its name.
 * *via_link: the last component was reached through a symlink.
 * @jail (a union directory path, "" the root; NULL: none): the walk must
 * stay inside it, or come down into it from the root where an absolute
 * link target starts; anything else is -ENOENT. With a jail, a directory
 * others may not search (no S_IXOTH) is -EACCES. */
int union_resolve(struct union_fs *fs, struct pin *p, const char *jail, const char *path,
		  struct dirlayers *parent, char *name, struct uobj *o, uint64_t *parent_id,
		  bool *via_link);

/* ---- listing.c ------------------------------------------------------- */

/* The merged listing of directory @dl (top layer first, whiteouts gone). */
int union_list_dir(struct union_fs *fs, struct pin *p, const struct dirlayers *dl,
		   struct dirlist *l);

/* ---- ufile.c: files open for reading -------------------------------- */

/* An open file of the union: a host file (overlay or shared layer, or one
 * opened for writing by the caller), an image file or a generated file. */
struct ufile {
	int fd;		       /* overlay or shared-layer file; -1 otherwise */
	struct image_gen *gen; /* image file */
	img_ino ino;
	struct pin *pin; /* generated file: data lives in the pin */
	const struct gen_entry *ge;
	/* A lower file may be copied up while open (NFS servers keep files
	 * open across clients' requests): reads then move to the copy. Set
	 * by ufile_open_ro() only. */
	struct union_fs *fs;
	uint64_t id;
	uint64_t epoch;
	int upper_fd; /* the copy, once seen; -1 before */
	pthread_mutex_t lock;
	struct ufile *open_next; /* union_fs.open_list */
};

/* A closed file (every fd -1), or NULL. */
struct ufile *ufile_new(void);
/* Open @o (found as @name in @parent) for reading; the file holds a
 * reference to @fs (and to @p for a generated file) until ufile_close().
 * *keep_cache: its bytes never change (an image file). */
int ufile_open_ro(struct union_fs *fs, struct pin *p, const struct dirlayers *parent,
		  const char *name, const struct uobj *o, struct ufile *f, bool *keep_cache);
/* The host file to read @f from now: its own, or the overlay copy of a
 * lower file copied up since it was opened; -1 for an image or generated
 * file (read ->gen/->ino or ->ge). */
int ufile_data_fd(struct ufile *f);
/* Attributes of @f from the file itself: right even once the node booted
 * onto another generation and its id resolves no more. */
int ufile_getattr(struct ufile *f, struct stat *st);
/* Attributes of @id from a file of it that is still open: -ESTALE if none. */
int union_open_getattr(struct union_fs *fs, uint64_t id, struct stat *st);
/* Close and free @f (NULL is fine). */
void ufile_close(struct ufile *f);

/*
 * Quota (quota.c): per-node quota on the node's overlay. Usage is the space
 * the overlay's objects take on the host (st_blocks, not apparent sizes),
 * summed once when the root is mounted and then kept up to date by the
 * operations that change it: writes, fallocate and truncates (the change in
 * the file's blocks), creates and copy-ups (the new object's blocks),
 * unlinks, rmdirs and renames over a name (the blocks of what goes). A
 * hard-linked file counts blocks / links per name. The limit is the node's
 * `quota` key, taken from the current config (a reload applies at once); 0
 * is none.
 *
 * An operation that may grow the overlay is refused with EDQUOT when it
 * could take usage past the limit: a write by the bytes it adds past the
 * end of the file (all of its bytes when the file is sparse: it may fill
 * a hole), fallocate by its length, a copy-up by the lower file's size.
 * Creates and truncates that extend a file are refused once usage is at
 * or past the limit. Overwrites, truncates down and deletions are never
 * refused. Concurrent writers may each pass the check before either
 * writes: usage can end up past the limit by what they write at once.
 */

/* Sum the overlay's usage (at mount, and after it was emptied). */
void quota_scan(struct union_fs *fs);
/* 0, or -EDQUOT (logged once until usage drops below the limit) if the
 * node may not grow by @grow bytes (0: may not grow at all). */
int quota_check(struct union_fs *fs, uint64_t grow);
void quota_add(struct union_fs *fs, int64_t bytes);
/* The bytes @st counts for, per name. */
int64_t quota_bytes(const struct stat *st);
/* The same for @name in @dirfd (0 if it cannot be stat'ed). */
int64_t quota_bytes_at(int dirfd, const char *name);
/* pwrite() under the quota: bytes written or a negative errno. */
ssize_t quota_pwrite(struct union_fs *fs, int fd, const void *buf, size_t size, off_t off);
/* ftruncate() under the quota; fallocate() likewise. */
int quota_ftruncate(struct union_fs *fs, int fd, off_t size);
int quota_fallocate(struct union_fs *fs, int fd, int mode, off_t off, off_t len);

#endif
