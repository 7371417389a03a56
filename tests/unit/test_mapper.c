/* SPDX-License-Identifier: MIT */
/* netbootfs.ini parsing: every rule, every error message, and big tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapper/ident.h"
#include "mapper/mapper.h"

static struct mapper *load_ok(const char *text)
{
	struct mapper_errors errs = {0};
	struct mapper *m = NULL;
	int rc = mapper_load_string("t.ini", text, strlen(text), &m, &errs);

	if (rc) {
		mapper_errors_print(&errs, stderr);
		mapper_errors_free(&errs);
		fail_msg("load failed: %d", rc);
	}
	assert_int_equal(errs.n, 0);
	assert_non_null(m);
	return m;
}

/* Load @text, expect it rejected, and return everything printed. */
static char *load_errors(const char *text)
{
	struct mapper_errors errs = {0};
	struct mapper *sentinel = (struct mapper *)&errs, *m = sentinel;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int rc = mapper_load_string("t.ini", text, strlen(text), &m, &errs);

	assert_int_equal(rc, -EINVAL);
	assert_ptr_equal(m, sentinel); /* the caller's table is left alone */
	assert_true(errs.n > 0);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	mapper_errors_print(&errs, f);
	fclose(f);
	mapper_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.v);
	return out;
}

static void expect_errors(const char *text, const char *want)
{
	char *got = load_errors(text);

	assert_string_equal(got, want);
	free(got);
}

static const char design_example[] =
	"[server]\n"
	"tftp_root     = /srv/tftpboot              ; FUSE mount\n"
	"nfs_root      = /srv/nfsroot               ; one FUSE mount per node\n"
	"images        = /var/lib/netbootfs/images  ; <name>.sqfs\n"
	"overlays      = /var/lib/netbootfs/overlays; <node>/ writable layers\n"
	"state         = /var/lib/netbootfs/state   ; discovered clients\n"
	"address       = 192.168.1.10\n"
	"clients       = 192.168.1.0/24\n"
	"unknown       = ignore                     ; ignore | default\n"
	"boot_gap      = 60\n"
	"default_image = raspios-arm64\n"
	"templates     = /etc/netbootfs/templates\n"
	"\n"
	"[defaults]                                 ; every node starts from these\n"
	"image    = raspios-arm64\n"
	"overlay  = persistent                      ; persistent | volatile\n"
	"cmdline  = quiet\n"
	"boot_dir = auto\n"
	"layers   =\n"
	"\n"
	"[profile:workers]                          ; named sets of keys\n"
	"image = ubuntu-arm64\n"
	"\n"
	"[node:rpi-01]\n"
	"profile = workers                          ; node keys > profile > [defaults]\n"
	"serial  = 1a2b3c4d\n"
	"mac     = dc:a6:32:12:34:56\n"
	"ip      = 192.168.1.51\n";

static void test_design_example(void **state)
{
	struct mapper *m = load_ok(design_example);
	const struct server_config *s = mapper_server(m);
	const struct node *n;
	char buf[64];

	(void)state;
	assert_string_equal(mapper_path(m), "t.ini");
	assert_string_equal(s->tftp_root, "/srv/tftpboot");
	assert_string_equal(s->nfs_root, "/srv/nfsroot");
	assert_string_equal(s->images, "/var/lib/netbootfs/images");
	assert_string_equal(s->overlays, "/var/lib/netbootfs/overlays");
	assert_string_equal(s->state, "/var/lib/netbootfs/state");
	assert_string_equal(s->address, "192.168.1.10");
	assert_string_equal(s->clients, "192.168.1.0/24");
	assert_int_equal(s->unknown, UNKNOWN_IGNORE);
	assert_int_equal(s->boot_gap, 60);
	assert_string_equal(s->default_image, "raspios-arm64");
	assert_string_equal(s->templates, "/etc/netbootfs/templates");

	assert_int_equal(mapper_node_count(m), 1);
	n = mapper_node_at(m, 0);
	assert_non_null(n);
	assert_null(mapper_node_at(m, 1));
	assert_string_equal(n->name, "rpi-01");
	assert_string_equal(n->serial, "1a2b3c4d");
	assert_string_equal(n->mac, "dc-a6-32-12-34-56");
	assert_string_equal(n->ip, "192.168.1.51");
	assert_string_equal(n->image, "ubuntu-arm64");
	assert_int_equal(n->overlay, OVERLAY_PERSISTENT);
	assert_string_equal(n->cmdline, "quiet");
	assert_string_equal(n->boot_dir, "auto");
	assert_int_equal(n->n_layers, 0);
	assert_string_equal(n->profile, "workers");
	assert_int_equal(n->line, 24);

	assert_string_equal(n->origin[NODE_KEY_IMAGE].section, "profile:workers");
	assert_int_equal(n->origin[NODE_KEY_IMAGE].line, 22);
	assert_string_equal(n->origin[NODE_KEY_OVERLAY].section, "defaults");
	assert_int_equal(n->origin[NODE_KEY_OVERLAY].line, 16);
	assert_string_equal(n->origin[NODE_KEY_LAYERS].section, "defaults");
	assert_int_equal(n->origin[NODE_KEY_LAYERS].line, 19);
	assert_string_equal(n->origin[NODE_KEY_SERIAL].section, "node:rpi-01");
	assert_int_equal(n->origin[NODE_KEY_SERIAL].line, 26);
	assert_string_equal(n->origin[NODE_KEY_PROFILE].section, "node:rpi-01");
	assert_int_equal(n->origin[NODE_KEY_PROFILE].line, 25);
	assert_string_equal(n->origin[NODE_KEY_IP].section, "node:rpi-01");
	assert_int_equal(n->origin[NODE_KEY_IP].line, 28);

	assert_ptr_equal(mapper_find_name(m, "rpi-01"), n);
	assert_ptr_equal(mapper_find_serial(m, "1a2b3c4d"), n);
	assert_ptr_equal(mapper_find_mac(m, "dc-a6-32-12-34-56"), n);
	assert_null(mapper_find_name(m, "rpi-02"));
	assert_null(mapper_find_serial(m, "1a2b3c4e"));
	assert_null(mapper_find_mac(m, "dc:a6:32:12:34:56")); /* not normalised */
	assert_null(mapper_find_name(m, NULL));

	assert_string_equal(node_key_value(n, NODE_KEY_OVERLAY, buf, sizeof(buf)), "persistent");
	assert_string_equal(node_key_value(n, NODE_KEY_MAC, buf, sizeof(buf)), "dc-a6-32-12-34-56");
	assert_string_equal(node_key_value(n, NODE_KEY_PROFILE, buf, sizeof(buf)), "workers");
	assert_string_equal(node_key_value(n, NODE_KEY_LAYERS, buf, sizeof(buf)), "");
	mapper_free(m);
}

static void test_server_roles(void **state)
{
	static const struct {
		const char *text;
		enum server_role role;
	} cases[] = {
		{"", ROLE_BOTH},
		{"[server]\nrole = both\n", ROLE_BOTH},
		{"[server]\nrole = files\n", ROLE_FILES},
		{"[server]\naddress = 10.0.0.2\nrole = pxe\n", ROLE_PXE},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mapper *m = load_ok(cases[i].text);

		assert_int_equal(mapper_server(m)->role, cases[i].role);
		mapper_free(m);
	}
	assert_string_equal(server_role_name(ROLE_BOTH), "both");
	assert_string_equal(server_role_name(ROLE_PXE), "pxe");
	assert_string_equal(server_role_name(ROLE_FILES), "files");
}

static void test_server_defaults(void **state)
{
	struct mapper *m = load_ok("");
	const struct server_config *s = mapper_server(m);
	static const char *const builtin[] = {"b8:27:eb", "dc:a6:32", "e4:5f:01", "28:cd:c1",
					      "d8:3a:dd", "2c:cf:67", "88:a2:9e"};
	size_t i;

	(void)state;
	assert_string_equal(s->tftp_root, "/srv/tftpboot");
	assert_string_equal(s->nfs_root, "/srv/nfsroot");
	assert_string_equal(s->images, "/var/lib/netbootfs/images");
	assert_string_equal(s->overlays, "/var/lib/netbootfs/overlays");
	assert_string_equal(s->state, "/var/lib/netbootfs/state");
	assert_string_equal(s->address, "");
	assert_string_equal(s->clients, "");
	assert_string_equal(s->default_image, "");
	assert_string_equal(s->templates, "/etc/netbootfs/templates");
	assert_string_equal(s->control, "/run/netbootfs.sock");
	assert_int_equal(s->unknown, UNKNOWN_IGNORE);
	assert_int_equal(s->boot_gap, 60);
	assert_int_equal(s->boot_quiet, 2);
	assert_int_equal(s->lease_retry, 5);
	assert_int_equal(s->takeover_after, 0);
	assert_string_equal(s->on_takeover, "");
	assert_string_equal(s->tftp_server, "/usr/sbin/dnsmasq");
	assert_int_equal(s->dhcp, DHCP_PROXY);
	assert_string_equal(s->dhcp_range, "");
	assert_string_equal(s->interface, "");
	assert_int_equal(s->history, 3);
	assert_int_equal(s->n_pi_mac_prefixes, 7);
	for (i = 0; i < 7; i++)
		assert_string_equal(s->pi_mac_prefixes[i], builtin[i]);
	assert_int_equal(mapper_node_count(m), 0);
	mapper_free(m);
}

static void test_server_all_keys(void **state)
{
	struct mapper *m = load_ok("[server]\n"
				   "tftp_root = /a/tftp\n"
				   "nfs_root = /a/nfs\n"
				   "images = /a/img\n"
				   "overlays = /a/ovl\n"
				   "state = /a/state\n"
				   "address = 10.0.0.1\n"
				   "clients = 10.0.0.0/8\n"
				   "unknown = default\n"
				   "boot_gap = 5\n"
				   "boot_quiet = 3600\n"
				   "lease_retry = 3600\n"
				   "takeover_after = 600\n"
				   "on_takeover = /usr/sbin/netbootctl -S a apply\n"
				   "tftp_server = /usr/sbin/dnsmasq , /usr/sbin/in.tftpd\n"
				   "default_image = deb-12.arm64\n"
				   "templates = /a/tpl\n"
				   "control = /a/ctl.sock\n"
				   "dhcp = full\n"
				   "dhcp_range = 10.0.0.100,10.0.0.200,12h\n"
				   "interface = eth1\n"
				   "history = 100\n"
				   "pi_mac_prefixes = AA:BB:CC, dc-a6-32 ,00-11-22\n");
	const struct server_config *s = mapper_server(m);

	(void)state;
	assert_string_equal(s->tftp_root, "/a/tftp");
	assert_string_equal(s->nfs_root, "/a/nfs");
	assert_string_equal(s->images, "/a/img");
	assert_string_equal(s->overlays, "/a/ovl");
	assert_string_equal(s->state, "/a/state");
	assert_string_equal(s->address, "10.0.0.1");
	assert_string_equal(s->clients, "10.0.0.0/8");
	assert_int_equal(s->unknown, UNKNOWN_DEFAULT);
	assert_int_equal(s->boot_gap, 5);
	assert_int_equal(s->boot_quiet, 3600);
	assert_int_equal(s->lease_retry, 3600);
	assert_int_equal(s->takeover_after, 600);
	assert_string_equal(s->on_takeover, "/usr/sbin/netbootctl -S a apply");
	assert_string_equal(s->tftp_server, "/usr/sbin/dnsmasq , /usr/sbin/in.tftpd");
	assert_string_equal(s->default_image, "deb-12.arm64");
	assert_string_equal(s->templates, "/a/tpl");
	assert_string_equal(s->control, "/a/ctl.sock");
	assert_int_equal(s->dhcp, DHCP_FULL);
	assert_string_equal(s->dhcp_range, "10.0.0.100,10.0.0.200,12h");
	assert_string_equal(s->interface, "eth1");
	assert_int_equal(s->history, 100);
	/* built-ins, then the new ones; dc:a6:32 is already built in */
	assert_int_equal(s->n_pi_mac_prefixes, 9);
	assert_string_equal(s->pi_mac_prefixes[0], "b8:27:eb");
	assert_string_equal(s->pi_mac_prefixes[7], "aa:bb:cc");
	assert_string_equal(s->pi_mac_prefixes[8], "00:11:22");
	assert_true(server_is_pi_mac(s, "aa-bb-cc-01-02-03"));
	assert_true(server_is_pi_mac(s, "AA:BB:CC:01:02:03"));
	assert_true(server_is_pi_mac(s, "b8-27-eb-00-00-01"));
	assert_false(server_is_pi_mac(s, "aa-bb-cd-01-02-03"));
	assert_false(server_is_pi_mac(s, "aa-bb"));
	mapper_free(m);
}

static void test_empty_prefixes_and_no_errs(void **state)
{
	struct mapper *m = load_ok("[server]\npi_mac_prefixes =\n");
	static const char bad[] = "[node:x]\n";

	(void)state;
	assert_int_equal(mapper_server(m)->n_pi_mac_prefixes, 7);
	assert_string_equal(mapper_server(m)->pi_mac_prefixes[6], "88:a2:9e");
	mapper_free(m);
	/* without an error list the verdict is the same */
	m = NULL;
	assert_int_equal(mapper_load_string("t.ini", bad, strlen(bad), &m, NULL), -EINVAL);
	assert_null(m);
}

static void test_precedence_and_origins(void **state)
{
	/* node > profile > parent profile > [defaults] > built-in; profiles may
	 * come after the nodes that use them. */
	struct mapper *m = load_ok("[defaults]\n"		     /* 1 */
				   "image = base\n"		     /* 2 */
				   "cmdline = quiet\n"		     /* 3 */
				   "layers = common\n"		     /* 4 */
				   "[node:a]\n"			     /* 5 */
				   "profile = child\n"		     /* 6 */
				   "cmdline = debug\n"		     /* 7 */
				   "[node:b]\n"			     /* 8 */
				   "[node:c]\n"			     /* 9 */
				   "profile = parent\n"		     /* 10 */
				   "layers =\n"			     /* 11 */
				   "[profile:child]\n"		     /* 12 */
				   "profile = parent\n"		     /* 13 */
				   "image = child-img\n"	     /* 14 */
				   "[profile:parent]\n"		     /* 15 */
				   "image = parent-img\n"	     /* 16 */
				   "overlay = volatile\n"	     /* 17 */
				   "boot_dir = boot\n"		     /* 18 */
				   "layers = site, common,extra\n"); /* 19 */
	const struct node *a, *b, *c;
	char buf[64];

	(void)state;
	a = mapper_find_name(m, "a");
	b = mapper_find_name(m, "b");
	c = mapper_find_name(m, "c");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_ptr_equal(mapper_node_at(m, 0), a);
	assert_ptr_equal(mapper_node_at(m, 1), b);
	assert_ptr_equal(mapper_node_at(m, 2), c);

	assert_string_equal(a->image, "child-img");
	assert_string_equal(a->origin[NODE_KEY_IMAGE].section, "profile:child");
	assert_int_equal(a->origin[NODE_KEY_IMAGE].line, 14);
	assert_string_equal(a->cmdline, "debug");
	assert_string_equal(a->origin[NODE_KEY_CMDLINE].section, "node:a");
	assert_int_equal(a->origin[NODE_KEY_CMDLINE].line, 7);
	assert_int_equal(a->overlay, OVERLAY_VOLATILE);
	assert_string_equal(a->origin[NODE_KEY_OVERLAY].section, "profile:parent");
	assert_int_equal(a->origin[NODE_KEY_OVERLAY].line, 17);
	assert_string_equal(a->boot_dir, "boot");
	assert_int_equal(a->n_layers, 3);
	assert_string_equal(a->layers[0], "site");
	assert_string_equal(a->layers[1], "common");
	assert_string_equal(a->layers[2], "extra");
	assert_string_equal(node_key_value(a, NODE_KEY_LAYERS, buf, sizeof(buf)),
			    "site,common,extra");
	assert_string_equal(node_key_value(a, NODE_KEY_LAYERS, buf, 8), "site");
	assert_string_equal(a->profile, "child");
	assert_string_equal(a->origin[NODE_KEY_SERIAL].section, "built-in");
	assert_int_equal(a->origin[NODE_KEY_SERIAL].line, 0);

	assert_string_equal(b->image, "base");
	assert_string_equal(b->origin[NODE_KEY_IMAGE].section, "defaults");
	assert_int_equal(b->origin[NODE_KEY_IMAGE].line, 2);
	assert_int_equal(b->overlay, OVERLAY_PERSISTENT);
	assert_string_equal(b->origin[NODE_KEY_OVERLAY].section, "built-in");
	assert_int_equal(b->origin[NODE_KEY_OVERLAY].line, 0);
	assert_string_equal(b->boot_dir, "auto");
	assert_string_equal(b->origin[NODE_KEY_BOOT_DIR].section, "built-in");
	assert_int_equal(b->n_layers, 1);
	assert_string_equal(b->layers[0], "common");
	assert_string_equal(b->profile, "");
	assert_string_equal(b->origin[NODE_KEY_PROFILE].section, "built-in");
	assert_string_equal(b->serial, "");
	assert_string_equal(b->mac, "");
	assert_string_equal(b->ip, "");
	assert_string_equal(node_key_value(b, NODE_KEY_CMDLINE, buf, sizeof(buf)), "quiet");

	/* an explicit empty list overrides inherited layers */
	assert_string_equal(c->image, "parent-img");
	assert_int_equal(c->n_layers, 0);
	assert_string_equal(c->origin[NODE_KEY_LAYERS].section, "node:c");
	assert_int_equal(c->origin[NODE_KEY_LAYERS].line, 11);
	mapper_free(m);
}

static void test_identity_forms(void **state)
{
	struct mapper *m = load_ok("[defaults]\nimage = x\n"
				   "[node:n1]\nserial = 0x1A2B3C4D\nmac = DC:A6:32:AA:BB:CC\n"
				   "[node:n2]\nserial = 10000000B66C4C16\nmac = dc-a6-32-aa-bb-cd\n"
				   "[node:n3]\nserial=deadbeef\nip = 10.1.2.3\n");
	const struct node *n;

	(void)state;
	n = mapper_find_serial(m, "1a2b3c4d");
	assert_non_null(n);
	assert_string_equal(n->name, "n1");
	assert_ptr_equal(mapper_find_mac(m, "dc-a6-32-aa-bb-cc"), n);
	n = mapper_find_serial(m, "b66c4c16");
	assert_non_null(n);
	assert_string_equal(n->name, "n2");
	assert_ptr_equal(mapper_find_mac(m, "dc-a6-32-aa-bb-cd"), n);
	n = mapper_find_serial(m, "deadbeef");
	assert_non_null(n);
	assert_string_equal(n->name, "n3");
	assert_string_equal(n->mac, "");
	assert_string_equal(n->ip, "10.1.2.3");
	mapper_free(m);
}

static void test_syntax_variants(void **state)
{
	/* CRLF, a BOM, indented keys, '#' and ';' comments, a ';' with no
	 * space before it, '[ section ]' with spaces, no final newline. */
	static const char text[] = "\xef\xbb\xbf# comment\r\n"
				   "; another\r\n"
				   "[ defaults ]\r\n"
				   "    image = a;comment\r\n"
				   "\tcmdline = console=ttyAMA0,115200 quiet # kept\r\n"
				   "[node:x]\n"
				   "  overlay=volatile";
	struct mapper *m = load_ok(text);
	const struct node *n = mapper_find_name(m, "x");

	(void)state;
	assert_non_null(n);
	assert_string_equal(n->image, "a");
	assert_int_equal(n->origin[NODE_KEY_IMAGE].line, 4);
	assert_string_equal(n->cmdline, "console=ttyAMA0,115200 quiet # kept");
	assert_int_equal(n->overlay, OVERLAY_VOLATILE);
	assert_int_equal(n->origin[NODE_KEY_OVERLAY].line, 7);
	assert_int_equal(n->line, 6);
	mapper_free(m);
}

static void test_long_lines(void **state)
{
	/* Longer than inih's 200-byte line buffer, and a 63-character name
	 * (longer than inih's 50-byte section buffer). */
	char cmdline[1001], name[64], *text;
	struct mapper *m;
	const struct node *n;

	(void)state;
	memset(cmdline, 'c', 1000);
	cmdline[1000] = '\0';
	memcpy(cmdline, "a=1 ", 4);
	memset(name, 'n', 63);
	name[63] = '\0';
	assert_true(asprintf(&text, "[node:%s]\nimage = i\ncmdline = %s\nserial = 01234567\n", name,
			     cmdline) > 0);
	m = load_ok(text);
	n = mapper_find_name(m, name);
	assert_non_null(n);
	assert_string_equal(n->cmdline, cmdline);
	assert_int_equal(n->origin[NODE_KEY_CMDLINE].line, 3);
	assert_ptr_equal(mapper_find_serial(m, "01234567"), n);
	assert_int_equal(n->origin[NODE_KEY_SERIAL].line, 4);
	assert_string_equal(n->origin[NODE_KEY_SERIAL].section + 5, name);
	mapper_free(m);
	free(text);
}

static void test_err_sections(void **state)
{
	(void)state;
	expect_errors("[bogus]\nfoo = 1\n", "t.ini:1: unknown section [bogus]\n");
	expect_errors("[node:Bad_Name]\nimage = x\n", "t.ini:1: invalid node name 'Bad_Name'\n");
	expect_errors("[node:]\n", "t.ini:1: invalid node name ''\n");
	expect_errors("[profile:P]\n", "t.ini:1: invalid profile name 'P'\n");
	expect_errors("[server]\n[server]\n",
		      "t.ini:2: duplicate section [server] (also at line 1)\n");
	expect_errors("[defaults]\nimage = a\n[defaults]\nimage = b\n",
		      "t.ini:3: duplicate section [defaults] (also at line 1)\n");
	expect_errors("[defaults]\nimage = a\n[node:x]\n[node:y]\n[node:x]\noverlay = bogus\n",
		      "t.ini:5: duplicate node name 'x' (also at line 3)\n");
	expect_errors("[profile:p]\n[profile:p]\n",
		      "t.ini:2: duplicate profile name 'p' (also at line 1)\n");
	expect_errors("[node:x\nimage = y\n", "t.ini:1: bad section header '[node:x'\n");
	expect_errors("[node:x] junk\n", "t.ini:1: bad section header '[node:x] junk'\n");
	expect_errors("image = x\n", "t.ini:1: key 'image' outside of any section\n");
	expect_errors("[defaults]\njust words\n",
		      "t.ini:2: expected 'key = value' or '[section]': 'just words'\n");
	expect_errors("[defaults]\n= x\n", "t.ini:2: missing key before '='\n");
}

static void test_err_keys(void **state)
{
	(void)state;
	expect_errors("[node:rpi-01]\nimage = a\nfoo = 1\n",
		      "t.ini:3: unknown key 'foo' in [node:rpi-01]\n");
	expect_errors("[server]\nbar = 1\n", "t.ini:2: unknown key 'bar' in [server]\n");
	expect_errors("[server]\nimage = x\n", "t.ini:2: unknown key 'image' in [server]\n");
	expect_errors("[defaults]\nserial = 1a2b3c4d\n",
		      "t.ini:2: unknown key 'serial' in [defaults]\n");
	expect_errors("[defaults]\nprofile = p\n",
		      "t.ini:2: unknown key 'profile' in [defaults]\n");
	expect_errors("[profile:p]\nmac = dc:a6:32:12:34:56\nip = 1.2.3.4\n",
		      "t.ini:2: unknown key 'mac' in [profile:p]\n"
		      "t.ini:3: unknown key 'ip' in [profile:p]\n");
	expect_errors("[node:x]\nimage = a\nimage = b\n",
		      "t.ini:3: duplicate key 'image' in [node:x] (also at line 2)\n");
	expect_errors("[server]\nboot_gap = 1\nboot_gap = 2\n",
		      "t.ini:3: duplicate key 'boot_gap' in [server] (also at line 2)\n");
}

static void test_err_node_values(void **state)
{
	(void)state;
	expect_errors("[defaults]\nimage = a\noverlay = x\n",
		      "t.ini:3: bad value for overlay: 'x' (expected persistent or volatile)\n");
	expect_errors(
		"[node:x]\nimage = a/b\n",
		"t.ini:2: bad value for image: 'a/b' (expected an image name: letters, digits, "
		". _ + -)\n");
	expect_errors("[node:x]\nimage =\n",
		      "t.ini:2: bad value for image: '' (expected an image name: letters, digits, "
		      ". _ + -)\n");
	expect_errors("[node:x]\nimage = .hidden\n",
		      "t.ini:2: bad value for image: '.hidden' (expected an image name: letters, "
		      "digits, . _ + -)\n");
	expect_errors("[defaults]\nimage = a\nboot_dir = /boot\n[profile:p]\nboot_dir = a/../b\n"
		      "[node:x]\nboot_dir = ..\n[node:y]\nboot_dir =\n",
		      "t.ini:3: bad value for boot_dir: '/boot' (expected auto or a relative path "
		      "without '..')\n"
		      "t.ini:5: bad value for boot_dir: 'a/../b' (expected auto or a relative path "
		      "without '..')\n"
		      "t.ini:7: bad value for boot_dir: '..' (expected auto or a relative path "
		      "without '..')\n"
		      "t.ini:9: bad value for boot_dir: '' (expected auto or a relative path "
		      "without '..')\n");
	expect_errors("[defaults]\nimage = a\nlayers = good, Bad_one\n",
		      "t.ini:3: invalid layer name 'Bad_one'\n");
	expect_errors("[defaults]\nimage = a\nlayers = x y,x\n", "t.ini:3: duplicate layer 'x'\n");
	expect_errors("[node:x]\nimage = a\nserial = 1a2b3c4\n", "t.ini:3: bad serial '1a2b3c4'\n");
	expect_errors("[node:x]\nimage = a\nmac = dc:a6:32:12:34\n",
		      "t.ini:3: bad mac 'dc:a6:32:12:34'\n");
	expect_errors("[node:x]\nimage = a\nip = 192.168.1.256\n",
		      "t.ini:3: bad value for ip: '192.168.1.256' (expected an IPv4 address)\n");
	expect_errors("[node:x]\nimage = a\nip = 10.0.0\n",
		      "t.ini:3: bad value for ip: '10.0.0' (expected an IPv4 address)\n");
}

static void test_err_server_values(void **state)
{
	(void)state;
	expect_errors("[server]\ntftp_root = srv/tftp\n",
		      "t.ini:2: bad value for tftp_root: 'srv/tftp' (expected an absolute path)\n");
	expect_errors("[server]\ncontrol =\n",
		      "t.ini:2: bad value for control: '' (expected an absolute path)\n");
	expect_errors("[server]\naddress = nfs.local\n",
		      "t.ini:2: bad value for address: 'nfs.local' (expected an IPv4 address)\n");
	expect_errors("[server]\nclients = 10.0.0.0/8 (rw)\n",
		      "t.ini:2: bad value for clients: '10.0.0.0/8 (rw)' (expected a host, "
		      "network or wildcard for /etc/exports and a Ganesha config: letters, "
		      "digits and . - _ * ? / : @ [ ] !)\n");
	expect_errors("[server]\nunknown = boot\n",
		      "t.ini:2: bad value for unknown: 'boot' (expected ignore or default)\n");
	expect_errors("[server]\nboot_gap = 0\n",
		      "t.ini:2: bad value for boot_gap: '0' (expected seconds, 1 to 86400)\n");
	expect_errors("[server]\nboot_gap = 60s\n",
		      "t.ini:2: bad value for boot_gap: '60s' (expected seconds, 1 to 86400)\n");
	expect_errors("[server]\nboot_gap = -1\n",
		      "t.ini:2: bad value for boot_gap: '-1' (expected seconds, 1 to 86400)\n");
	expect_errors(
		"[server]\nboot_gap = 99999999999999999999\n",
		"t.ini:2: bad value for boot_gap: '99999999999999999999' (expected seconds, 1 "
		"to 86400)\n");
	expect_errors("[server]\nboot_quiet = 0\n",
		      "t.ini:2: bad value for boot_quiet: '0' (expected seconds, 1 to 3600)\n");
	expect_errors("[server]\ntakeover_after = 86401\n",
		      "t.ini:2: bad value for takeover_after: '86401' (expected seconds, 0 (never) to "
		      "86400)\n");
	expect_errors("[server]\non_takeover = netbootctl apply\n",
		      "t.ini:2: bad value for on_takeover: 'netbootctl apply' (expected an absolute "
		      "program path and its arguments)\n");
	expect_errors("[server]\nlease_retry = 3601\n",
		      "t.ini:2: bad value for lease_retry: '3601' (expected seconds, 1 to 3600)\n");
	expect_errors("[server]\ntftp_server = dnsmasq\n",
		      "t.ini:2: bad value for tftp_server: 'dnsmasq' (expected comma separated "
		      "absolute paths of executables)\n");
	expect_errors("[server]\ntftp_server = /usr/sbin/dns masq\n",
		      "t.ini:2: bad value for tftp_server: '/usr/sbin/dns masq' (expected comma "
		      "separated absolute paths of executables)\n");
	expect_errors("[server]\ntftp_server = /usr/sbin/dnsmasq,\n",
		      "t.ini:2: bad value for tftp_server: '/usr/sbin/dnsmasq,' (expected comma "
		      "separated absolute paths of executables)\n");
	expect_errors("[server]\ndefault_image = a b\n",
		      "t.ini:2: bad value for default_image: 'a b' (expected an image name: "
		      "letters, digits, . _ + -)\n");
	expect_errors("[server]\ndhcp = yes\n",
		      "t.ini:2: bad value for dhcp: 'yes' (expected proxy or full)\n");
	expect_errors("[server]\ndhcp = full\n", "t.ini:2: dhcp = full needs a dhcp_range\n");
	expect_errors("[server]\nrole = nfs\n",
		      "t.ini:2: bad value for role: 'nfs' (expected both, pxe or files)\n");
	expect_errors("[server]\nrole = pxe\n",
		      "t.ini:2: role = pxe needs address: the file server's, for cmdline.txt\n");
	expect_errors("[server]\ndhcp_range = 10.0.0.9,10.0.0.1\n",
		      "t.ini:2: bad value for dhcp_range: '10.0.0.9,10.0.0.1' (expected "
		      "start,end[,lease] with IPv4 addresses)\n");
	expect_errors("[server]\ndhcp_range = 10.0.0.1,10.0.0.9,12x\n",
		      "t.ini:2: bad value for dhcp_range: '10.0.0.1,10.0.0.9,12x' (expected "
		      "start,end[,lease] with IPv4 addresses)\n");
	expect_errors("[server]\ninterface = a/b\n",
		      "t.ini:2: bad value for interface: 'a/b' (expected a network interface "
		      "name)\n");
	expect_errors("[server]\ninterface = abcdefghijklmnop\n",
		      "t.ini:2: bad value for interface: 'abcdefghijklmnop' (expected a network "
		      "interface name)\n");
	expect_errors("[server]\nhistory = 0\n",
		      "t.ini:2: bad value for history: '0' (expected a number from 1 to 100)\n");
	expect_errors("[server]\nhistory = 101\n",
		      "t.ini:2: bad value for history: '101' (expected a number from 1 to 100)\n");
	expect_errors("[server]\npi_mac_prefixes = b8:27:eb,\n",
		      "t.ini:2: bad value for pi_mac_prefixes: 'b8:27:eb,' (expected comma "
		      "separated prefixes such as b8:27:eb)\n");
	expect_errors("[server]\npi_mac_prefixes = b8:27\n",
		      "t.ini:2: bad value for pi_mac_prefixes: 'b8:27' (expected comma separated "
		      "prefixes such as b8:27:eb)\n");
}

static void test_err_duplicates(void **state)
{
	(void)state;
	expect_errors("[defaults]\nimage = a\n"
		      "[node:rpi-01]\nserial = 1a2b3c4d\nmac = dc:a6:32:12:34:56\n"
		      "[node:rpi-02]\nserial = 0x1A2B3C4D\nmac = DC-A6-32-12-34-56\n",
		      "t.ini:7: duplicate serial 1a2b3c4d (also node rpi-01 at line 4)\n"
		      "t.ini:8: duplicate mac dc-a6-32-12-34-56 (also node rpi-01 at line 5)\n");
}

static void test_err_profiles(void **state)
{
	(void)state;
	expect_errors("[defaults]\nimage = a\n[node:x]\nprofile = nope\n",
		      "t.ini:4: unknown profile 'nope'\n");
	expect_errors("[defaults]\nimage = a\n[profile:p]\nprofile = Q\n",
		      "t.ini:4: unknown profile 'Q'\n");
	expect_errors("[defaults]\nimage = i\n"
		      "[profile:a]\nprofile = b\n"
		      "[profile:b]\nprofile = a\n"
		      "[node:x]\nprofile = a\n",
		      "t.ini:4: profile cycle: a -> b -> a\n");
	expect_errors("[profile:s]\nprofile = s\nimage = i\n", "t.ini:2: profile cycle: s -> s\n");
	/* c leads into the cycle but is not part of it */
	expect_errors("[profile:c]\nprofile = d\n"
		      "[profile:d]\nprofile = e\n"
		      "[profile:e]\nprofile = f\n"
		      "[profile:f]\nprofile = d\n",
		      "t.ini:4: profile cycle: d -> e -> f -> d\n");
}

static void test_err_no_image(void **state)
{
	(void)state;
	expect_errors("[profile:p]\ncmdline = x\n[node:x]\nprofile = p\n[node:y]\n",
		      "t.ini:3: node x has no image\n"
		      "t.ini:5: node y has no image\n");
}

static void test_err_nul_byte(void **state)
{
	struct mapper_errors errs = {0};
	struct mapper *m = NULL;
	static const char text[] = "[defaults]\nimage = a\x00z\n";

	(void)state;
	assert_int_equal(mapper_load_string("t.ini", text, sizeof(text) - 1, &m, &errs), -EINVAL);
	assert_null(m);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].file, "t.ini");
	assert_int_equal(errs.v[0].line, 2);
	assert_string_equal(errs.v[0].msg, "NUL byte in line");
	mapper_errors_free(&errs);
}

static void test_errors_collected_in_line_order(void **state)
{
	(void)state;
	/* Parse-time and resolve-time errors interleave by line. */
	expect_errors("[node:a]\n"	    /* 1: no image */
		      "profile = missing\n" /* 2 */
		      "[bogus]\n"	    /* 3 */
		      "[node:b]\n"	    /* 4 */
		      "image = i\n"	    /* 5 */
		      "overlay = nope\n"    /* 6 */
		      "serial = zz\n"	    /* 7 */
		      "[server]\n"	    /* 8 */
		      "history = 1000\n",   /* 9 */
		      "t.ini:1: node a has no image\n"
		      "t.ini:2: unknown profile 'missing'\n"
		      "t.ini:3: unknown section [bogus]\n"
		      "t.ini:6: bad value for overlay: 'nope' (expected persistent or volatile)\n"
		      "t.ini:7: bad serial 'zz'\n"
		      "t.ini:9: bad value for history: '1000' (expected a number from 1 to 100)\n");
}

static void test_error_text_is_sanitised(void **state)
{
	char *text, *got, want[300];
	char value[400];

	(void)state;
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	value[0] = '\x01';
	assert_true(asprintf(&text, "[node:x]\nimage = a\noverlay = %s\n", value) > 0);
	got = load_errors(text);
	/* control characters shown as '?', long values cut with "..." */
	snprintf(want, sizeof(want),
		 "t.ini:3: bad value for overlay: '?%.155s...' (expected persistent or volatile)\n",
		 value + 1);
	assert_string_equal(got, want);
	free(got);
	free(text);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/test_mapper.XXXXXX", path[64];
	struct mapper_errors errs = {0};
	struct mapper *m = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/netbootfs.ini", dir);

	assert_int_equal(mapper_load(path, &m, &errs), -ENOENT);
	assert_null(m);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 0);
	assert_string_equal(errs.v[0].file, path);
	assert_string_equal(errs.v[0].msg, "cannot read: No such file or directory");
	{
		char *out = NULL, want[128];
		size_t len = 0;
		FILE *mf = open_memstream(&out, &len);

		assert_non_null(mf);
		mapper_errors_print(&errs, mf);
		fclose(mf);
		snprintf(want, sizeof(want), "%s: cannot read: No such file or directory\n", path);
		assert_string_equal(out, want);
		free(out);
	}
	mapper_errors_free(&errs);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs(design_example, f);
	fclose(f);
	assert_int_equal(mapper_load(path, &m, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_string_equal(mapper_path(m), path);
	assert_string_equal(mapper_find_serial(m, "1a2b3c4d")->name, "rpi-01");
	mapper_free(m);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[node:x]\n", f);
	fclose(f);
	assert_int_equal(mapper_load(path, &m, &errs), -EINVAL);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].file, path);
	assert_int_equal(errs.v[0].line, 1);
	assert_string_equal(errs.v[0].msg, "node x has no image");
	mapper_errors_free(&errs);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* upgrade and persist: inherited like the other keys, checked when read. */
static void test_upgrade_and_persist(void **state)
{
	struct mapper *m = load_ok("[defaults]\n"			   /* 1 */
				   "image = base\n"			   /* 2 */
				   "upgrade = rebase\n"			   /* 3 */
				   "[profile:kiosk]\n"			   /* 4 */
				   "persist = /var/lib/kiosk, /etc/wpa*\n" /* 5 */
				   "[node:a]\n"				   /* 6 */
				   "profile = kiosk\n"			   /* 7 */
				   "[node:b]\n"				   /* 8 */
				   "upgrade = keep\n"			   /* 9 */
				   "persist =\n");			   /* 10 */
	const struct node *a = mapper_find_name(m, "a"), *b = mapper_find_name(m, "b");
	char buf[128];

	(void)state;
	assert_int_equal(a->upgrade, UPGRADE_REBASE);
	assert_string_equal(a->origin[NODE_KEY_UPGRADE].section, "defaults");
	assert_int_equal(a->origin[NODE_KEY_UPGRADE].line, 3);
	assert_int_equal(a->n_persist, 2);
	assert_string_equal(a->persist[0], "/var/lib/kiosk");
	assert_string_equal(a->persist[1], "/etc/wpa*");
	assert_string_equal(node_key_value(a, NODE_KEY_PERSIST, buf, sizeof(buf)),
			    "/var/lib/kiosk,/etc/wpa*");
	assert_int_equal(b->upgrade, UPGRADE_KEEP);
	assert_string_equal(node_key_value(b, NODE_KEY_UPGRADE, buf, sizeof(buf)), "keep");
	assert_int_equal(b->n_persist, 0); /* an empty list keeps nothing */
	mapper_free(m);

	m = load_ok("[node:c]\nimage = x\n");
	assert_int_equal(mapper_find_name(m, "c")->upgrade, UPGRADE_KEEP);
	assert_string_equal(
		node_key_value(mapper_find_name(m, "c"), NODE_KEY_PERSIST, buf, sizeof(buf)),
		"/home,/root,/etc/ssh/ssh_host_*,/etc/machine-id,/var/log");
	mapper_free(m);

	expect_errors("[defaults]\nimage = a\nupgrade = merge\n",
		      "t.ini:3: bad value for upgrade: 'merge' (expected keep or rebase)\n");
	expect_errors("[defaults]\nimage = a\npersist = /home etc/x\n",
		      "t.ini:3: bad path in persist: 'etc/x' (expected an absolute path or glob "
		      "without . or .. parts)\n");
	expect_errors("[node:n]\nimage = a\npersist = /home/../etc\n",
		      "t.ini:3: bad path in persist: '/home/../etc' (expected an absolute path or "
		      "glob without . or .. parts)\n");
}

/* boot = pi | pxe, inherited like overlay; loaders in [server]. */
static void test_boot_key(void **state)
{
	struct mapper *m = load_ok("[server]\n"		       /* 1 */
				   "loaders = /opt/ipxe\n"     /* 2 */
				   "[defaults]\n"	       /* 3 */
				   "image = img\n"	       /* 4 */
				   "boot = pxe\n"	       /* 5 */
				   "[profile:pis]\n"	       /* 6 */
				   "boot = pi\n"	       /* 7 */
				   "[node:pc]\n"	       /* 8 */
				   "cmdline = console=ttyS0\n" /* 9 */
				   "[node:rpi]\n"	       /* 10 */
				   "profile = pis\n");	       /* 11 */
	const struct node *pc = mapper_find_name(m, "pc"), *rpi = mapper_find_name(m, "rpi");
	char buf[16];

	(void)state;
	assert_string_equal(mapper_server(m)->loaders, "/opt/ipxe");
	assert_int_equal(pc->boot, BOOT_PXE);
	assert_string_equal(pc->origin[NODE_KEY_BOOT].section, "defaults");
	assert_int_equal(pc->origin[NODE_KEY_BOOT].line, 5);
	assert_string_equal(node_key_value(pc, NODE_KEY_BOOT, buf, sizeof(buf)), "pxe");
	assert_int_equal(rpi->boot, BOOT_PI);
	assert_string_equal(rpi->origin[NODE_KEY_BOOT].section, "profile:pis");
	assert_string_equal(node_key_value(rpi, NODE_KEY_BOOT, buf, sizeof(buf)), "pi");
	mapper_free(m);

	m = load_ok("[node:c]\nimage = x\n");
	assert_int_equal(mapper_find_name(m, "c")->boot, BOOT_PI);
	assert_string_equal(mapper_server(m)->loaders, "/usr/lib/ipxe");
	mapper_free(m);

	expect_errors("[defaults]\nimage = a\nboot = uefi\n",
		      "t.ini:3: bad value for boot: 'uefi' (expected pi or pxe)\n");
	/* iPXE would expand ${...} in a PXE node's cmdline; a Pi's is fine. */
	expect_errors("[defaults]\nimage = a\ncmdline = x=${net0/mac}\n[node:pc]\nboot = pxe\n"
		      "[node:pi]\n",
		      "t.ini:3: cmdline: '${' cannot be written in an iPXE script (node pc has "
		      "boot = pxe)\n");
}

static void test_node_key_names(void **state)
{
	static const char *const want[NODE_KEY__COUNT] = {
		"image",   "overlay", "cmdline", "boot_dir", "boot", "layers", "quota",	  "upgrade",
		"persist", "model",   "server",	 "serial",   "mac",  "ip",     "profile",
	};
	int k;

	(void)state;
	for (k = 0; k < NODE_KEY__COUNT; k++)
		assert_string_equal(node_key_name((enum node_key)k), want[k]);
}

/* quota: bytes with K/M/G, inherited like overlay; 0 and absent: unlimited. */
static void test_quota_key(void **state)
{
	struct mapper *m = load_ok("[defaults]\n"		      /* 1 */
				   "image = img\n"		      /* 2 */
				   "quota = 1G\n"		      /* 3 */
				   "[profile:small]\n"		      /* 4 */
				   "quota = 512K\n"		      /* 5 */
				   "[node:a]\n"			      /* 6 */
				   "profile = small\n"		      /* 7 */
				   "[node:b]\n"			      /* 8 */
				   "[node:c]\n"			      /* 9 */
				   "quota = 0\n"		      /* 10 */
				   "[node:d]\n"			      /* 11 */
				   "quota = 1536M\n"		      /* 12 */
				   "[node:e]\n"			      /* 13 */
				   "quota = 18446744073709551615\n"); /* 14 */
	const struct node *n;
	char buf[32];

	(void)state;
	n = mapper_find_name(m, "a");
	assert_int_equal(n->quota, 512 * 1024);
	assert_string_equal(n->origin[NODE_KEY_QUOTA].section, "profile:small");
	assert_int_equal(n->origin[NODE_KEY_QUOTA].line, 5);
	assert_string_equal(node_key_value(n, NODE_KEY_QUOTA, buf, sizeof(buf)), "512K");
	n = mapper_find_name(m, "b");
	assert_int_equal(n->quota, 1ULL << 30);
	assert_string_equal(n->origin[NODE_KEY_QUOTA].section, "defaults");
	assert_string_equal(node_key_value(n, NODE_KEY_QUOTA, buf, sizeof(buf)), "1G");
	n = mapper_find_name(m, "c");
	assert_int_equal(n->quota, 0);
	assert_string_equal(node_key_value(n, NODE_KEY_QUOTA, buf, sizeof(buf)), "unlimited");
	n = mapper_find_name(m, "d");
	assert_int_equal(n->quota, 1536ULL << 20);
	assert_string_equal(node_key_value(n, NODE_KEY_QUOTA, buf, sizeof(buf)), "1536M");
	n = mapper_find_name(m, "e");
	assert_true(n->quota == 18446744073709551615ULL);
	mapper_free(m);

	m = load_ok("[defaults]\nimage = img\n[node:a]\n");
	assert_int_equal(mapper_find_name(m, "a")->quota, 0);
	assert_string_equal(mapper_find_name(m, "a")->origin[NODE_KEY_QUOTA].section, "built-in");
	mapper_free(m);

	expect_errors("[defaults]\nimage = img\nquota = 1T\n[node:a]\n",
		      "t.ini:3: bad value for quota: '1T' (expected bytes, with an optional K, M "
		      "or G suffix; 0 is unlimited)\n");
	expect_errors("[defaults]\nimage = img\n[node:a]\nquota = 17179869184G\n",
		      "t.ini:4: bad value for quota: '17179869184G' (expected bytes, with an "
		      "optional K, M or G suffix; 0 is unlimited)\n");
	expect_errors(
		"[defaults]\nimage = img\n[node:a]\nquota = +5\n",
		"t.ini:4: bad value for quota: '+5' (expected bytes, with an optional K, M or "
		"G suffix; 0 is unlimited)\n");
}

#define BIG 10000

/* model: pi3|pi4|pi5, inherited like quota; unset is PI_MODEL_ANY. */
static void test_model_key(void **state)
{
	struct mapper *m = load_ok("[defaults]\n"    /* 1 */
				   "image = img\n"   /* 2 */
				   "model = pi4\n"   /* 3 */
				   "[profile:old]\n" /* 4 */
				   "model = pi3\n"   /* 5 */
				   "[node:a]\n"	     /* 6 */
				   "profile = old\n" /* 7 */
				   "[node:b]\n"	     /* 8 */
				   "[node:c]\n"	     /* 9 */
				   "model = pi5\n"); /* 10 */
	const struct node *n;
	char buf[32];

	(void)state;
	n = mapper_find_name(m, "a");
	assert_int_equal(n->model, PI_MODEL_3);
	assert_string_equal(n->origin[NODE_KEY_MODEL].section, "profile:old");
	assert_int_equal(n->origin[NODE_KEY_MODEL].line, 5);
	assert_string_equal(node_key_value(n, NODE_KEY_MODEL, buf, sizeof(buf)), "pi3");
	assert_int_equal(mapper_find_name(m, "b")->model, PI_MODEL_4);
	assert_int_equal(mapper_find_name(m, "c")->model, PI_MODEL_5);
	mapper_free(m);

	m = load_ok("[defaults]\nimage = img\n[node:a]\n");
	n = mapper_find_name(m, "a");
	assert_int_equal(n->model, PI_MODEL_ANY);
	assert_string_equal(node_key_value(n, NODE_KEY_MODEL, buf, sizeof(buf)), "");
	mapper_free(m);

	expect_errors("[defaults]\nimage = img\n[node:a]\nmodel = pi2\n",
		      "t.ini:4: bad value for model: 'pi2' (expected pi3, pi4 or pi5)\n");
}

/* A partial load hands out the table next to the errors; a plain one does not. */
static void test_partial_load(void **state)
{
	static const char text[] = "[defaults]\nimage = img\ncolour = red\n[node:a]\n";
	struct mapper_errors errs = {0};
	struct mapper *m = NULL;

	(void)state;
	assert_int_equal(mapper_load_string("t.ini", text, strlen(text), &m, &errs), -EINVAL);
	assert_null(m);
	mapper_errors_free(&errs);
	assert_int_equal(mapper_load_string_partial("t.ini", text, strlen(text), &m, &errs),
			 -EINVAL);
	assert_non_null(m);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 3);
	assert_string_equal(mapper_find_name(m, "a")->image, "img");
	mapper_free(m);
	mapper_errors_free(&errs);
}

static void test_ten_thousand_nodes(void **state)
{
	char *text = NULL, name[32], serial[16], mac[24];
	size_t len = 0, i;
	struct mapper *m;
	FILE *f;

	(void)state;
	/* unique serials (a bijection mod 2^32-1) and MACs from the index */
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fputs("[defaults]\nimage = img\n", f);
	for (i = 0; i < BIG; i++)
		fprintf(f, "[node:n%zu]\nserial = %08zX\nmac = DC:A6:32:%02zx:%02zx:%02zx\n", i,
			i * 2654435761u % 0xffffffffu, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
	fclose(f);
	m = load_ok(text);
	free(text);
	assert_int_equal(mapper_node_count(m), BIG);
	for (i = 0; i < BIG; i++) {
		const struct node *n = mapper_node_at(m, i);

		snprintf(name, sizeof(name), "n%zu", i);
		snprintf(serial, sizeof(serial), "%08zx", i * 2654435761u % 0xffffffffu);
		snprintf(mac, sizeof(mac), "dc-a6-32-%02zx-%02zx-%02zx", (i >> 16) & 0xff,
			 (i >> 8) & 0xff, i & 0xff);
		assert_string_equal(n->name, name);
		assert_ptr_equal(mapper_find_name(m, name), n);
		assert_ptr_equal(mapper_find_serial(m, serial), n);
		assert_ptr_equal(mapper_find_mac(m, mac), n);
		assert_int_equal(n->line, 3 + 3 * i);
	}
	assert_null(mapper_find_name(m, "n10000"));
	assert_null(mapper_find_mac(m, "dc-a6-32-ff-ff-ff"));
	mapper_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_server_defaults),
		cmocka_unit_test(test_server_roles),
		cmocka_unit_test(test_server_all_keys),
		cmocka_unit_test(test_empty_prefixes_and_no_errs),
		cmocka_unit_test(test_precedence_and_origins),
		cmocka_unit_test(test_identity_forms),
		cmocka_unit_test(test_syntax_variants),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_err_sections),
		cmocka_unit_test(test_err_keys),
		cmocka_unit_test(test_err_node_values),
		cmocka_unit_test(test_err_server_values),
		cmocka_unit_test(test_err_duplicates),
		cmocka_unit_test(test_err_profiles),
		cmocka_unit_test(test_err_no_image),
		cmocka_unit_test(test_err_nul_byte),
		cmocka_unit_test(test_errors_collected_in_line_order),
		cmocka_unit_test(test_error_text_is_sanitised),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_node_key_names),
		cmocka_unit_test(test_boot_key),
		cmocka_unit_test(test_quota_key),
		cmocka_unit_test(test_upgrade_and_persist),
		cmocka_unit_test(test_model_key),
		cmocka_unit_test(test_partial_load),
		cmocka_unit_test(test_ten_thousand_nodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
