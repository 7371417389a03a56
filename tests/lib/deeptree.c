/* SPDX-License-Identifier: MIT */
/*
 * deeptree: work on a directory chain deeper than PATH_MAX from inside it,
 * the way a process with a deep current directory does: every call takes a
 * name relative to the current directory or to a directory fd, never a
 * path. Level i (1-based) of a chain is named "L%03d" padded with one
 * letter to LEN bytes; a renamed level starts with "R" instead.
 *
 *   deeptree build ROOT N LEN      make the chain below ROOT from inside,
 *                                  write, read back, stat and rename in it
 *   deeptree remove ROOT N LEN     remove it again, bottom-up, from inside
 *   deeptree list DIR              every entry below DIR, depth first:
 *                                  depth, name, type, mode, owner, and the
 *                                  size and SHA-256 of files
 *   deeptree cat ROOT N LEN NAME   copy NAME at the chain's bottom to stdout
 *   deeptree write ROOT N LEN NAME TEXT   create NAME there holding TEXT
 *   deeptree handle ROOT N LEN NAME FILE  name_to_handle_at of NAME there,
 *                                  saved as tests/lib/fhandle.c saves one
 *
 * build and remove print one line per step: the step, its level and "0" or
 * the errno name, so that two runs (netbootfs, kernel overlayfs) compare
 * with diff. They stop at the first failure. Exit 0 when every step
 * succeeded, 1 otherwise, 2 on usage errors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/ftype.h"

#define HANDLE_MAX 128
#define DATA_LEN   (65536 + 123)
#define LEVELS_MAX 1000

static unsigned levels, namelen, renamed_level;
static int failed;

static void level_name(char *buf, unsigned i, bool renamed)
{
	int n = snprintf(buf, NAME_MAX + 1, "%c%03u", renamed ? 'R' : 'L', i);

	memset(buf + n, 'a' + (int)(i % 26), namelen - (unsigned)n);
	buf[namelen] = '\0';
}

/* The name level @i has after build's rename. */
static void final_name(char *buf, unsigned i)
{
	level_name(buf, i, i == renamed_level);
}

/* Print one step's outcome; false (and the chain stops) on failure. */
static bool step(const char *what, unsigned level, int rc)
{
	if (rc == 0) {
		printf("%s %u 0\n", what, level);
		return true;
	}
	printf("%s %u %s\n", what, level, strerrorname_np(errno));
	failed = 1;
	return false;
}

static void pattern(char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)((i * 131 + i / 251) & 0xff);
}

static int write_file(int dirfd, const char *name, const char *data, size_t len, mode_t mode)
{
	int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	if (close(fd) != 0 || n != (ssize_t)len) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* 0 when @name in the current directory holds exactly the pattern. */
static int check_data(const char *name)
{
	static char want[DATA_LEN], got[DATA_LEN + 1];
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	pattern(want, sizeof(want));
	n = read(fd, got, sizeof(got));
	close(fd);
	if (n != DATA_LEN || memcmp(want, got, DATA_LEN) != 0) {
		errno = EBADMSG; /* "the bytes differ" */
		return -1;
	}
	return 0;
}

static void print_stat(const char *what, unsigned level, const char *name)
{
	struct stat st;

	if (fstatat(AT_FDCWD, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		step(what, level, -1);
		return;
	}
	printf("%s %u %s %04o size=%lld\n", what, level, ftype_name(st.st_mode),
	       (unsigned)(st.st_mode & 07777), S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
}

/* chdir to ROOT and down the chain's final names; false on failure. */
static bool descend(const char *root, const char *what)
{
	char name[NAME_MAX + 1];
	unsigned i;

	if (!step(what, 0, chdir(root)))
		return false;
	for (i = 1; i <= levels; i++) {
		final_name(name, i);
		if (chdir(name) != 0)
			return step(what, i, -1);
	}
	return step(what, levels, 0);
}

static int build(const char *root)
{
	static char data[DATA_LEN];
	char name[NAME_MAX + 1], rname[NAME_MAX + 1];
	static ino_t ino[LEVELS_MAX + 1];
	unsigned i, same = 0, kept = 0;
	int above_renamed = -1;
	struct stat st;

	if (!step("chdir", 0, chdir(root)))
		return 1;
	for (i = 1; i <= levels; i++) {
		level_name(name, i, false);
		if (i == renamed_level)
			above_renamed = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (!step("mkdir", i, mkdir(name, i % 2 ? 0755 : 0750)) ||
		    !step("chdir", i, chdir(name)) || !step("stat", i, stat(".", &st)))
			return 1;
		ino[i] = st.st_ino;
	}
	/* At the bottom: a file written and read back, renamed. */
	pattern(data, sizeof(data));
	if (!step("write", levels, write_file(AT_FDCWD, "data", data, sizeof(data), 0640)) ||
	    !step("read", levels, check_data("data")))
		return 1;
	print_stat("stat-data", levels, "data");
	if (!step("rename-file", levels, rename("data", "data.renamed")))
		return 1;
	print_stat("stat-old", levels, "data");
	failed = 0; /* ENOENT expected just above */
	print_stat("stat-new", levels, "data.renamed");
	/* A level half-way up renamed while this process works below it. */
	level_name(name, renamed_level, false);
	level_name(rname, renamed_level, true);
	if (!step("rename-dir", renamed_level, renameat(above_renamed, name, above_renamed, rname)))
		return 1;
	close(above_renamed);
	if (!step("read-after", levels, check_data("data.renamed")) ||
	    !step("write-after", levels, write_file(AT_FDCWD, "after", "after\n", 6, 0600)))
		return 1;
	/* Two walks down: by chdir and names, then by directory fds. */
	if (!step("chdir", 0, chdir(root)))
		return 1;
	for (i = 1; i <= levels; i++) {
		final_name(name, i);
		print_stat("stat", i, name);
		if (!step("chdir", i, chdir(name)) || !step("stat", i, stat(".", &st)))
			return 1;
		kept += st.st_ino == ino[i];
	}
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	for (i = 1; fd >= 0 && i <= levels; i++) {
		int next;

		final_name(name, i);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		if (fd >= 0 && fstat(fd, &st) == 0)
			same += st.st_ino == ino[i];
	}
	if (!step("openat-walk", levels, fd >= 0 ? 0 : -1))
		return 1;
	close(fd);
	printf("ino-stable %u/%u\n", same, levels);
	printf("ino-kept %u/%u\n", kept, levels);
	return failed || same != levels || kept != levels;
}

static int remove_chain(const char *root)
{
	char name[NAME_MAX + 1];
	unsigned i;

	if (!descend(root, "descend"))
		return 1;
	if (!step("unlink", levels, unlink("data.renamed")) ||
	    !step("unlink", levels, unlink("after")))
		return 1;
	step("rmdir-cwd", levels, rmdir("."));
	failed = 0; /* EINVAL expected: rmdir(".") */
	for (i = levels; i >= 1; i--) {
		final_name(name, i);
		if (!step("chdir-up", i, chdir("..")) || !step("rmdir", i, rmdir(name)))
			return 1;
	}
	/* Level 1 is gone from ROOT's listing too. */
	if (access(name, F_OK) == 0)
		errno = EEXIST;
	else if (errno == ENOENT)
		errno = 0;
	return step("gone", 1, errno ? -1 : 0) ? 0 : 1;
}

/* SHA-256 (FIPS 180-4) of a file's content, for the listing. */
static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(uint32_t h[8], const unsigned char *b)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

/* Print the SHA-256 of file @name of @dirfd (or the errno name). */
static void print_sha256(int dirfd, const char *name)
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	unsigned char buf[64 + 72];
	uint64_t total = 0;
	size_t have = 0, i;
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		printf(" %s", strerrorname_np(errno));
		return;
	}
	while ((n = read(fd, buf + have, 64 - have)) > 0) {
		have += (size_t)n;
		total += (uint64_t)n;
		if (have == 64) {
			sha_block(h, buf);
			have = 0;
		}
	}
	close(fd);
	buf[have++] = 0x80;
	memset(buf + have, 0, sizeof(buf) - have);
	have = have > 56 ? 128 : 64;
	for (i = 0; i < 8; i++)
		buf[have - 1 - i] = (unsigned char)((total * 8) >> (8 * i));
	for (i = 0; i < have; i += 64)
		sha_block(h, buf + i);
	printf(" ");
	for (i = 0; i < 8; i++)
		printf("%08x", h[i]);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per entry: depth, name, type, mode, size of non-dirs. */
static int list_at(int dirfd, unsigned depth)
{
	DIR *d = fdopendir(dirfd);
	char **names = NULL;
	size_t n = 0, i;
	struct dirent *de;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(de->d_name);
	}
	qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		struct stat st;

		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			printf("%u %s %s\n", depth, names[i], strerrorname_np(errno));
			continue;
		}
		printf("%u %s %s %04o %u:%u", depth, names[i], ftype_name(st.st_mode),
		       (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
		if (!S_ISDIR(st.st_mode)) {
			printf(" size=%lld", (long long)st.st_size);
			if (S_ISREG(st.st_mode))
				print_sha256(dirfd, names[i]);
			printf("\n");
			continue;
		}
		printf("\n");
		int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (sub < 0 || list_at(sub, depth + 1) != 0)
			printf("%u %s: cannot list: %s\n", depth, names[i], strerrorname_np(errno));
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return 0;
}

/* Open the chain's bottom directory below @root by directory fds. */
static int bottom_fd(const char *root)
{
	char name[NAME_MAX + 1];
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned i;

	for (i = 1; fd >= 0 && i <= levels; i++) {
		int next;

		level_name(name, i, false);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd < 0)
		fprintf(stderr, "deeptree: level %u: %s\n", i - 1, strerrorname_np(errno));
	return fd;
}

static int cat(const char *root, const char *name)
{
	char buf[65536];
	int dfd = bottom_fd(root), fd;
	ssize_t n;

	if (dfd < 0)
		return 1;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		fprintf(stderr, "deeptree: %s: %s\n", name, strerrorname_np(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0;
}

static int write_at_bottom(const char *root, const char *name, const char *text)
{
	int dfd = bottom_fd(root), err;

	if (dfd < 0)
		return 1;
	err = write_file(dfd, name, text, strlen(text), 0644);
	if (err)
		fprintf(stderr, "deeptree: %s: %s\n", name, strerrorname_np(errno));
	close(dfd);
	return err ? 1 : 0;
}

static int save_handle(const char *root, const char *name, const char *out)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + HANDLE_MAX);
	int dfd = bottom_fd(root), mount_id;
	FILE *f;

	if (dfd < 0 || !fh) {
		free(fh);
		return 1;
	}
	fh->handle_bytes = HANDLE_MAX;
	if (name_to_handle_at(dfd, name, fh, &mount_id, 0) != 0) {
		fprintf(stderr, "deeptree: %s: %s\n", name, strerrorname_np(errno));
		free(fh);
		close(dfd);
		return 1;
	}
	close(dfd);
	f = fopen(out, "wb");
	if (!f || fwrite(fh, sizeof(*fh) + fh->handle_bytes, 1, f) != 1 || fclose(f) != 0)
		return 1;
	free(fh);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "list")) {
		int fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		return fd < 0 || list_at(fd, 0) != 0;
	}
	if (argc < 5)
		goto usage;
	levels = (unsigned)strtoul(argv[3], NULL, 10);
	namelen = (unsigned)strtoul(argv[4], NULL, 10);
	renamed_level = levels / 2 ? levels / 2 : 1;
	if (!levels || levels > LEVELS_MAX || namelen < 8 || namelen > NAME_MAX)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(0);
	if (argc == 5 && !strcmp(argv[1], "build"))
		return build(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "remove"))
		return remove_chain(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "cat"))
		return cat(argv[2], argv[5]);
	if (argc == 7 && !strcmp(argv[1], "write"))
		return write_at_bottom(argv[2], argv[5], argv[6]);
	if (argc == 7 && !strcmp(argv[1], "handle"))
		return save_handle(argv[2], argv[5], argv[6]);
usage:
	fprintf(stderr, "usage: see tests/lib/deeptree.c\n");
	return 2;
}
