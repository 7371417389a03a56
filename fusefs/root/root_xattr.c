/* SPDX-License-Identifier: MIT */
/* Root mounts: extended attributes. The union's own (trusted.overlay.*,
 * trusted.netbootfs.*) are never shown nor set. */
#include "fusefs/root/root_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Names the union keeps for itself and never shows. */
static bool xattr_private(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "trusted.netbootfs.", 18) == 0;
}

static ssize_t host_xattr(int dirfd, const char *name, const char *attr, char *buf, size_t size,
			  bool list)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char proc[64];
	ssize_t n;

	if (fd < 0)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = list ? listxattr(proc, buf, size) : getxattr(proc, attr, buf, size);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

static void reply_xattr(fuse_req_t req, const char *buf, ssize_t n, size_t size)
{
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else if ((size_t)n > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

static ssize_t get_xattr_of(struct rctx *c, uint64_t id, const char *attr, char *buf, size_t size,
			    bool list)
{
	char name[NAME_MAX + 1];
	struct dirlayers parent;
	struct uobj o;
	struct hfd *h;
	ssize_t n;
	int err;

	if (id == FUSE_ROOT_ID) {
		n = host_xattr(c->fs->u.upper_fd, ".", attr, buf, size, list);
		return n == -ENOTSUP ? (list ? 0 : -ENODATA) : n;
	}
	/* An overlay file open for handle-less I/O is the id's inode for
	 * life (hfd.h): ask it, without resolving the id through the layers.
	 * The common case is the security.capability the kernel asks on the
	 * first write to every file (file_remove_privs), just created. */
	h = hfd_get(&c->fs->u.hfd, id, false);
	if (h) {
		n = list ? flistxattr(h->fd, buf, size) : fgetxattr(h->fd, attr, buf, size);
		n = n < 0 ? -errno : n;
		hfd_put(&c->fs->u.hfd, h);
		return n == -ENOTSUP ? (list ? 0 : -ENODATA) : n;
	}
	err = layers_resolve_id(&c->fs->u, c->p, id, &parent, name, &o);
	if (err)
		return err;
	if (o.top == L_UPPER)
		n = host_xattr(parent.upper_fd, name, attr, buf, size, list);
	else if (o.top == L_SHARED)
		n = host_xattr(parent.shared_fd[o.top_shared], name, attr, buf, size, list);
	else if (o.top == L_IMAGE)
		n = list ? img_listxattr(c->p->gen, o.img, buf, size)
			 : img_getxattr(c->p->gen, o.img, attr, buf, size);
	else
		n = list ? 0 : -ENODATA;
	layers_close(&parent);
	/* Symlinks on the host take no xattr through the magic link. */
	if (n == -ENOTSUP || n == -ELOOP)
		n = list ? 0 : -ENODATA;
	return n;
}

void root_getxattr(fuse_req_t req, fuse_ino_t ino, const char *attr, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct rctx c;
	ssize_t n;
	int err;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	err = rctx_get(req, &c);
	if (err)
		n = err;
	else if (xattr_private(attr))
		n = -ENODATA;
	else
		n = get_xattr_of(&c, ino, attr, size ? buf : NULL, size, false);
	reply_xattr(req, buf, n, size);
	rctx_put(&c);
	free(buf);
}

void root_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char *all = malloc(65536), *out = malloc(65536);
	size_t olen = 0;
	struct rctx c;
	ssize_t n, i;
	int err;

	if (!all || !out) {
		free(all);
		free(out);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	err = rctx_get(req, &c);
	n = err ? err : get_xattr_of(&c, ino, NULL, all, 65536, true);
	for (i = 0; n > 0 && i < n; i += (ssize_t)strlen(all + i) + 1) {
		size_t l = strlen(all + i) + 1;

		if (xattr_private(all + i))
			continue;
		memcpy(out + olen, all + i, l);
		olen += l;
	}
	reply_xattr(req, out, n < 0 ? n : (ssize_t)olen, size);
	rctx_put(&c);
	free(all);
	free(out);
}

static void xattr_change(fuse_req_t req, fuse_ino_t ino, const char *attr, const char *value,
			 size_t size, int flags, bool remove)
{
	char name[NAME_MAX + 1], proc[64];
	struct dirlayers parent = {.upper_fd = -1};
	struct uobj o;
	struct rctx c;
	int err, fd = -1;

	err = rctx_get(req, &c);
	if (!err && xattr_private(attr))
		err = -EPERM;
	/* No POSIX ACLs: on the host they would change the mode behind the
	 * kernel's attribute cache. Without them cp and mv use chmod. */
	if (!err && strncmp(attr, "system.posix_acl_", 17) == 0)
		err = -EOPNOTSUPP;
	if (!err)
		err = root_copyup_id(&c, ino, &parent, name, &o);
	if (!err) {
		fd = openat(ino == FUSE_ROOT_ID ? c.fs->u.upper_fd : parent.upper_fd, name,
			    O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			err = -errno;
		layers_close(&parent);
	}
	if (!err) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if ((remove ? removexattr(proc, attr) : setxattr(proc, attr, value, size, flags)) !=
		    0)
			err = -errno;
	}
	if (fd >= 0)
		close(fd);
	fuse_reply_err(req, -err);
	rctx_put(&c);
}

void root_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
		   int flags)
{
	xattr_change(req, ino, name, value, size, flags, false);
}

void root_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	xattr_change(req, ino, name, NULL, 0, 0, true);
}
