/* SPDX-License-Identifier: MIT */
#include "ctl/image_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_image_file(int dfd, const struct dirent *de)
{
	size_t len = strlen(de->d_name), slen = strlen(IMAGE_SUFFIX);
	struct stat st;

	if (de->d_name[0] == '.' || len <= slen || strcmp(de->d_name + len - slen, IMAGE_SUFFIX))
		return false;
	if (de->d_type == DT_REG)
		return true;
	/* DT_UNKNOWN or a symlink: ask stat (a link to an image counts). */
	return fstatat(dfd, de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

int image_names_list(const char *dir, char ***names, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		if (!is_image_file(dirfd(d), de))
			continue;
		if (cnt == cap) {
			char **nv;

			cap = cap ? 2 * cap : 16;
			nv = reallocarray(v, cap, sizeof(*v));
			if (!nv) {
				ret = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		v[cnt] = strndup(de->d_name, strlen(de->d_name) - strlen(IMAGE_SUFFIX));
		if (!v[cnt]) {
			ret = -ENOMEM;
			goto out;
		}
		cnt++;
	}
	if (errno)
		ret = -errno;
out:
	closedir(d);
	if (ret < 0) {
		image_names_free(v, cnt);
		return ret;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return 0;
}

void image_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

char *image_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s%s", dir, name, IMAGE_SUFFIX) < 0)
		return NULL;
	return p;
}
