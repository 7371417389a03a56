/* SPDX-License-Identifier: MIT */
/* lib/writeall: write(2) until everything is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "lib/writeall.h"
#include "tests/unit/lib_fixture.h"

#define BIG (1u << 20) /* far more than a pipe holds at once */

static void *drain(void *arg)
{
	int fd = *(int *)arg;
	static unsigned char got[BIG];
	size_t n = 0;
	ssize_t r;

	/* Small reads, so the writer's pipe fills and it must wait. */
	while ((r = read(fd, got + n, n + 1000 <= BIG ? 1000 : BIG - n)) > 0)
		n += (size_t)r;
	return n == BIG ? got : NULL;
}

static void test_pipe_gets_everything(void **state)
{
	static unsigned char data[BIG];
	pthread_t t;
	int p[2];
	void *got;

	(void)state;
	for (size_t i = 0; i < BIG; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pthread_create(&t, NULL, drain, &p[0]), 0);
	assert_int_equal(write_all(p[1], data, BIG), 0);
	close(p[1]);
	assert_int_equal(pthread_join(t, &got), 0);
	assert_non_null(got);
	assert_memory_equal(got, data, BIG);
	close(p[0]);
}

static void test_errors(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(write_all(-1, "x", 1), -EBADF);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
	assert_int_equal(write_all(-1, "", 0), 0); /* nothing to write */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_gets_everything),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
