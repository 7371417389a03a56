/* SPDX-License-Identifier: MIT */
/* Node leases (lib/lease.h): OFD write locks on
 * <overlays>/.leases/<node>. Two open file descriptions conflict even in
 * one process, which is what lets these tests, and one daemon, see a lease
 * as taken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/lease.h"
#include "lib/rmtree.h"

struct fx {
	char *dir;
	int fd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->dir = strdup("/tmp/test_lease.XXXXXX");
	if (!f->dir || !mkdtemp(f->dir))
		return -1;
	f->fd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	*state = f;
	return f->fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->fd);
	rmtree_at(AT_FDCWD, f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static const struct lease_holder srv_a = {.server = "srv-a", .host = "host-a", .pid = 101};
static const struct lease_holder srv_b = {.server = "srv-b", .host = "host-b", .pid = 202};

static void slurp(struct fx *f, const char *node, char *buf, size_t size)
{
	char path[512];
	FILE *in;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s/%s", f->dir, LEASE_DIR, node);
	in = fopen(path, "r");
	assert_non_null(in);
	n = fread(buf, 1, size - 1, in);
	buf[n] = '\0';
	fclose(in);
}

static void test_second_taker_is_refused_and_told_who(void **state)
{
	struct fx *f = *state;
	struct lease a = LEASE_INIT, b = LEASE_INIT;
	struct lease_holder who;
	time_t before = time(NULL);
	char desc[200];

	assert_int_equal(lease_take(f->fd, "n1", &srv_a, &a, &who), 0);
	assert_true(lease_held(&a));
	assert_true(a.since >= before && a.since <= time(NULL));
	/* A second open file description in the same process: refused. */
	assert_int_equal(lease_take(f->fd, "n1", &srv_b, &b, &who), -EBUSY);
	assert_false(lease_held(&b));
	assert_string_equal(who.server, "srv-a");
	assert_string_equal(who.host, "host-a");
	assert_int_equal(who.pid, 101);
	assert_int_equal(who.since, a.since);
	lease_holder_describe(&who, desc, sizeof(desc));
	assert_string_equal(desc, "srv-a (host host-a, pid 101)");
	/* Another node's lease is another lock. */
	assert_int_equal(lease_take(f->fd, "n2", &srv_b, &b, NULL), 0);
	lease_release(&b);
	lease_release(&a);
}

static void test_release_frees_and_empties(void **state)
{
	struct fx *f = *state;
	struct lease a = LEASE_INIT, b = LEASE_INIT;
	struct lease_holder who;
	char buf[256], want[256];
	struct stat st;
	char path[512];

	assert_int_equal(lease_take(f->fd, "n1", &srv_a, &a, NULL), 0);
	/* Taking a lease already held through @a is a no-op. */
	assert_int_equal(lease_take(f->fd, "n1", &srv_a, &a, NULL), 0);
	slurp(f, "n1", buf, sizeof(buf));
	snprintf(want, sizeof(want), "server=srv-a host=host-a pid=101 since=%lld\n",
		 (long long)a.since);
	assert_string_equal(buf, want);
	lease_release(&a);
	assert_false(lease_held(&a));
	slurp(f, "n1", buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* The file stays (a holder locks its inode), and the next taker gets it. */
	assert_int_equal(lease_take(f->fd, "n1", &srv_b, &b, &who), 0);
	assert_string_equal(who.server, "");
	slurp(f, "n1", buf, sizeof(buf));
	assert_true(strncmp(buf, "server=srv-b host=host-b pid=202 since=", 39) == 0);
	lease_release(&b);
	/* The lease directory is root-only, like the rest of the overlays area. */
	snprintf(path, sizeof(path), "%s/%s", f->dir, LEASE_DIR);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

/* What fencing rests on: the holder's death frees the lease, at once on a
 * local filesystem. */
static void test_holder_killed_frees_lease(void **state)
{
	struct fx *f = *state;
	struct lease b = LEASE_INIT;
	struct lease_holder who;
	int ready[2], status;
	char c;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct lease a = LEASE_INIT;
		struct lease_holder me = srv_a;

		me.pid = getpid();
		close(ready[0]);
		if (lease_take(f->fd, "n1", &me, &a, NULL) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(lease_take(f->fd, "n1", &srv_b, &b, &who), -EBUSY);
	assert_int_equal(who.pid, pid);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(lease_take(f->fd, "n1", &srv_b, &b, &who), 0);
	lease_release(&b);
}

/* A look that takes nothing: another server's lease, held or not. */
static void test_probe(void **state)
{
	struct fx *f = *state;
	struct lease a = LEASE_INIT, b = LEASE_INIT;
	struct lease_holder who;

	assert_int_equal(lease_probe(f->fd, ".alive.x", &who), 0); /* no file yet */
	assert_int_equal(lease_take(f->fd, ".alive.x", &srv_a, &a, NULL), 0);
	assert_int_equal(lease_probe(f->fd, ".alive.x", &who), -EBUSY);
	assert_string_equal(who.server, "srv-a");
	assert_int_equal(who.pid, 101);
	lease_release(&a);
	assert_int_equal(lease_probe(f->fd, ".alive.x", &who), 0);
	/* the probe left nothing held */
	assert_int_equal(lease_take(f->fd, ".alive.x", &srv_b, &b, NULL), 0);
	lease_release(&b);
}

static void test_holder_line(void **state)
{
	struct lease_holder h = {
		.server = "s1", .host = "h.example", .pid = 42, .since = 1700000000};
	struct lease_holder back;
	char buf[256];

	(void)state;
	assert_int_equal(lease_holder_format(&h, buf, sizeof(buf)),
			 (int)strlen("server=s1 host=h.example pid=42 since=1700000000\n"));
	assert_string_equal(buf, "server=s1 host=h.example pid=42 since=1700000000\n");
	assert_true(lease_holder_parse(buf, &back));
	assert_string_equal(back.server, "s1");
	assert_string_equal(back.host, "h.example");
	assert_int_equal(back.pid, 42);
	assert_int_equal(back.since, 1700000000);
	/* Anything else is no holder: status says "unknown". */
	assert_false(lease_holder_parse("", &back));
	assert_false(lease_holder_parse("server=s1 host=h pid=x since=1\n", &back));
	assert_false(lease_holder_parse("server=s1 host=h since=1\n", &back));
	assert_false(lease_holder_parse("xserver=s1 host=h pid=1 since=1\n", &back));
	assert_int_equal(back.pid, 0);
	lease_holder_describe(&back, buf, sizeof(buf));
	assert_string_equal(buf, "an unknown holder");
	/* Too long for the buffer: refused, not cut. */
	assert_int_equal(lease_holder_format(&h, buf, 10), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_second_taker_is_refused_and_told_who, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_frees_and_empties, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holder_killed_frees_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test(test_holder_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
