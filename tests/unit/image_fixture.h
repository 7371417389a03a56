/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the images/ unit tests: temporary trees, deterministic file
 * content, and mksquashfs run without a shell.
 *
 * Content is pseudo-random but compressible (words from a small list chosen
 * by a seeded generator), so mksquashfs writes real multi-block files.
 */
#ifndef NETBOOTFS_TEST_IMAGE_FIXTURE_H
#define NETBOOTFS_TEST_IMAGE_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/rmtree.h"

#define FX static __attribute__((unused))

extern char **environ;

/* Fill @buf with @size bytes of the content stream for @seed. */
FX void fx_content(void *buf, size_t size, uint64_t seed)
{
	static const char *const words[] = {
		"kernel ",    "initrd ",  "firmware ", "overlay ",    "squashfs ",   "netboot ",
		"serial\n",   "cmdline ", "dtb ",      "config.txt ", "start4.elf ", "bootcode ",
		"raspberry ", "pi ",	  "nfsroot ",  "tftp\n",
	};
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	char *p = buf;
	size_t done = 0;

	while (done < size) {
		const char *w;
		size_t len;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w = words[x & 15];
		len = strlen(w);
		if (((x >> 8) & 31) == 0) { /* now and then an incompressible byte */
			p[done++] = (char)(x >> 24);
			continue;
		}
		if (len > size - done)
			len = size - done;
		memcpy(p + done, w, len);
		done += len;
	}
}

FX char *fx_path(const char *dir, const char *rel)
{
	char *s;

	if (asprintf(&s, "%s/%s", dir, rel) < 0)
		abort();
	return s;
}

FX void fx_mkdirs(const char *dir, const char *rel)
{
	char *path = fx_path(dir, rel);

	mkdir(dir, 0755);
	for (char *p = path + strlen(dir) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
	free(path);
}

/* Write @size content bytes for @seed to @dir/@rel; return them (malloc). */
FX unsigned char *fx_write(const char *dir, const char *rel, size_t size, uint64_t seed)
{
	char *path = fx_path(dir, rel);
	unsigned char *buf = malloc(size ? size : 1);
	int fd;

	if (!buf)
		abort();
	fx_content(buf, size, seed);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size || close(fd) < 0)
		abort();
	free(path);
	return buf;
}

FX void fx_write_str(const char *dir, const char *rel, const char *s)
{
	char *path = fx_path(dir, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s) || close(fd) < 0)
		abort();
	free(path);
}

FX void fx_symlink(const char *dir, const char *rel, const char *target)
{
	char *path = fx_path(dir, rel);

	if (symlink(target, path) < 0)
		abort();
	free(path);
}

/* Whole file into memory (malloc), length in *@len; NULL if unreadable. */
FX unsigned char *fx_slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		abort();
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

FX void fx_spit(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || close(fd) < 0)
		abort();
}

/* Run argv (searched in PATH) with stdout silenced; exit status or -1. */
FX int fx_run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* mksquashfs @src @out -noappend -quiet [extra options, NULL-terminated]. */
FX int fx_mksquashfs(const char *src, const char *out, ...)
{
	char *argv[32] = {"mksquashfs", (char *)src, (char *)out, "-noappend", "-quiet"};
	int n = 5;
	va_list ap;
	char *arg;

	va_start(ap, out);
	while ((arg = va_arg(ap, char *)) && n < 31)
		argv[n++] = arg;
	va_end(ap);
	argv[n] = NULL;
	return fx_run(argv);
}

FX char *fx_tmpdir(void)
{
	char *dir = strdup("/tmp/nbfs-images-XXXXXX");

	if (!dir || !mkdtemp(dir))
		abort();
	return dir;
}

FX void fx_rm_rf(const char *dir)
{
	rmtree_at(AT_FDCWD, dir);
}

FX int fx_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory stream itself */
}

/* Little-endian superblock fields by offset. */
#define FX_SB_MAJOR	  28
#define FX_SB_COMP	  20
#define FX_SB_BLOCK	  12
#define FX_SB_BYTES_USED  40
#define FX_SB_ROOT_INODE  32
#define FX_SB_INODE_TABLE 64

FX uint64_t fx_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

FX void fx_put_le(unsigned char *p, int bytes, uint64_t v)
{
	for (int i = 0; i < bytes; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

#endif
