/* SPDX-License-Identifier: MIT */
/*
 * The root mount's FUSE handlers and what they share. Files, bottom up:
 * rctx.c (request context, entries), upper.c (changes in the overlay's
 * format), root_noopen.c (handle-less I/O); the handlers: root_lookup.c,
 * root_readdir.c, root_io.c, root_create.c, root_remove.c, root_rename.c,
 * root_setattr.c, root_xattr.c; root_ops.c, the table, on top. A file
 * calls only files listed before it (t0005 checks that no two call each
 * other).
 */
#ifndef NETBOOTFS_ROOT_OPS_H
#define NETBOOTFS_ROOT_OPS_H

#include <fuse_lowlevel.h>

#include "fusefs/root/root.h"
#include "fusefs/serve/datareply.h"

#define ROOT_TIMEOUT 3600.0 /* every change goes through the daemon */

/* Per-request: the mount and the node's pin, taken once. */
struct rctx {
	struct root_fs *fs;
	struct pin *p;
};

/* ---- rctx.c ----------------------------------------------------------- */

int rctx_get(fuse_req_t req, struct rctx *c);
void rctx_put(struct rctx *c);

/* The layers of directory @id. */
int root_dir_layers(struct rctx *c, uint64_t id, struct dirlayers *dl);
/* Attributes of @id (root included); @fh_gen (may be NULL) gets its FUSE generation. */
int root_getattr_id(struct rctx *c, uint64_t id, struct stat *st, uint64_t *fh_gen);
/* Look @name up in @dl and record it in the id table. */
int root_make_entry(struct rctx *c, uint64_t parent, struct dirlayers *dl, const char *name,
		    struct fuse_entry_param *e);
/* Reply entry @e (made by root_make_entry()), counting the kernel's lookup. */
void root_reply_made_entry(fuse_req_t req, struct rctx *c, const struct fuse_entry_param *e);
/* The same, and reply it (a negative entry for ENOENT). */
void root_reply_entry(fuse_req_t req, struct rctx *c, uint64_t parent, struct dirlayers *dl,
		      const char *name);
/* Call before replying entry @e: the kernel will hold a lookup of it. */
void root_count_entry(struct rctx *c, const struct fuse_entry_param *e);
/* Build the merged listing of @dl (whiteouts removed). */
static inline int root_list_dir(struct rctx *c, struct dirlayers *dl, struct dirlist *l)
{
	return union_list_dir(&c->fs->u, c->p, dl, l);
}

/* ---- upper.c ---------------------------------------------------------- */

/* Rename @sname of @sfd to @dname of @dfd, leaving a whiteout at @sname if
 * @whiteout (renamex.h: also where RENAME_WHITEOUT is refused). */
int root_move(struct root_fs *fs, int sfd, const char *sname, int dfd, const char *dname,
	      bool whiteout);
/* Mark directory @name of @dirfd opaque (it hides lower ones). */
int root_set_opaque(int dirfd, const char *name);
/* Overlay file @name of @dirfd (node id @id) is about to lose its name:
 * keep it open, for the kernel's handle-less writes and reads to it. */
void root_keep_open(struct root_fs *fs, uint64_t id, int dirfd, const char *name);
/* Remove @o, found as @name in @dl, from the overlay dir, leaving a
 * whiteout when a lower layer still has it. */
int root_remove_entry(struct rctx *c, struct dirlayers *dl, const char *name, const struct uobj *o);
/* 0 when directory @name of @parent lists nothing, else -ENOTEMPTY (or an error). */
int root_dir_is_empty(struct rctx *c, struct dirlayers *parent, const char *name);
/* Copy @id up and give the overlay dir and name that now hold it. */
int root_copyup_id(struct rctx *c, uint64_t id, struct dirlayers *parent, char *name,
		   struct uobj *o);
/* Open for writing: copies up first. */
int root_open_upper(struct rctx *c, uint64_t id, int flags, int *fd);

/* ---- root_noopen.c: handle-less I/O, for files the kernel opened without
 * asking. */
void root_read_noopen(fuse_req_t req, uint64_t id, size_t size, off_t off);
void root_write_noopen(fuse_req_t req, uint64_t id, const char *buf, size_t size, off_t off);
void root_fsync_noopen(fuse_req_t req, uint64_t id, int datasync);
/* fallocate, with a handle or without (under the node's quota). */
void root_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		    struct fuse_file_info *fi);
/* Attributes of @id when its path resolves no more: an overlay file still
 * cached open, or an image file of a generation the kernel holds. */
int root_getattr_unresolved(struct root_fs *fs, uint64_t id, struct stat *st);
void root_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void root_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);

/* ---- the handlers (root_ops.c puts them in its table) ----------------- */

void root_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void root_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void root_readlink(fuse_req_t req, fuse_ino_t ino);
void root_statfs(fuse_req_t req, fuse_ino_t ino);
void root_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void root_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi);
void root_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi);
void root_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void root_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void root_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void root_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void root_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		struct fuse_file_info *fi);
void root_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void root_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void root_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void root_getxattr(fuse_req_t req, fuse_ino_t ino, const char *attr, size_t size);
void root_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void root_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		  struct fuse_file_info *fi);
void root_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void root_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void root_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void root_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		 struct fuse_file_info *fi);
void root_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void root_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void root_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void root_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		 const char *newname, unsigned int flags);
void root_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
		   int flags);
void root_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

#endif
