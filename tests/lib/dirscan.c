/* SPDX-License-Identifier: MIT */
/*
 * dirscan: read a directory the way nfsd does, one small chunk per open.
 *
 *   dirscan DIR BUFSIZE [DELLIST ADDPREFIX]
 *
 * Each round opens DIR, seeks to the d_off of the last entry the previous
 * round returned, reads ONE getdents64 buffer of BUFSIZE bytes and closes
 * the directory again. Names go to stdout, one per line ("." and ".."
 * left out), in the order they were returned.
 *
 * With DELLIST and ADDPREFIX, between rounds k and k+1 the directory is
 * changed: the k-th name of the file DELLIST (one name a line) is unlinked
 * and the file ADDPREFIX<k> is created, until DELLIST runs out.
 *
 * On stderr: "rounds R deleted D added A". Exit 0, or 1 on any error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct mutation {
	FILE *dellist;
	const char *prefix;
	unsigned deleted;
	unsigned added;
};

/* Apply round @k's change. Returns 0, or -1 after a message. */
static int mutate(int dirfd, struct mutation *m, unsigned k)
{
	char name[4096];
	int fd;

	if (!m->dellist)
		return 0;
	if (!fgets(name, sizeof(name), m->dellist)) {
		fclose(m->dellist);
		m->dellist = NULL;
		return 0;
	}
	name[strcspn(name, "\n")] = '\0';
	if (unlinkat(dirfd, name, 0) != 0) {
		fprintf(stderr, "dirscan: unlink %s: %s\n", name, strerror(errno));
		return -1;
	}
	m->deleted++;
	snprintf(name, sizeof(name), "%s%u", m->prefix, k);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || close(fd) != 0) {
		fprintf(stderr, "dirscan: create %s: %s\n", name, strerror(errno));
		return -1;
	}
	m->added++;
	return 0;
}

int main(int argc, char **argv)
{
	struct mutation m = {0};
	unsigned rounds = 0;
	int64_t off = 0;
	size_t bufsize;
	char *buf;
	int rc = 1;

	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: dirscan DIR BUFSIZE [DELLIST ADDPREFIX]\n");
		return 2;
	}
	bufsize = strtoul(argv[2], NULL, 0);
	buf = malloc(bufsize);
	if (!buf)
		return 1;
	if (argc == 5) {
		m.dellist = fopen(argv[3], "r");
		m.prefix = argv[4];
		if (!m.dellist) {
			fprintf(stderr, "dirscan: %s: %s\n", argv[3], strerror(errno));
			goto out;
		}
	}
	for (;;) {
		int fd = open(argv[1], O_RDONLY | O_DIRECTORY);
		long n, pos;

		if (fd < 0) {
			fprintf(stderr, "dirscan: open %s: %s\n", argv[1], strerror(errno));
			goto out;
		}
		if (off != 0 && lseek(fd, (off_t)off, SEEK_SET) != (off_t)off) {
			fprintf(stderr, "dirscan: lseek %lld: %s\n", (long long)off,
				strerror(errno));
			close(fd);
			goto out;
		}
		n = syscall(SYS_getdents64, fd, buf, bufsize);
		if (n < 0) {
			fprintf(stderr, "dirscan: getdents64 after offset %lld: %s\n",
				(long long)off, strerror(errno));
			close(fd);
			goto out;
		}
		rounds++;
		for (pos = 0; pos < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + pos);

			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
				printf("%s\n", d->d_name);
			off = d->d_off;
			pos += d->d_reclen;
		}
		if (n == 0) {
			close(fd);
			break;
		}
		if (mutate(fd, &m, rounds) != 0) {
			close(fd);
			goto out;
		}
		close(fd);
	}
	fprintf(stderr, "rounds %u deleted %u added %u\n", rounds, m.deleted, m.added);
	rc = 0;
out:
	if (m.dellist)
		fclose(m.dellist);
	free(buf);
	return rc;
}
