/* SPDX-License-Identifier: MIT */
#include "fusefs/union/ijournal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define IJOURNAL_CHUNK (1u << 20)

static int map_size(struct ijournal *j, size_t cap)
{
	char *m;

	if (ftruncate(j->fd, (off_t)cap) != 0)
		return -errno;
	m = j->map ? mremap(j->map, j->cap, cap, MREMAP_MAYMOVE)
		   : mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	j->map = m;
	j->cap = cap;
	return 0;
}

int ijournal_open(struct ijournal *j, const char *path)
{
	int err;

	j->map = NULL;
	j->cap = j->pos = 0;
	j->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return -errno;
	err = map_size(j, IJOURNAL_CHUNK);
	if (err)
		ijournal_close(j);
	return err;
}

int ijournal_append(struct ijournal *j, const char *rec, size_t len)
{
	int err;

	if (j->fd < 0)
		return 0;
	if (j->pos + len > j->cap) {
		size_t cap = j->cap;

		while (j->pos + len > cap)
			cap += IJOURNAL_CHUNK;
		if (cap > (j->max ? j->max : IJOURNAL_MAX))
			return -ENOSPC;
		err = map_size(j, cap);
		if (err)
			return err;
	}
	memcpy(j->map + j->pos, rec, len);
	j->pos += len;
	return 0;
}

void ijournal_close(struct ijournal *j)
{
	if (j->map)
		munmap(j->map, j->cap);
	if (j->fd >= 0)
		close(j->fd);
	j->map = NULL;
	j->fd = -1;
	j->cap = j->pos = 0;
}
