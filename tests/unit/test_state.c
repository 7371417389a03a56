/* SPDX-License-Identifier: MIT */
/* <state>/nodes (slots) and <state>/discovered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mapper/mapper.h"
#include "mapper/state.h"
#include "lib/rmtree.h"

struct fixture {
	char root[64];
	char state[96]; /* <root>/var/state, not created yet */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->root, "/tmp/test_state.XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	snprintf(fx->state, sizeof(fx->state), "%s/var/state", fx->root);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = rmtree_at(AT_FDCWD, fx->root);

	free(fx);
	return rc;
}

static char *read_file(const char *dir, const char *name)
{
	char path[256], *buf;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s", dir);
	slash = strrchr(path, '/');
	*slash = '\0';
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
	assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void assert_file(const char *dir, const char *name, const char *want)
{
	char *got = read_file(dir, name);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static struct mapper *nodes(const char *names)
{
	char *text = NULL, *copy = strdup(names), *save = NULL, *tok;
	struct mapper_errors errs = {0};
	struct mapper *m = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_non_null(copy);
	fputs("[defaults]\nimage = i\n", f);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		fprintf(f, "[node:%s]\n", tok);
	fclose(f);
	assert_int_equal(mapper_load_string("t.ini", text, len, &m, &errs), 0);
	free(text);
	free(copy);
	return m;
}

#define HDR "# netbootfs node slots: name slot (a slot is never reused)\n"

static void assign(struct node_slots *s, const char *names)
{
	struct mapper *m = nodes(names);

	assert_int_equal(node_slots_assign(s, m), 0);
	mapper_free(m);
}

static void test_slots_assign_and_keep(void **state)
{
	struct fixture *fx = *state;
	struct node_slots *s;
	struct stat st;
	char path[160];
	ino_t ino;

	assert_int_equal(node_slots_load(fx->state, &s), 0);
	assert_int_equal(node_slots_get(s, "a"), 0);
	assign(s, "a b c");
	assert_int_equal(node_slots_get(s, "a"), 1);
	assert_int_equal(node_slots_get(s, "b"), 2);
	assert_int_equal(node_slots_get(s, "c"), 3);
	assert_int_equal(node_slots_get(s, "d"), 0);
	assert_int_equal(stat(fx->state, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_file(fx->state, "nodes", HDR "a 1\nb 2\nc 3\n");

	/* b leaves, d arrives: d does not get b's slot, and b keeps it */
	assign(s, "a c d");
	assert_int_equal(node_slots_get(s, "d"), 4);
	assert_int_equal(node_slots_get(s, "b"), 2);
	assert_file(fx->state, "nodes", HDR "a 1\nb 2\nc 3\nd 4\n");
	node_slots_free(s);

	/* after a restart, b comes back with its old slot */
	assert_int_equal(node_slots_load(fx->state, &s), 0);
	assert_int_equal(node_slots_get(s, "c"), 3);
	assign(s, "b e");
	assert_int_equal(node_slots_get(s, "b"), 2);
	assert_int_equal(node_slots_get(s, "e"), 5);
	assert_file(fx->state, "nodes", HDR "a 1\nb 2\nc 3\nd 4\ne 5\n");

	/* nothing new: the file is not rewritten (same inode) */
	snprintf(path, sizeof(path), "%s/nodes", fx->state);
	assert_int_equal(stat(path, &st), 0);
	ino = st.st_ino;
	assign(s, "a e");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_ino, ino);
	node_slots_free(s);
}

static void test_slots_two_writers(void **state)
{
	struct fixture *fx = *state;
	struct node_slots *s1, *s2;

	/* Both loaded before either assigns: the second must see the first's
	 * slots on disk rather than hand out slot 1 again. */
	assert_int_equal(node_slots_load(fx->state, &s1), 0);
	assert_int_equal(node_slots_load(fx->state, &s2), 0);
	assign(s1, "a");
	assign(s2, "b");
	assert_int_equal(node_slots_get(s2, "a"), 1);
	assert_int_equal(node_slots_get(s2, "b"), 2);
	assert_file(fx->state, "nodes", HDR "a 1\nb 2\n");
	node_slots_free(s1);
	node_slots_free(s2);
}

static void test_slots_bad_file(void **state)
{
	static const char *const bad[] = {
		"a 1\nb\n",  "a 1\nb 1\n", "a 1\na 2\n", "a 0\n",
		"a 65536\n", "A 1\n",	   "a 1 x\n",	 "a -1\n",
	};
	struct fixture *fx = *state;
	struct node_slots *s = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(fx->state, "nodes", bad[i]);
		assert_int_equal(node_slots_load(fx->state, &s), -EINVAL);
		assert_null(s);
	}
	write_file(fx->state, "nodes", "# comment\n\nz 65535\n");
	assert_int_equal(node_slots_load(fx->state, &s), 0);
	assert_int_equal(node_slots_get(s, "z"), 65535);
	{
		struct mapper *m = nodes("y");

		assert_int_equal(node_slots_assign(s, m), -ENOSPC);
		mapper_free(m);
	}
	node_slots_free(s);
}

static void test_discovered_record(void **state)
{
	struct fixture *fx = *state;
	struct discovered *d;
	size_t n;

	assert_int_equal(discovered_list(fx->state, &d, &n), 0);
	assert_int_equal(n, 0);
	free(d);

	assert_int_equal(discovered_record(fx->state, "1a2b3c4d", "tftp", NULL, NULL, NULL, 100),
			 0);
	assert_int_equal(discovered_record(fx->state, "dc-a6-32-01-02-03", "dhcp", "10.0.0.5",
					   "PXEClient:Arch:00000:UNDI:002001", "pi\tfour", 150),
			 0);
	assert_int_equal(
		discovered_record(fx->state, "1a2b3c4d", "dhcp", "10.0.0.9", "", NULL, 200), 0);
	assert_file(fx->state, "discovered",
		    "# id\tvia\tfirst_seen\tlast_seen\tcount\tip\tvendor\thostname\n"
		    "1a2b3c4d\tdhcp\t100\t200\t2\t10.0.0.9\t\t\n"
		    "dc-a6-32-01-02-03\tdhcp\t150\t150\t1\t10.0.0.5\tPXEClient:Arch:00000:UNDI:"
		    "002001\tpi_four\n");

	assert_int_equal(discovered_list(fx->state, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(d[0].id, "1a2b3c4d");
	assert_string_equal(d[0].via, "dhcp");
	assert_int_equal(d[0].first_seen, 100);
	assert_int_equal(d[0].last_seen, 200);
	assert_int_equal(d[0].count, 2);
	assert_string_equal(d[0].ip, "10.0.0.9");
	assert_string_equal(d[0].vendor, "");
	assert_string_equal(d[1].id, "dc-a6-32-01-02-03");
	assert_string_equal(d[1].vendor, "PXEClient:Arch:00000:UNDI:002001");
	assert_string_equal(d[1].hostname, "pi_four");
	assert_int_equal(d[1].count, 1);
	free(d);

	assert_int_equal(discovered_record(fx->state, "1A2B3C4D", "tftp", NULL, NULL, NULL, 1),
			 -EINVAL);
	assert_int_equal(discovered_record(fx->state, "rpi-01", "tftp", NULL, NULL, NULL, 1),
			 -EINVAL);
	assert_int_equal(discovered_record(fx->state, "1a2b3c4d", "", NULL, NULL, NULL, 1),
			 -EINVAL);
	assert_int_equal(discovered_record(fx->state, "1a2b3c4d", "t\tftp", NULL, NULL, NULL, 1),
			 -EINVAL);
}

static void test_discovered_skips_bad_lines(void **state)
{
	struct fixture *fx = *state;
	struct discovered *d;
	size_t n;

	write_file(fx->state, "discovered",
		   "garbage\n"
		   "1a2b3c4d\ttftp\t1\t2\t3\t\t\t\n"
		   "NOTANID\ttftp\t1\t2\t3\t\t\t\n"
		   "deadbeef\ttftp\tx\t2\t3\t\t\t\n"
		   "dc-a6-32-01-02-03\tdhcp\t5\t6\t7\t1.2.3.4\tv\th\n");
	assert_int_equal(discovered_list(fx->state, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(d[0].id, "1a2b3c4d");
	assert_int_equal(d[0].count, 3);
	assert_string_equal(d[1].id, "dc-a6-32-01-02-03");
	assert_string_equal(d[1].hostname, "h");
	free(d);
}

static void test_discovered_bounded(void **state)
{
	struct fixture *fx = *state;
	struct discovered *d;
	char *text = NULL;
	size_t len = 0, n, i;
	FILE *f = open_memstream(&text, &len);

	/* 4096 records; the one with the oldest last_seen (00000007) goes */
	assert_non_null(f);
	for (i = 0; i < 4096; i++)
		fprintf(f, "%08zx\ttftp\t1\t%zu\t1\t\t\t\n", i, i == 7 ? (size_t)1 : 1000 + i);
	fclose(f);
	write_file(fx->state, "discovered", text);
	free(text);
	assert_int_equal(discovered_record(fx->state, "ffffffff", "tftp", NULL, NULL, NULL, 9999),
			 0);
	assert_int_equal(discovered_list(fx->state, &d, &n), 0);
	assert_int_equal(n, 4096);
	for (i = 0; i < n; i++)
		assert_string_not_equal(d[i].id, "00000007");
	assert_string_equal(d[4095].id, "ffffffff");
	assert_string_equal(d[7].id, "00000008");
	free(d);
}

/* A batch in one write: counts add up, times widen, details a DHCP sighting
 * left stay, a malformed record refuses the whole batch. */
static void test_discovered_merge(void **state)
{
	struct fixture *fx = *state;
	struct discovered b[3] = {
		{.id = "dc-a6-32-01-02-03",
		 .via = "tftp",
		 .first_seen = 90,
		 .last_seen = 300,
		 .count = 5},
		{.id = "1a2b3c4d", .via = "tftp", .first_seen = 250, .last_seen = 260, .count = 2},
		{.id = "1a2b3c4d", .via = "tftp", .first_seen = 270, .last_seen = 280, .count = 1},
	};
	struct discovered bad = {.id = "NOTANID", .via = "tftp", .count = 1};
	char *before;

	assert_int_equal(discovered_record(fx->state, "dc-a6-32-01-02-03", "dhcp", "10.0.0.5",
					   "PXEClient", "pi", 150),
			 0);
	assert_int_equal(discovered_merge(fx->state, b, 3), 0);
	assert_file(fx->state, "discovered",
		    "# id\tvia\tfirst_seen\tlast_seen\tcount\tip\tvendor\thostname\n"
		    "dc-a6-32-01-02-03\ttftp\t90\t300\t6\t10.0.0.5\tPXEClient\tpi\n"
		    "1a2b3c4d\ttftp\t250\t280\t3\t\t\t\n");
	before = read_file(fx->state, "discovered");
	b[1] = bad;
	assert_int_equal(discovered_merge(fx->state, b, 2), -EINVAL);
	assert_file(fx->state, "discovered", before);
	free(before);
	assert_int_equal(discovered_merge(fx->state, NULL, 0), 0);
}

static void test_discovered_concurrent(void **state)
{
	struct fixture *fx = *state;
	struct discovered *d;
	pid_t pids[4];
	size_t n, i;

	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			int j, bad = 0;

			for (j = 0; j < 25; j++)
				bad |= discovered_record(fx->state, "0badcafe", "tftp", NULL, NULL,
							 NULL, 10 + j) != 0;
			_exit(bad);
		}
	}
	for (i = 0; i < 4; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(discovered_list(fx->state, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].count, 100);
	assert_int_equal(d[0].first_seen, 10);
	assert_int_equal(d[0].last_seen, 34);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slots_assign_and_keep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_two_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_bad_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovered_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovered_skips_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovered_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovered_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovered_concurrent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
