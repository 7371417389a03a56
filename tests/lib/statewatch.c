/* SPDX-License-Identifier: MIT */
/*
 * statewatch: count the writes of one file, the way the kernel sees them.
 *
 *   statewatch [-b] DIR NAME
 *
 * Prints "ready" once the watch is in place, then one line per write of
 * DIR/NAME (replaced by a rename, or written in place and closed): the
 * CLOCK_REALTIME time in seconds with milliseconds. With -b, also a line
 * "begin TIME" each time DIR/.NAME.lock is opened: statefile_lock(), the
 * start of a locked read-merge-write, which can land much later than it
 * began when fsync is slow. Lines are flushed as they come. Runs until
 * killed (SIGTERM); exits 1 on any error.
 *
 * State files are replaced atomically (temporary file, rename), so each
 * write is exactly one IN_MOVED_TO of NAME; a temporary file's own events
 * carry another name and are not counted.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static void print_time(const char *prefix)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%s%lld.%03ld\n", prefix, (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	char lock[NAME_MAX + 2];
	uint32_t mask = IN_MOVED_TO | IN_CLOSE_WRITE;
	bool begins = argc == 4 && strcmp(argv[1], "-b") == 0;
	const char *dir, *name;
	int fd;

	if (argc != 3 && !begins) {
		fprintf(stderr, "usage: statewatch [-b] DIR NAME\n");
		return 2;
	}
	dir = argv[argc - 2];
	name = argv[argc - 1];
	if (snprintf(lock, sizeof(lock), ".%s.lock", name) >= (int)sizeof(lock)) {
		fprintf(stderr, "statewatch: %s: name too long\n", name);
		return 2;
	}
	if (begins)
		mask |= IN_OPEN;
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, dir, mask) < 0) {
		fprintf(stderr, "statewatch: %s: %s\n", dir, strerror(errno));
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

			if (ev->mask & IN_Q_OVERFLOW) {
				fprintf(stderr, "statewatch: event queue overflow\n");
				return 1;
			}
			if (ev->len && (ev->mask & IN_OPEN) && strcmp(ev->name, lock) == 0)
				print_time("begin ");
			else if (ev->len && (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) &&
				 strcmp(ev->name, name) == 0)
				print_time("");
			p += sizeof(*ev) + ev->len;
		}
	}
}
