/* SPDX-License-Identifier: MIT */
/* Rename flags and O_TMPFILE with fallbacks (renamex.h). */
#include "fusefs/root/renamex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* One sequence for the daemon: names are unique per process, and the pid
 * tells a crashed daemon's leftovers apart. */
static atomic_uint work_seq;

void renamex_work_name(char *buf, size_t size)
{
	snprintf(buf, size, "new-%d-%u", getpid(), atomic_fetch_add(&work_seq, 1));
}

/* The filesystem does not take the flag (not: the rename failed). EINVAL
 * is also a rename into its own subtree, which the kernel checks before
 * asking us; if it came anyway the fallback's plain rename fails the same
 * way: only the fast path is lost. */
static bool refused(int err)
{
	return err == EINVAL || err == EOPNOTSUPP || err == ENOTSUP;
}

static bool whiteout_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(0, 0);
}

static int load(atomic_int *cap)
{
	return atomic_load_explicit(cap, memory_order_relaxed);
}

static void store(atomic_int *cap, int v)
{
	atomic_store_explicit(cap, v, memory_order_relaxed);
}

/* After a successful renameat2: the flag's effect seen at @sname (@seen)
 * decides what the filesystem does with it, the first time. */
static void learn(atomic_int *cap, bool seen)
{
	if (load(cap) == CAP_UNKNOWN)
		store(cap, seen ? CAP_WORKS : CAP_REFUSED);
}

int renamex_whiteout(struct overlay_caps *caps, int workfd, int sfd, const char *sname, int dfd,
		     const char *dname)
{
	char tmp[64];
	int err;

	if (load(&caps->whiteout) != CAP_REFUSED) {
		if (renameat2(sfd, sname, dfd, dname, RENAME_WHITEOUT) == 0) {
			if (load(&caps->whiteout) == CAP_WORKS)
				return 0;
			learn(&caps->whiteout, whiteout_at(sfd, sname));
			if (load(&caps->whiteout) == CAP_WORKS)
				return 0;
			/* A plain rename was done: the whiteout now. */
			return mknodat(sfd, sname, S_IFCHR, makedev(0, 0)) != 0 ? -errno : 0;
		}
		if (!refused(errno))
			return -errno;
		store(&caps->whiteout, CAP_REFUSED);
	}
	renamex_work_name(tmp, sizeof(tmp));
	if (mknodat(workfd, tmp, S_IFCHR, makedev(0, 0)) != 0)
		return -errno;
	if (renameat(sfd, sname, dfd, dname) != 0) {
		err = -errno;
		unlinkat(workfd, tmp, 0);
		return err;
	}
	if (renameat(workfd, tmp, sfd, sname) != 0) {
		/* The move is done; a whiteout made in place does as well. */
		unlinkat(workfd, tmp, 0);
		if (mknodat(sfd, sname, S_IFCHR, makedev(0, 0)) != 0)
			return -errno;
	}
	return 0;
}

int renamex_try_exchange(struct overlay_caps *caps, int afd, const char *aname, int bfd,
			 const char *bname)
{
	bool b_whiteout;

	if (load(&caps->exchange) == CAP_REFUSED)
		return 1;
	b_whiteout = load(&caps->exchange) == CAP_UNKNOWN && whiteout_at(bfd, bname);
	if (renameat2(afd, aname, bfd, bname, RENAME_EXCHANGE) == 0) {
		if (load(&caps->exchange) == CAP_WORKS)
			return 0;
		learn(&caps->exchange, faccessat(afd, aname, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
		if (load(&caps->exchange) == CAP_WORKS)
			return 0;
		/* The flag was ignored: a plain rename replaced @bname. Where
		 * that was a whiteout (every caller but the rebase commit,
		 * whose @bname is a non-empty directory that no rename
		 * replaces) putting one at @aname is the exchange. */
		if (b_whiteout)
			return mknodat(afd, aname, S_IFCHR, makedev(0, 0)) != 0 ? -errno : 0;
		return -EIO;
	}
	/* An exchange replaces nothing and takes any two types: ENOTEMPTY,
	 * EEXIST, ENOTDIR, EISDIR are a plain rename tried in its place (the
	 * flag ignored) that failed, so nothing happened. */
	if (!refused(errno) && errno != ENOTEMPTY && errno != EEXIST && errno != ENOTDIR &&
	    errno != EISDIR)
		return -errno;
	store(&caps->exchange, CAP_REFUSED);
	return 1;
}

int renamex_exchange(struct overlay_caps *caps, int workfd, int afd, const char *aname, int bfd,
		     const char *bname)
{
	char tmp[64];
	int err = renamex_try_exchange(caps, afd, aname, bfd, bname);

	if (err <= 0)
		return err;
	renamex_work_name(tmp, sizeof(tmp));
	if (renameat(bfd, bname, workfd, tmp) != 0)
		return -errno;
	if (renameat(afd, aname, bfd, bname) != 0) {
		err = -errno;
		renameat(workfd, tmp, bfd, bname); /* put it back */
		return err;
	}
	if (renameat(workfd, tmp, afd, aname) != 0)
		return -errno;
	return 0;
}

int renamex_tmpfile(struct overlay_caps *caps, int workfd, int mode)
{
	char tmp[64];
	int fd;

	if (load(&caps->tmpfile) != CAP_REFUSED) {
		fd = openat(workfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
		if (fd >= 0)
			return fd;
		if (errno != EOPNOTSUPP && errno != ENOTSUP && errno != EISDIR)
			return -errno;
		store(&caps->tmpfile, CAP_REFUSED);
	}
	renamex_work_name(tmp, sizeof(tmp));
	fd = openat(workfd, tmp, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	unlinkat(workfd, tmp, 0);
	return fd;
}
