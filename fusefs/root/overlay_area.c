/* SPDX-License-Identifier: MIT */
#include "fusefs/root/overlay_area.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusefs/serve/log.h"
#include "fusefs/root/rootattr.h"

#define AREA_MODE 0700

/* "@dir/@name", or "@name" when @dir is NULL: for the log. */
static const char *shown_path(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
	return buf;
}

/*
 * Check the open directory @fd (@shown in the log) and repair its mode. A
 * node's overlay (@node_root) keeps the node's view of its "/" in an xattr
 * first (rootattr.h); its owner is the node's doing and is repaired too.
 */
static int secure_fd(int fd, const char *shown, bool node_root, bool fresh)
{
	struct stat st;
	int err;

	if (node_root) {
		err = rootattr_record(fd, fresh);
		if (err) {
			log_err("overlays: %s: cannot record the node's root attributes: %s", shown,
				strerror(-err));
			return err;
		}
	}
	if (fstat(fd, &st) != 0) {
		err = -errno;
		log_err("overlays: %s: %s", shown, strerror(errno));
		return err;
	}
	if (node_root && (st.st_uid != geteuid() || st.st_gid != getegid())) {
		if (fchown(fd, geteuid(), getegid()) != 0) {
			err = -errno;
			log_err("overlays: %s: cannot give it back to the daemon: %s", shown,
				strerror(errno));
			return err;
		}
		log_warn("overlays: %s was owned by %u:%u: now %u:%u", shown, (unsigned)st.st_uid,
			 (unsigned)st.st_gid, (unsigned)geteuid(), (unsigned)getegid());
		st.st_uid = geteuid();
	}
	if (st.st_uid != geteuid()) {
		log_err("overlays: %s is owned by uid %u, not by the daemon (uid %u): refused",
			shown, (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (!(st.st_mode & 077))
		return 0;
	if (fchmod(fd, AREA_MODE) != 0) {
		err = -errno;
		log_err("overlays: %s is mode %04o, open to other users, and cannot be made %04o: "
			"%s",
			shown, (unsigned)(st.st_mode & 07777), AREA_MODE, strerror(errno));
		return err;
	}
	log_warn("overlays: %s was mode %04o, open to other users: now %04o", shown,
		 (unsigned)(st.st_mode & 07777), AREA_MODE);
	return 0;
}

static int dir_at(int dirfd, const char *dir, const char *name, bool node_root)
{
	char shown[PATH_MAX + NAME_MAX + 2];
	bool fresh = true;
	int fd, err;

	shown_path(shown, sizeof(shown), dir, name);
	if (mkdirat(dirfd, name, AREA_MODE) != 0) {
		if (errno != EEXIST) {
			err = -errno;
			log_err("overlays: cannot make %s: %s", shown, strerror(errno));
			return err;
		}
		fresh = false;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_err("overlays: %s: %s", shown, strerror(errno));
		return err;
	}
	err = secure_fd(fd, shown, node_root, fresh);
	close(fd);
	return err;
}

int overlay_area_dir_at(int dirfd, const char *dir, const char *name)
{
	return dir_at(dirfd, dir, name, false);
}

int overlay_area_node_dir_at(int dirfd, const char *dir, const char *name)
{
	return dir_at(dirfd, dir, name, true);
}

/* The directories in @fd (@dir in the log) the daemon owns: every one but
 * the shared layers; @depth 0 is <overlays> itself. */
static int secure_children(int fd, const char *dir, unsigned depth)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	int err = 0, e;

	if (!d) {
		err = -errno;
		if (dfd >= 0)
			close(dfd);
		log_err("overlays: cannot list %s: %s", dir, strerror(-err));
		return err;
	}
	while ((de = readdir(d))) {
		char shown[PATH_MAX + NAME_MAX + 2];
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || de->d_name[0] == '@')
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue; /* not a directory, or gone */
		shown_path(shown, sizeof(shown), dir, de->d_name);
		/* Node names start with a letter or a digit. */
		e = secure_fd(sub, shown, depth == 0 && de->d_name[0] != '.', false);
		/* .work, archives: the per-node directories in them too. */
		if (!e && depth == 0 && de->d_name[0] == '.')
			e = secure_children(sub, shown, depth + 1);
		close(sub);
		if (e && !err)
			err = e;
	}
	closedir(d);
	return err;
}

int overlay_area_secure(const char *overlays)
{
	int fd, err;

	err = overlay_area_dir_at(AT_FDCWD, NULL, overlays);
	if (err)
		return err;
	fd = open(overlays, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_err("overlays: %s: %s", overlays, strerror(errno));
		return err;
	}
	err = secure_children(fd, overlays, 0);
	close(fd);
	return err;
}
