/* SPDX-License-Identifier: MIT */
/* Several servers from one ini: [server:NAME], `server =`, the spread, and
 * the table as one server sees it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/mapper.h"

static struct mapper *load_as(const char *text, const char *self)
{
	struct mapper_errors errs = {0};
	struct mapper *m = NULL;
	int rc = mapper_load_string_as("t.ini", text, strlen(text), self, &m, &errs);

	if (rc) {
		mapper_errors_print(&errs, stderr);
		mapper_errors_free(&errs);
		fail_msg("load failed: %d", rc);
	}
	assert_non_null(m);
	return m;
}

static void expect_errors_as(const char *text, const char *self, const char *want)
{
	struct mapper_errors errs = {0};
	struct mapper *m = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int rc = mapper_load_string_as("t.ini", text, strlen(text), self, &m, &errs);

	assert_int_equal(rc, -EINVAL);
	assert_null(m);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	mapper_errors_print(&errs, f);
	fclose(f);
	mapper_errors_free(&errs);
	assert_string_equal(out, want);
	free(out);
}

static const char two[] = "[server]\n"			/* 1 */
			  "nfs_root = /srv/nfs\n"	/* 2 */
			  "address = 10.0.0.9\n"	/* 3 */
			  "[server:alpha]\n"		/* 4 */
			  "address = 10.0.0.1\n"	/* 5 */
			  "control = /run/alpha.sock\n" /* 6 */
			  "[server:beta]\n"		/* 7 */
			  "address = 10.0.0.2\n"	/* 8 */
			  "[defaults]\n"		/* 9 */
			  "image = img\n"		/* 10 */
			  "[profile:rack2]\n"		/* 11 */
			  "server = beta\n"		/* 12 */
			  "[node:n1]\n"			/* 13 */
			  "serial = 0000000a\n"		/* 14 */
			  "server = alpha\n"		/* 15 */
			  "[node:n2]\n"			/* 16 */
			  "mac = b8:27:eb:00:00:02\n"	/* 17 */
			  "profile = rack2\n";		/* 18 */

/* Without a self every node is listed, each with its server. */
static void test_all_nodes_with_servers(void **state)
{
	struct mapper *m = load_as(two, NULL);
	char buf[64];

	(void)state;
	assert_int_equal(mapper_server_count(m), 2);
	assert_string_equal(mapper_server_name(m, 0), "alpha");
	assert_string_equal(mapper_server_name(m, 1), "beta");
	assert_string_equal(mapper_server_config(m, "alpha")->address, "10.0.0.1");
	assert_string_equal(mapper_server_config(m, "alpha")->control, "/run/alpha.sock");
	/* beta keeps [server]'s control and nfs_root */
	assert_string_equal(mapper_server_config(m, "beta")->control, "/run/netbootfs.sock");
	assert_string_equal(mapper_server_config(m, "beta")->nfs_root, "/srv/nfs");
	assert_null(mapper_server_config(m, "gamma"));
	assert_string_equal(mapper_self(m), "");
	assert_int_equal(mapper_node_count(m), 2);
	assert_string_equal(mapper_find_name(m, "n1")->server, "alpha");
	assert_string_equal(mapper_find_name(m, "n2")->server, "beta");
	assert_string_equal(mapper_find_name(m, "n2")->origin[NODE_KEY_SERVER].section,
			    "profile:rack2");
	assert_string_equal(
		node_key_value(mapper_find_name(m, "n1"), NODE_KEY_SERVER, buf, sizeof(buf)),
		"alpha");
	assert_int_equal(mapper_other_count(m), 0);
	mapper_free(m);
}

/* As one server: its nodes only, its config, the others found apart. */
static void test_as_one_server(void **state)
{
	struct mapper *m = load_as(two, "alpha");

	(void)state;
	assert_string_equal(mapper_self(m), "alpha");
	assert_string_equal(mapper_server(m)->address, "10.0.0.1");
	assert_string_equal(mapper_server(m)->control, "/run/alpha.sock");
	assert_int_equal(mapper_node_count(m), 1);
	assert_string_equal(mapper_node_at(m, 0)->name, "n1");
	assert_non_null(mapper_find_serial(m, "0000000a"));
	assert_null(mapper_find_name(m, "n2"));
	assert_null(mapper_find_mac(m, "b8-27-eb-00-00-02"));
	assert_int_equal(mapper_other_count(m), 1);
	assert_string_equal(mapper_find_other(m, "b8-27-eb-00-00-02")->name, "n2");
	assert_string_equal(mapper_find_other(m, "n2")->server, "beta");
	assert_null(mapper_find_other(m, "0000000a"));
	/* every node: this server's first, then the others' */
	assert_int_equal(mapper_all_count(m), 2);
	assert_string_equal(mapper_all_at(m, 0)->name, "n1");
	assert_string_equal(mapper_all_at(m, 1)->name, "n2");
	assert_null(mapper_all_at(m, 2));
	assert_string_equal(mapper_find_any(m, "n2")->server, "beta");
	assert_string_equal(mapper_find_any(m, "n1")->server, "alpha");
	assert_null(mapper_find_any(m, "n3"));
	mapper_free(m);

	m = load_as(two, "beta");
	assert_int_equal(mapper_node_count(m), 1);
	assert_string_equal(mapper_node_at(m, 0)->name, "n2");
	assert_string_equal(mapper_server(m)->address, "10.0.0.2");
	assert_string_equal(mapper_find_other(m, "0000000a")->name, "n1");
	mapper_free(m);
}

/* A take-over: the other server's nodes become this one's, found as its
 * own (name, serial, MAC), keeping their server; its own stay. */
static void test_adopt(void **state)
{
	struct mapper *m = load_as(two, "alpha");

	(void)state;
	assert_int_equal(mapper_adopt(m, "alpha"), 0); /* itself: nothing */
	assert_int_equal(mapper_node_count(m), 1);
	assert_int_equal(mapper_adopt(m, "beta"), 0);
	assert_int_equal(mapper_node_count(m), 2);
	assert_string_equal(mapper_node_at(m, 0)->name, "n1");
	assert_string_equal(mapper_node_at(m, 1)->name, "n2");
	assert_string_equal(mapper_find_name(m, "n2")->server, "beta");
	assert_non_null(mapper_find_mac(m, "b8-27-eb-00-00-02"));
	assert_non_null(mapper_find_serial(m, "0000000a"));
	assert_int_equal(mapper_other_count(m), 0);
	assert_null(mapper_find_other(m, "n2"));
	assert_string_equal(mapper_server(m)->address, "10.0.0.1"); /* still alpha */
	assert_int_equal(mapper_adopt(m, "gamma"), 0);		    /* nobody's: nothing */
	assert_int_equal(mapper_node_count(m), 2);
	mapper_free(m);
}

/* No [server:NAME]: a self changes nothing (one server, as before). */
static void test_single_server_unchanged(void **state)
{
	static const char one[] = "[server]\naddress = 10.0.0.9\n[defaults]\nimage = i\n"
				  "[node:a]\n[node:b]\n";
	struct mapper *m = load_as(one, "whatever-host");

	(void)state;
	assert_int_equal(mapper_node_count(m), 2);
	assert_string_equal(mapper_self(m), "");
	assert_string_equal(mapper_find_name(m, "a")->server, "");
	assert_string_equal(mapper_find_name(m, "a")->origin[NODE_KEY_SERVER].section, "built-in");
	assert_string_equal(mapper_server(m)->address, "10.0.0.9");
	mapper_free(m);
}

static void test_errors(void **state)
{
	(void)state;
	expect_errors_as("[server:a]\naddress = 10.0.0.1\n[server:a]\naddress = 10.0.0.2\n"
			 "[defaults]\nimage = i\n",
			 NULL, "t.ini:3: duplicate section [server:a] (also at line 1)\n");
	expect_errors_as("[server:a]\naddress = 10.0.0.1\n[defaults]\nimage = i\n"
			 "[node:n]\nserver = b\n",
			 NULL, "t.ini:6: unknown server 'b' (no [server:b] section)\n");
	expect_errors_as("[defaults]\nimage = i\nserver = b\n", NULL,
			 "t.ini:3: server 'b' given but no [server:NAME] section names any "
			 "server\n");
	expect_errors_as("[server:a]\ncontrol = /x\n[defaults]\nimage = i\n", NULL,
			 "t.ini:1: [server:a] needs an address (its nodes mount their roots "
			 "from it)\n");
	expect_errors_as("[server:a]\naddress = nowhere\n[defaults]\nimage = i\n", NULL,
			 "t.ini:2: bad value for address: 'nowhere' (expected an IPv4 address)\n");
	expect_errors_as("[server:a]\naddress = 10.0.0.1\nbogus = 1\n", NULL,
			 "t.ini:3: unknown key 'bogus' in [server:a]\n");
	expect_errors_as("[server:a]\naddress = 10.0.0.1\n", "c",
			 "t.ini: this server is 'c', which is not one of the servers named by "
			 "[server:NAME] sections: give its name with -S NAME\n");
	expect_errors_as("[server:a b]\naddress = 10.0.0.1\n", NULL,
			 "t.ini:1: invalid server name 'a b'\n");
	expect_errors_as("[server]\nrole = files\n[server:a]\naddress = 10.0.0.1\n", NULL,
			 "t.ini:2: [server:a]: role = files does not combine with several servers: "
			 "each serves its nodes' boot trees and roots (role = both)\n");
	expect_errors_as("[server:a]\naddress = 10.0.0.1\nrole = pxe\n", NULL,
			 "t.ini:3: [server:a]: role = pxe does not combine with several servers: "
			 "each serves its nodes' boot trees and roots (role = both)\n");
}

#define N_NODES 6000

static void node_name(char *buf, size_t len, unsigned i)
{
	snprintf(buf, len, "rpi-%04u", i);
}

/* The same answer every time, whatever the order of the names. */
static void test_spread_deterministic(void **state)
{
	const char *abc[] = {"s1", "s2", "s3"}, *cab[] = {"s3", "s1", "s2"};
	char name[32];
	unsigned i;

	(void)state;
	for (i = 0; i < 500; i++) {
		node_name(name, sizeof(name), i);
		assert_int_equal(mapper_spread(name, abc, 3), mapper_spread(name, abc, 3));
		assert_string_equal(abc[mapper_spread(name, abc, 3)],
				    cab[mapper_spread(name, cab, 3)]);
	}
	assert_int_equal(mapper_spread("x", abc, 1), 0);
}

/* Balance: each of 5 servers gets its fifth of 6000 nodes within 10%. */
static void test_spread_balance(void **state)
{
	const char *names[] = {"srv-a", "srv-b", "srv-c", "srv-d", "srv-e"};
	unsigned count[5] = {0}, i;
	char name[32];

	(void)state;
	for (i = 0; i < N_NODES; i++) {
		node_name(name, sizeof(name), i);
		count[mapper_spread(name, names, 5)]++;
	}
	for (i = 0; i < 5; i++) {
		print_message("server %s: %u nodes\n", names[i], count[i]);
		assert_true(count[i] > N_NODES / 5 * 9 / 10);
		assert_true(count[i] < N_NODES / 5 * 11 / 10);
	}
}

/* Adding a fifth server moves only nodes onto it, about a fifth of them;
 * removing it moves them back and nothing else. */
static void test_spread_minimal_movement(void **state)
{
	const char *four[] = {"srv-a", "srv-b", "srv-c", "srv-d"};
	const char *five[] = {"srv-a", "srv-b", "srv-c", "srv-d", "srv-e"};
	unsigned moved = 0, i;
	char name[32];

	(void)state;
	for (i = 0; i < N_NODES; i++) {
		size_t before, after;

		node_name(name, sizeof(name), i);
		before = mapper_spread(name, four, 4);
		after = mapper_spread(name, five, 5);
		if (after != before) {
			assert_int_equal(after, 4); /* only ever onto the new server */
			moved++;
		}
	}
	print_message("adding a fifth server moved %u of %u nodes\n", moved, N_NODES);
	assert_true(moved > N_NODES / 5 * 9 / 10);
	assert_true(moved < N_NODES / 5 * 11 / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_nodes_with_servers),
		cmocka_unit_test(test_as_one_server),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_single_server_unchanged),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_spread_deterministic),
		cmocka_unit_test(test_spread_balance),
		cmocka_unit_test(test_spread_minimal_movement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
