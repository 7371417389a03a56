/* SPDX-License-Identifier: MIT */
/* Shared by the lib/ unit tests: a scratch directory, whole-file reads,
 * and a tiny tmpfs in a private mount namespace (root only). */
#ifndef NETBOOTFS_TEST_LIB_FIXTURE_H
#define NETBOOTFS_TEST_LIB_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/rmtree.h"

#define LF static inline __attribute__((unused))

LF char *lf_tmpdir(const char *tag)
{
	char *dir;

	if (asprintf(&dir, "/tmp/test_lib_%s.XXXXXX", tag) < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

LF void lf_rm_rf(const char *dir)
{
	rmtree_at(AT_FDCWD, dir);
}

/* The whole file @path, NUL-terminated (static buffer), or NULL. */
LF const char *lf_slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

LF void lf_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Entries of @dir other than . and .., or -1. */
LF int lf_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* A private mount namespace for this process, so the tmpfs it mounts
 * vanishes with it; false when not allowed (not root). */
LF int lf_private_mounts(void)
{
	static int done = -1;

	if (done < 0)
		done = unshare(CLONE_NEWNS) == 0 &&
		       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
	return done;
}

/* Mount a tmpfs of @size bytes on @dir (flags: MS_RDONLY...). */
LF int lf_tmpfs(const char *dir, unsigned long size, unsigned long flags)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "size=%lu,mode=0755", size);
	return mount("tmpfs", dir, "tmpfs", flags, opts) == 0 ? 0 : -errno;
}

#endif
