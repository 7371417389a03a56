/* SPDX-License-Identifier: MIT */
/*
 * statewatch: count the writes of one file, the way the kernel sees them.
 *
 *   statewatch DIR NAME
 *
 * Prints "ready" once the watch is in place, then one line per write of
 * DIR/NAME (replaced by a rename, or written in place and closed): the
 * CLOCK_REALTIME time in seconds with milliseconds. Lines are flushed as
 * they come. Runs until killed (SIGTERM); exits 1 on any error.
 *
 * State files are replaced atomically (temporary file, rename), so each
 * write is exactly one IN_MOVED_TO of NAME; a temporary file's own events
 * carry another name and are not counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: statewatch DIR NAME\n");
		return 2;
	}
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, argv[1], IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		fprintf(stderr, "statewatch: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t len = read(fd, buf, sizeof(buf));
		char *p = buf;

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			fprintf(stderr, "statewatch: read: %s\n", len ? strerror(errno) : "EOF");
			return 1;
		}
		while (p < buf + len) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			struct timespec ts;

			if (ev->mask & IN_Q_OVERFLOW) {
				fprintf(stderr, "statewatch: event queue overflow\n");
				return 1;
			}
			if (ev->len && strcmp(ev->name, argv[2]) == 0) {
				clock_gettime(CLOCK_REALTIME, &ts);
				printf("%lld.%03ld\n", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
				fflush(stdout);
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}
