/* SPDX-License-Identifier: MIT */
/*
 * fsop: one file system call per run, for POSIX conformance tests (in the
 * spirit of pjdfstest's fstest, written from scratch).
 *
 *   fsop [-u UID:GID] OP ARG...
 *
 * On success prints the op's output (see below) or "0"; on failure prints
 * the errno name (EEXIST, ENOTEMPTY, ...) and exits 1. Usage errors exit 2.
 * -u drops to UID:GID with no supplementary groups before the call. The
 * umask is 0, so modes are exactly the ones given.
 *
 *   open PATH FLAGS [MODE]        FLAGS: O_RDONLY,O_WRONLY|O_CREAT,... ("," or "|")
 *   mkdir PATH MODE | rmdir PATH | unlink PATH
 *   rename OLD NEW | renameat2 OLD NEW noreplace|exchange|whiteout|0
 *   link OLD NEW | symlink TARGET PATH | readlink PATH   (prints the target)
 *   mknod PATH f|c|b|p|s MODE [MAJOR MINOR]
 *   chmod PATH MODE | chown PATH UID GID | lchown PATH UID GID
 *   truncate PATH SIZE | ftruncate PATH SIZE
 *   pwrite PATH OFFSET TEXT       write TEXT at OFFSET (file must exist)
 *   pread PATH OFFSET LEN         print LEN bytes at OFFSET (short at EOF)
 *   append PATH TEXT              O_WRONLY|O_APPEND, lseek to 0, write TEXT;
 *                                 prints the file offset after the write
 *   setxattr PATH NAME VALUE [create|replace] | getxattr PATH NAME
 *   listxattr PATH                (names, sorted, one per line)
 *   removexattr PATH NAME
 *   utimens PATH ASEC ANSEC MSEC MNSEC
 *   fsync PATH | fdatasync PATH | fsyncdir PATH
 *   statfs PATH                   prints "bsize blocks bfree bavail files namelen"
 *   stat PATH | lstat PATH        prints "type mode uid gid size nlink ino rdevmaj:rdevmin blocks"
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/lib/ftype.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif

struct flag_name {
	const char *name;
	int value;
};

static const struct flag_name open_flags[] = {
	{"O_RDONLY", O_RDONLY},	    {"O_WRONLY", O_WRONLY},	  {"O_RDWR", O_RDWR},
	{"O_CREAT", O_CREAT},	    {"O_EXCL", O_EXCL},		  {"O_TRUNC", O_TRUNC},
	{"O_APPEND", O_APPEND},	    {"O_DIRECTORY", O_DIRECTORY}, {"O_NOFOLLOW", O_NOFOLLOW},
	{"O_NONBLOCK", O_NONBLOCK}, {"O_SYNC", O_SYNC},		  {"O_TMPFILE", O_TMPFILE},
};

static int usage(void)
{
	fprintf(stderr, "usage: fsop [-u UID:GID] OP ARG... (see tests/lib/fsop.c)\n");
	return 2;
}

static int parse_open_flags(const char *s, int *out)
{
	char *copy = strdup(s), *save = NULL, *tok;
	int flags = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",|", &save); tok; tok = strtok_r(NULL, ",|", &save)) {
		size_t i;

		for (i = 0; i < sizeof(open_flags) / sizeof(open_flags[0]); i++)
			if (strcmp(tok, open_flags[i].name) == 0)
				break;
		if (i == sizeof(open_flags) / sizeof(open_flags[0])) {
			fprintf(stderr, "fsop: unknown open flag %s\n", tok);
			free(copy);
			return -1;
		}
		flags |= open_flags[i].value;
	}
	free(copy);
	*out = flags;
	return 0;
}

static unsigned long long num(const char *s)
{
	return strtoull(s, NULL, 0);
}

static mode_t mode_arg(const char *s)
{
	return (mode_t)strtoul(s, NULL, 8);
}

static int print_stat(const struct stat *st)
{
	printf("%s %04o %u %u %lld %lu %llu %u:%u %lld\n", ftype_name(st->st_mode),
	       (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid, (unsigned)st->st_gid,
	       (long long)st->st_size, (unsigned long)st->st_nlink, (unsigned long long)st->st_ino,
	       major(st->st_rdev), minor(st->st_rdev), (long long)st->st_blocks);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_listxattr(const char *path)
{
	char buf[65536], *names[4096];
	ssize_t n = listxattr(path, buf, sizeof(buf));
	size_t count = 0, i;
	char *p;

	if (n < 0)
		return -1;
	for (p = buf; p < buf + n && count < 4096; p += strlen(p) + 1)
		names[count++] = p;
	qsort(names, count, sizeof(names[0]), cmp_str);
	for (i = 0; i < count; i++)
		printf("%s\n", names[i]);
	if (count == 0)
		printf("\n");
	return 0;
}

static int with_fd(const char *path, int flags, int (*fn)(int fd, char **args), char **args)
{
	int fd = open(path, flags), rc, saved;

	if (fd < 0)
		return -1;
	rc = fn(fd, args);
	saved = errno;
	if (close(fd) != 0 && rc == 0)
		return -1;
	errno = saved;
	return rc;
}

static int fd_pwrite(int fd, char **args)
{
	size_t len = strlen(args[1]);
	ssize_t n = pwrite(fd, args[1], len, (off_t)num(args[0]));

	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int fd_pread(int fd, char **args)
{
	size_t len = (size_t)num(args[1]);
	char *buf = malloc(len ? len : 1);
	ssize_t n;

	if (!buf)
		return -1;
	n = pread(fd, buf, len, (off_t)num(args[0]));
	if (n < 0) {
		free(buf);
		return -1;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	free(buf);
	return 1; /* output printed */
}

static int fd_append(int fd, char **args)
{
	size_t len = strlen(args[0]);
	ssize_t n;
	off_t pos;

	/* O_APPEND must ignore the file offset. */
	if (lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	n = write(fd, args[0], len);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0)
		return -1;
	printf("%lld\n", (long long)pos);
	return 1;
}

static int fd_ftruncate(int fd, char **args)
{
	return ftruncate(fd, (off_t)num(args[0]));
}

static int fd_fsync(int fd, char **args)
{
	(void)args;
	return fsync(fd);
}

static int fd_fdatasync(int fd, char **args)
{
	(void)args;
	return fdatasync(fd);
}

static int do_mknod(char **a, int argc)
{
	mode_t type;
	dev_t dev = 0;

	switch (a[1][0]) {
	case 'f':
		type = S_IFREG;
		break;
	case 'c':
		type = S_IFCHR;
		break;
	case 'b':
		type = S_IFBLK;
		break;
	case 'p':
		type = S_IFIFO;
		break;
	case 's':
		type = S_IFSOCK;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (argc >= 5)
		dev = makedev((unsigned)num(a[3]), (unsigned)num(a[4]));
	return mknod(a[0], type | mode_arg(a[2]), dev);
}

static int drop_privileges(const char *spec)
{
	unsigned uid, gid;

	if (sscanf(spec, "%u:%u", &uid, &gid) != 2)
		return -1;
	if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0) {
		perror("fsop: dropping privileges");
		return -1;
	}
	return 0;
}

/* Returns -1 with errno on failure, 0 for "print 0", 1 when output was printed. */
static int run(const char *op, char **a, int argc)
{
	struct stat st;
	struct statfs sfs;
	char buf[65536];
	ssize_t n;
	int flags, fd;

#define NEED(k)                    \
	do {                       \
		if (argc < (k))    \
			return -2; \
	} while (0)
	if (strcmp(op, "open") == 0) {
		NEED(2);
		if (parse_open_flags(a[1], &flags) != 0)
			return -2;
		fd = open(a[0], flags, argc >= 3 ? mode_arg(a[2]) : 0);
		if (fd < 0)
			return -1;
		return close(fd);
	}
	if (strcmp(op, "mkdir") == 0) {
		NEED(2);
		return mkdir(a[0], mode_arg(a[1]));
	}
	if (strcmp(op, "rmdir") == 0) {
		NEED(1);
		return rmdir(a[0]);
	}
	if (strcmp(op, "unlink") == 0) {
		NEED(1);
		return unlink(a[0]);
	}
	if (strcmp(op, "rename") == 0) {
		NEED(2);
		return rename(a[0], a[1]);
	}
	if (strcmp(op, "renameat2") == 0) {
		NEED(3);
		flags = strcmp(a[2], "noreplace") == 0	? RENAME_NOREPLACE
			: strcmp(a[2], "exchange") == 0 ? RENAME_EXCHANGE
			: strcmp(a[2], "whiteout") == 0 ? RENAME_WHITEOUT
							: 0;
		return renameat2(AT_FDCWD, a[0], AT_FDCWD, a[1], (unsigned)flags);
	}
	if (strcmp(op, "link") == 0) {
		NEED(2);
		return link(a[0], a[1]);
	}
	if (strcmp(op, "symlink") == 0) {
		NEED(2);
		return symlink(a[0], a[1]);
	}
	if (strcmp(op, "readlink") == 0) {
		NEED(1);
		n = readlink(a[0], buf, sizeof(buf) - 1);
		if (n < 0)
			return -1;
		buf[n] = '\0';
		printf("%s\n", buf);
		return 1;
	}
	if (strcmp(op, "mknod") == 0) {
		NEED(3);
		return do_mknod(a, argc);
	}
	if (strcmp(op, "chmod") == 0) {
		NEED(2);
		return chmod(a[0], mode_arg(a[1]));
	}
	if (strcmp(op, "chown") == 0 || strcmp(op, "lchown") == 0) {
		NEED(3);
		return (op[0] == 'l' ? lchown : chown)(a[0], (uid_t)num(a[1]), (gid_t)num(a[2]));
	}
	if (strcmp(op, "truncate") == 0) {
		NEED(2);
		return truncate(a[0], (off_t)num(a[1]));
	}
	if (strcmp(op, "ftruncate") == 0) {
		NEED(2);
		return with_fd(a[0], O_WRONLY, fd_ftruncate, a + 1);
	}
	if (strcmp(op, "pwrite") == 0) {
		NEED(3);
		return with_fd(a[0], O_WRONLY, fd_pwrite, a + 1);
	}
	if (strcmp(op, "pread") == 0) {
		NEED(3);
		return with_fd(a[0], O_RDONLY, fd_pread, a + 1);
	}
	if (strcmp(op, "append") == 0) {
		NEED(2);
		return with_fd(a[0], O_WRONLY | O_APPEND, fd_append, a + 1);
	}
	if (strcmp(op, "setxattr") == 0) {
		NEED(3);
		flags = argc < 4 ? 0 : strcmp(a[3], "create") == 0 ? XATTR_CREATE : XATTR_REPLACE;
		return setxattr(a[0], a[1], a[2], strlen(a[2]), flags);
	}
	if (strcmp(op, "getxattr") == 0) {
		NEED(2);
		n = getxattr(a[0], a[1], buf, sizeof(buf) - 1);
		if (n < 0)
			return -1;
		buf[n] = '\0';
		printf("%s\n", buf);
		return 1;
	}
	if (strcmp(op, "listxattr") == 0) {
		NEED(1);
		return do_listxattr(a[0]) == 0 ? 1 : -1;
	}
	if (strcmp(op, "removexattr") == 0) {
		NEED(2);
		return removexattr(a[0], a[1]);
	}
	if (strcmp(op, "utimens") == 0) {
		struct timespec ts[2];

		NEED(5);
		ts[0].tv_sec = (time_t)num(a[1]);
		ts[0].tv_nsec = (long)num(a[2]);
		ts[1].tv_sec = (time_t)num(a[3]);
		ts[1].tv_nsec = (long)num(a[4]);
		return utimensat(AT_FDCWD, a[0], ts, 0);
	}
	if (strcmp(op, "fsync") == 0) {
		NEED(1);
		return with_fd(a[0], O_WRONLY, fd_fsync, NULL);
	}
	if (strcmp(op, "fdatasync") == 0) {
		NEED(1);
		return with_fd(a[0], O_WRONLY, fd_fdatasync, NULL);
	}
	if (strcmp(op, "fsyncdir") == 0) {
		NEED(1);
		return with_fd(a[0], O_RDONLY | O_DIRECTORY, fd_fsync, NULL);
	}
	if (strcmp(op, "statfs") == 0) {
		NEED(1);
		if (statfs(a[0], &sfs) != 0)
			return -1;
		printf("%lld %llu %llu %llu %llu %lld\n", (long long)sfs.f_bsize,
		       (unsigned long long)sfs.f_blocks, (unsigned long long)sfs.f_bfree,
		       (unsigned long long)sfs.f_bavail, (unsigned long long)sfs.f_files,
		       (long long)sfs.f_namelen);
		return 1;
	}
	if (strcmp(op, "stat") == 0 || strcmp(op, "lstat") == 0) {
		NEED(1);
		if ((op[0] == 'l' ? lstat : stat)(a[0], &st) != 0)
			return -1;
		return print_stat(&st) == 0 ? 1 : -1;
	}
#undef NEED
	return -2;
}

int main(int argc, char **argv)
{
	int i = 1, rc;

	if (argc > 2 && strcmp(argv[1], "-u") == 0) {
		if (drop_privileges(argv[2]) != 0)
			return 2;
		i = 3;
	}
	if (argc - i < 1)
		return usage();
	umask(0);
	errno = 0;
	rc = run(argv[i], argv + i + 1, argc - i - 1);
	if (rc == -2)
		return usage();
	if (rc < 0) {
		printf("%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
		return 1;
	}
	if (rc == 0)
		printf("0\n");
	return 0;
}
