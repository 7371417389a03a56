/* SPDX-License-Identifier: MIT */
/*
 * renameat2(RENAME_WHITEOUT / RENAME_EXCHANGE) and O_TMPFILE on an overlay,
 * with fallbacks for filesystems that refuse them (GlusterFS's FUSE client,
 * the NFS and CephFS kernel clients: EINVAL, EOPNOTSUPP). The first refusal
 * is remembered per overlay (struct overlay_caps), so ext4 and xfs keep the
 * single system call and a shared filesystem skips straight to the fallback.
 * GlusterFS 10's FUSE client may also take RENAME_WHITEOUT and do a plain
 * rename (no whiteout left): until a flag has been seen to work once, its
 * effect is checked after the call.
 */
#ifndef NETBOOTFS_FUSEFS_ROOT_RENAMEX_H
#define NETBOOTFS_FUSEFS_ROOT_RENAMEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* A fresh name for an object made in the work dir. */
void renamex_work_name(char *buf, size_t size);

enum cap_state { CAP_UNKNOWN, CAP_WORKS, CAP_REFUSED };

/* What the overlay's filesystem does with each (enum cap_state; once
 * known, never changed while the root is mounted). */
struct overlay_caps {
	atomic_int whiteout; /* renameat2(RENAME_WHITEOUT) */
	atomic_int exchange; /* renameat2(RENAME_EXCHANGE) */
	atomic_int tmpfile;  /* open(O_TMPFILE) */
};

/* rename @sname of @sfd to @dname of @dfd (replacing it), leaving a
 * whiteout (char 0/0) at @sname. Fallback: the whiteout is made in
 * @workfd, the object renamed, the whiteout renamed to @sname; between the
 * two renames (only) the lower object shows at @sname. */
int renamex_whiteout(struct overlay_caps *caps, int workfd, int sfd, const char *sname, int dfd,
		     const char *dname);
/* Exchange @aname of @afd and @bname of @bfd. Fallback: three renames
 * through a fresh name in @workfd (which must be on their filesystem): @b
 * to the temporary name, @a to @bname, the temporary name to @aname. A
 * crash in between leaves @bname's object at the temporary name. */
int renamex_exchange(struct overlay_caps *caps, int workfd, int afd, const char *aname, int bfd,
		     const char *bname);
/* An unnamed file in @workfd open O_RDWR (O_TMPFILE, or a named file
 * unlinked at once). Returns the fd or a negative errno. */
int renamex_tmpfile(struct overlay_caps *caps, int workfd, int mode);
/* Exchange by renameat2() if @caps allows: 1 = refused or ignored (nothing
 * happened, fall back), 0 = done, <0 = failed. For callers with their own
 * fallback (the rebase commit). */
int renamex_try_exchange(struct overlay_caps *caps, int afd, const char *aname, int bfd,
			 const char *bname);

#endif
