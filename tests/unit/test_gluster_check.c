/* SPDX-License-Identifier: MIT */
/* ctl/gluster_check: what a GlusterFS client graph lacks of what netbootfs
 * needs of a shared volume. The graphs are what Debian's GlusterFS 10.3
 * client showed in .meta/graphs/active/volfile (trimmed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ctl/gluster_check.h"

/* A volume as created, with Debian's defaults. */
static const char graph_defaults[] = "volume gv0-client-0\n"
				     "    type protocol/client\n"
				     "    option ping-timeout 42\n"
				     "    option remote-host 10.251.0.250\n"
				     "    option send-gids true\n"
				     "end-volume\n"
				     "\n"
				     "volume gv0-dht\n"
				     "    type cluster/distribute\n"
				     "    subvolumes gv0-client-0\n"
				     "end-volume\n"
				     "\n"
				     "volume gv0-open-behind\n"
				     "    type performance/open-behind\n"
				     "    subvolumes gv0-dht\n"
				     "end-volume\n"
				     "\n"
				     "volume gv0-quick-read\n"
				     "    type performance/quick-read\n"
				     "    subvolumes gv0-open-behind\n"
				     "end-volume\n"
				     "\n"
				     "volume meta-autoload\n"
				     "    type meta\n"
				     "    subvolumes gv0-quick-read\n"
				     "end-volume\n";

/* The same volume with client.strict-locks on, performance.quick-read and
 * performance.open-behind off. */
static const char graph_set[] = "volume gv0-client-0\n"
				"    type protocol/client\n"
				"    option remote-host 10.251.0.250\n"
				"    option strict-locks on\n"
				"    option send-gids true\n"
				"end-volume\n"
				"\n"
				"volume gv0-dht\n"
				"    type cluster/distribute\n"
				"    subvolumes gv0-client-0\n"
				"end-volume\n"
				"\n"
				"volume meta-autoload\n"
				"    type meta\n"
				"    subvolumes gv0-dht\n"
				"end-volume\n";

struct lacks {
	char text[256];
};

static void collect(void *ctx, const char *option, const char *value)
{
	struct lacks *l = ctx;
	size_t used = strlen(l->text);

	snprintf(l->text + used, sizeof(l->text) - used, "%s=%s;", option, value);
}

/* @graph lacks @n settings, said as "OPTION=VALUE;" in @text. */
static void expect_lacks(const char *graph, unsigned n, const char *text)
{
	struct lacks l = {""};

	assert_int_equal(volfile_lacks(graph, collect, &l), n);
	assert_string_equal(l.text, text);
}

static void test_defaults_lack_all_three(void **state)
{
	(void)state;
	expect_lacks(graph_defaults, 3,
		     "performance.quick-read=off;performance.open-behind=off;"
		     "client.strict-locks=on;");
}

static void test_set_lacks_nothing(void **state)
{
	(void)state;
	expect_lacks(graph_set, 0, "");
}

/* Two bricks, two clients: one without strict locks is enough to lack
 * them, and it is said once. */
static void test_one_loose_client_of_two(void **state)
{
	static const char graph[] = "volume v-client-0\n"
				    "type protocol/client\n"
				    "option strict-locks on\n"
				    "end-volume\n"
				    "volume v-client-1\n"
				    "\ttype\tprotocol/client\n"
				    "\toption strict-locks off\n"
				    "end-volume\n"
				    "volume v-client-2\n"
				    "type protocol/client\n"
				    "end-volume\n";

	(void)state;
	expect_lacks(graph, 1, "client.strict-locks=on;");
}

/* A word that only starts like a type or an option is not one, and a
 * graph cut off inside a volume counts nothing of that volume. */
static void test_near_misses(void **state)
{
	static const char graph[] = "volume v-client-0\n"
				    "    type protocol/client\n"
				    "    option strict-locks-x on\n"
				    "    option strict-locks on\n"
				    "end-volume\n"
				    "volume v-qr\n"
				    "    type performance/quick-read-ish\n"
				    "end-volume\n"
				    "volume v-ob\n"
				    "    type performance/open-behind";

	(void)state;
	expect_lacks(graph, 0, "");
	expect_lacks("", 0, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_lack_all_three),
		cmocka_unit_test(test_set_lacks_nothing),
		cmocka_unit_test(test_one_loose_client_of_two),
		cmocka_unit_test(test_near_misses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
