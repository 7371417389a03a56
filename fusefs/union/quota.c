/* SPDX-License-Identifier: MIT */
#include "fusefs/union/union_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define SCAN_MAX_DEPTH 256

int64_t quota_bytes(const struct stat *st)
{
	int64_t bytes = (int64_t)st->st_blocks * 512;

	return S_ISDIR(st->st_mode) || st->st_nlink <= 1 ? bytes : bytes / (int64_t)st->st_nlink;
}

int64_t quota_bytes_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? quota_bytes(&st) : 0;
}

/* The bytes of the open file @fd (all its names), or -1. */
static int64_t quota_fd_bytes(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (int64_t)st.st_blocks * 512 : -1;
}

static uint64_t limit_of(struct union_fs *fs)
{
	return fs->quota_limit ? atomic_load(fs->quota_limit) : 0;
}

void quota_add(struct union_fs *fs, int64_t bytes)
{
	int64_t used = atomic_fetch_add(&fs->quota_used, bytes) + bytes;
	uint64_t limit = limit_of(fs);

	if (used < 0) /* hard links, files changed behind us: never below 0 */
		atomic_compare_exchange_strong(&fs->quota_used, &used, 0);
	if (limit && (uint64_t)(used < 0 ? 0 : used) < limit)
		atomic_store(&fs->quota_full_logged, false);
}

int quota_check(struct union_fs *fs, uint64_t grow)
{
	uint64_t limit = limit_of(fs);
	int64_t used = atomic_load(&fs->quota_used);
	uint64_t u = used < 0 ? 0 : (uint64_t)used;

	if (!limit)
		return 0;
	if (grow ? u + grow <= limit && u + grow >= u : u < limit)
		return 0;
	if (!atomic_exchange(&fs->quota_full_logged, true))
		union_log(fs, LOG_WARNING, "overlay at its quota (%llu of %llu bytes used): EDQUOT",
			  (unsigned long long)u, (unsigned long long)limit);
	return -EDQUOT;
}

/* Bytes under the open directory @fd (consumed). */
static int64_t scan_dir(int fd, unsigned depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int64_t sum = 0;

	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		sum += quota_bytes(&st);
		if (!S_ISDIR(st.st_mode) || depth >= SCAN_MAX_DEPTH)
			continue;
		sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			sum += scan_dir(sub, depth + 1);
	}
	closedir(d);
	return sum;
}

void quota_scan(struct union_fs *fs)
{
	int fd = openat(fs->upper_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int64_t sum = fd >= 0 ? scan_dir(fd, 0) : 0;

	atomic_store(&fs->quota_used, sum);
	atomic_store(&fs->quota_full_logged, false);
	union_log(fs, LOG_DEBUG, "overlay uses %lld bytes", (long long)sum);
}

/* Count the change in @fd's blocks since they were @before. */
static void count_change(struct union_fs *fs, int fd, int64_t before)
{
	int64_t after = quota_fd_bytes(fd);

	if (before >= 0 && after >= 0 && after != before)
		quota_add(fs, after - before);
}

ssize_t quota_pwrite(struct union_fs *fs, int fd, const void *buf, size_t size, off_t off)
{
	struct stat st;
	uint64_t grow;
	int64_t before;
	ssize_t n;
	int err;

	if (fstat(fd, &st) != 0)
		return -errno;
	before = (int64_t)st.st_blocks * 512;
	/* A sparse file may take new blocks anywhere. */
	if (before < st.st_size)
		grow = size;
	else
		grow = (uint64_t)off + size > (uint64_t)st.st_size
			       ? (uint64_t)off + size - (uint64_t)st.st_size
			       : 0;
	if (grow) {
		err = quota_check(fs, grow);
		if (err)
			return err;
	}
	n = pwrite(fd, buf, size, off);
	if (n < 0)
		return -errno;
	count_change(fs, fd, before);
	return n;
}

int quota_ftruncate(struct union_fs *fs, int fd, off_t size)
{
	struct stat st;
	int err;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (size > st.st_size) {
		err = quota_check(fs, 0);
		if (err)
			return err;
	}
	if (ftruncate(fd, size) != 0)
		return -errno;
	count_change(fs, fd, (int64_t)st.st_blocks * 512);
	return 0;
}

int quota_fallocate(struct union_fs *fs, int fd, int mode, off_t off, off_t len)
{
	int64_t before = quota_fd_bytes(fd);
	int err;

	if (!(mode & FALLOC_FL_PUNCH_HOLE)) {
		err = quota_check(fs, (uint64_t)len);
		if (err)
			return err;
	}
	if (fallocate(fd, mode, off, len) != 0)
		return -errno;
	count_change(fs, fd, before);
	return 0;
}
