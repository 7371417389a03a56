/* SPDX-License-Identifier: MIT */
/*
 * fhandle: what an NFS server does with file handles, for tests.
 *
 *   fhandle save PATH HANDLE_FILE        name_to_handle_at(PATH) -> file
 *   fhandle cat  MOUNT_DIR HANDLE_FILE   open_by_handle_at, copy content to stdout
 *   fhandle stat MOUNT_DIR HANDLE_FILE   open_by_handle_at(O_PATH), print
 *                                        "TYPE INO NLINK" (any file type)
 *
 * "cat" exits 3 with the errno name on stderr when the handle is refused
 * (ESTALE for a handle of another mount, for example).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/ftype.h"

#define HANDLE_MAX 128

static int save(const char *path, const char *out)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + HANDLE_MAX);
	int mount_id;
	FILE *f;

	fh->handle_bytes = HANDLE_MAX;
	if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0) != 0) {
		fprintf(stderr, "fhandle: %s: %s\n", path, strerror(errno));
		free(fh);
		return 1;
	}
	f = fopen(out, "wb");
	if (!f || fwrite(fh, sizeof(*fh) + fh->handle_bytes, 1, f) != 1 || fclose(f) != 0) {
		fprintf(stderr, "fhandle: %s: %s\n", out, strerror(errno));
		return 1;
	}
	free(fh);
	return 0;
}

static int open_handle(const char *mnt, const char *in, int flags)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + HANDLE_MAX);
	int mfd, fd = -1;
	FILE *f = fopen(in, "rb");

	if (!f || fread(fh, 1, sizeof(*fh) + HANDLE_MAX, f) < sizeof(*fh)) {
		fprintf(stderr, "fhandle: %s: cannot read handle\n", in);
		goto out;
	}
	mfd = open(mnt, O_RDONLY | O_DIRECTORY);
	if (mfd < 0) {
		fprintf(stderr, "fhandle: %s: %s\n", mnt, strerror(errno));
		goto out;
	}
	fd = open_by_handle_at(mfd, fh, flags);
	if (fd < 0) {
		fprintf(stderr, "fhandle: open_by_handle_at: %s\n", strerrorname_np(errno));
		fd = -3;
	}
	close(mfd);
out:
	if (f)
		fclose(f);
	free(fh);
	return fd;
}

static int stat_handle(const char *mnt, const char *in)
{
	struct stat st;
	int fd = open_handle(mnt, in, O_PATH | O_NOFOLLOW);

	if (fd < 0)
		return fd == -3 ? 3 : 1;
	if (fstat(fd, &st) != 0) {
		fprintf(stderr, "fhandle: fstat: %s\n", strerrorname_np(errno));
		close(fd);
		return 3;
	}
	printf("%s %llu %lu\n", ftype_name(st.st_mode), (unsigned long long)st.st_ino,
	       (unsigned long)st.st_nlink);
	close(fd);
	return 0;
}

static int cat(const char *mnt, const char *in)
{
	char buf[65536];
	ssize_t n;
	int fd = open_handle(mnt, in, O_RDONLY);

	if (fd < 0)
		return fd == -3 ? 3 : 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	if (n < 0) {
		fprintf(stderr, "fhandle: read: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "save") == 0)
		return save(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "cat") == 0)
		return cat(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "stat") == 0)
		return stat_handle(argv[2], argv[3]);
	fprintf(stderr, "usage: fhandle save PATH HANDLE | fhandle cat|stat MOUNT HANDLE\n");
	return 2;
}
