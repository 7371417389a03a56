/* SPDX-License-Identifier: MIT */
#include "ctl/overlay_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 256

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* Sizes under the open directory @fd (consumed). */
static int usage_at(int fd, dev_t dev, unsigned depth, uint64_t *bytes)
{
	DIR *dir = fdopendir(fd);
	struct dirent *de;
	int err = 0;

	if (!dir) {
		err = -errno;
		close(fd);
		return err;
	}
	while (!err && (de = readdir(dir))) {
		struct stat st;
		int sub;

		if (is_dot(de->d_name))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT)
				err = -errno;
			continue;
		}
		if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
			*bytes += (uint64_t)st.st_size;
		if (!S_ISDIR(st.st_mode) || st.st_dev != dev)
			continue;
		if (depth >= MAX_DEPTH) {
			err = -ELOOP;
			break;
		}
		sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			if (errno != ENOENT)
				err = -errno;
			continue;
		}
		err = usage_at(sub, dev, depth + 1, bytes);
	}
	closedir(dir);
	return err;
}

int overlay_usage(const char *path, uint64_t *bytes)
{
	struct stat st;
	int fd;

	*bytes = 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -errno;
	}
	return usage_at(fd, st.st_dev, 0, bytes);
}

char *overlay_last_rebase(const char *overlay)
{
	const char *slash = strrchr(overlay, '/');
	char dir[PATH_MAX], path[PATH_MAX + 300], newest[256] = "", *line = NULL, *out = NULL;
	size_t cap = 0, len = 0;
	struct dirent *de;
	FILE *f, *mem;
	bool first = true;
	DIR *d;

	if (!slash)
		return NULL;
	snprintf(dir, sizeof(dir), "%.*s/.archive/%s", (int)(slash - overlay), overlay, slash + 1);
	d = opendir(dir);
	if (!d)
		return NULL;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, newest) > 0)
			snprintf(newest, sizeof(newest), "%s", de->d_name);
	closedir(d);
	snprintf(path, sizeof(path), "%s/%s/report", dir, newest);
	f = newest[0] ? fopen(path, "re") : NULL;
	mem = f ? open_memstream(&out, &len) : NULL;
	while (mem && getline(&line, &cap, f) > 0) {
		if (first || !strncmp(line, "conflict ", 9))
			fputs(line, mem);
		first = false;
	}
	free(line);
	if (mem)
		fclose(mem);
	if (f)
		fclose(f);
	if (out && !*out) {
		free(out);
		out = NULL;
	}
	return out;
}
