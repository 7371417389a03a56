/* SPDX-License-Identifier: MIT */
#include "fusefs/root/rootattr.h"

#include "fusefs/root/root.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#define XATTR_ROOT "trusted.netbootfs.root"

struct rootattr {
	uint32_t mode, uid, gid;
};

static int get(int fd, struct rootattr *ra)
{
	int n = host_getxattr(fd, ".", XATTR_ROOT, ra, sizeof(*ra));

	if (n < 0)
		return n;
	return n == sizeof(*ra) ? 0 : -ENODATA;
}

static int put(int fd, const struct rootattr *ra)
{
	return host_setxattr(fd, ".", XATTR_ROOT, ra, sizeof(*ra));
}

int rootattr_record(int fd, bool fresh)
{
	struct rootattr ra;
	struct stat st;

	if (get(fd, &ra) == 0)
		return 0;
	if (fstat(fd, &st) != 0)
		return -errno;
	ra.mode = fresh ? 0755 : st.st_mode & 07777;
	ra.uid = fresh ? geteuid() : st.st_uid;
	ra.gid = fresh ? getegid() : st.st_gid;
	return put(fd, &ra);
}

void rootattr_apply(int fd, struct stat *st)
{
	struct rootattr ra;

	if (get(fd, &ra) != 0)
		return;
	st->st_mode = (st->st_mode & S_IFMT) | (ra.mode & 07777);
	st->st_uid = ra.uid;
	st->st_gid = ra.gid;
}

int rootattr_set(int fd, bool set_mode, mode_t mode, uid_t uid, gid_t gid)
{
	struct rootattr ra;
	int err = get(fd, &ra);

	if (err)
		return err;
	if (set_mode)
		ra.mode = mode & 07777;
	if (uid != (uid_t)-1)
		ra.uid = uid;
	if (gid != (gid_t)-1)
		ra.gid = gid;
	return put(fd, &ra);
}
