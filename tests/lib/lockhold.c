/* SPDX-License-Identifier: MIT */
/*
 * lockhold: take a whole-file write lock, for tests of what a shared file
 * system does with locks (across mounts, when the holder dies).
 *
 *   lockhold KIND PATH try     take it and let it go: prints "locked" and
 *                              exits 0, or prints "busy" and exits 1
 *   lockhold KIND PATH hold    take it (or print "busy", exit 1), print
 *                              "locked" and keep it until killed; each
 *                              SIGUSR1 writes "probe N\n" at offset 0 of
 *                              the locked file through the locked
 *                              descriptor and fsyncs it, printing
 *                              "probe N: ok" or "probe N: ERRNO-NAME"
 *
 * KIND: ofd (F_OFD_SETLK, the lock a netbootfs lease takes), posix
 * (F_SETLK) or flock (flock(2), as the image lock). The file is created
 * (0644) when missing. Other errors print the errno name and exit 2.
 * Output is line-buffered, so a test can read it from a file at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static volatile sig_atomic_t probes;

static void on_usr1(int sig)
{
	(void)sig;
	probes++;
}

static int take(const char *kind, int fd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	if (!strcmp(kind, "ofd"))
		return fcntl(fd, F_OFD_SETLK, &fl);
	if (!strcmp(kind, "posix"))
		return fcntl(fd, F_SETLK, &fl);
	return flock(fd, LOCK_EX | LOCK_NB);
}

static void probe(int fd, int n)
{
	char line[32];
	int len = snprintf(line, sizeof(line), "probe %d\n", n);

	if (pwrite(fd, line, (size_t)len, 0) != len || fsync(fd) != 0)
		printf("probe %d: %s\n", n, strerrorname_np(errno));
	else
		printf("probe %d: ok\n", n);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	sigset_t mask, old;
	int fd, done = 0;

	if (argc != 4 ||
	    (strcmp(argv[1], "ofd") && strcmp(argv[1], "posix") && strcmp(argv[1], "flock")) ||
	    (strcmp(argv[3], "try") && strcmp(argv[3], "hold"))) {
		fprintf(stderr, "usage: lockhold ofd|posix|flock PATH try|hold\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Blocked until the lock is held: a probe never comes before it. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigaction(SIGUSR1, &sa, NULL);
	fd = open(argv[2], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 2;
	}
	if (take(argv[1], fd) != 0) {
		if (errno == EAGAIN || errno == EACCES || errno == EWOULDBLOCK) {
			printf("busy\n");
			return 1;
		}
		printf("%s\n", strerrorname_np(errno));
		return 2;
	}
	printf("locked\n");
	if (!strcmp(argv[3], "try"))
		return 0;
	for (;;) {
		sigsuspend(&old);
		while (done < probes)
			probe(fd, ++done);
	}
}
