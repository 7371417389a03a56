/* SPDX-License-Identifier: MIT */
/* netbootctl status: what the running daemon serves, from its control socket. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/args.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/output.h"
#include "ctl/overlay_dir.h"

static const char status_help[] =
	"Usage: netbootctl [-c CONFIG] status [--json]\n"
	"\n"
	"Ask the running netbootfs (through [server] control) what it serves, one\n"
	"line per node: NODE IMAGE GEN (the generation it booted with) NEWER (the\n"
	"generation its next boot takes, when that differs; IMAGE:GEN when its\n"
	"config names another image) LAST-BOOT TFTP-BYTES (sizes of the files\n"
	"fetched from its boot tree since the daemon started) OVERLAY (bytes of file\n"
	"data in its overlay) QUOTA (USED/LIMIT: the space its overlay takes on\n"
	"the host, in blocks, as the daemon counts it, against its quota; - for no\n"
	"quota) UP. Then the open image generations: GEN IMAGE REFS PINNED-BY. Then\n"
	"the image files that are not generations: \"verifying NAME: 45% (120/260\n"
	"MiB)\" (bytes of file data read) or \"verifying NAME: waiting\" while a new\n"
	"file is verified before it becomes a generation, \"refused PATH: REASON\"\n"
	"for a file that failed validation or verification. Then the nodes whose\n"
	"lease another server holds (several servers over shared storage): \"waiting\n"
	"for NODE: its lease is held by SERVER (host HOST, pid PID) since TIME; its\n"
	"root is not mounted here\". Then, for nodes with\n"
	"upgrade = rebase, the summary of their last rebase and its conflicts (from\n"
	"<overlays>/.archive/NODE/).\n"
	"\n"
	"A node is up while its root served a request within the last\n"
	"2 * boot_gap seconds, or while it boots (the TFTP server looked up a file\n"
	"of its boot tree within the last boot_gap seconds). open_files counts\n"
	"files open with a handle: none on kernels that open files without asking\n"
	"the daemon (FUSE no_open), which is what the roots ask for.\n"
	"\n"
	"With several servers ([server:NAME]), a last line names this server and\n"
	"counts the nodes the others serve: known here, never served nor\n"
	"discovered (--json: server, address, elsewhere [{name, server}],\n"
	"elsewhere_requests, the TFTP lookups they made here; and each node's\n"
	"server, the next one's for a node moved away that is still up here).\n"
	"Then \"server NAME is down: its nodes are served here\" for each server this\n"
	"one took over (--json: taking_over [NAME]).\n"
	"\n"
	"--json prints the daemon's answer: {\"nodes\": [...], \"generations\": [...]}\n"
	"with per node name, image, generation, newer, next_image, last_boot (Unix\n"
	"time), boot_pending, tftp_bytes, overlay_bytes, quota (bytes, 0 for none),\n"
	"quota_used (bytes; null when the root is not mounted), open_files,\n"
	"idle_seconds, up, in_config, mounted, last_rebase (upgrade = rebase: the\n"
	"summary and conflict lines of its last rebase's report, or null), lease\n"
	"(held: true for this daemon's, false for the holder it waits for; server,\n"
	"host, pid, since (Unix time); null for role = pxe); per\n"
	"generation id, image, path, size, refs, newest, pinned_by, tftp_root;\n"
	"\"verifying\": [...] with image, path, active, done and total (bytes of file\n"
	"data); \"refused\": [...] with image, path and reason. Exits 1 when the\n"
	"daemon is not running.\n";

static const char *obj_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An integer member; false when absent or null. */
static bool obj_int(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static bool obj_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static struct json_object *obj_array(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* Add "overlay_bytes" to every node: the client measures, so that a big
 * overlay never holds up the daemon. */
static void add_overlay_sizes(struct json_object *nodes)
{
	size_t i;

	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);
		const char *dir = obj_str(n, "overlay_dir");
		uint64_t bytes = 0;
		int err = dir ? overlay_usage(dir, &bytes) : -ENOENT;

		if (err && dir)
			ctl_err("status: %s: %s", dir, strerror(-err));
		json_object_object_add(n, "overlay_bytes",
				       err ? NULL : json_object_new_int64((int64_t)bytes));
	}
}

/* Add "last_rebase" to every node: its last rebase's summary and conflicts. */
static void add_rebase_reports(struct json_object *nodes)
{
	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);
		const char *dir = obj_str(n, "overlay_dir");
		char *report = dir ? overlay_last_rebase(dir) : NULL;

		json_object_object_add(n, "last_rebase", json_string_or_null(report));
		free(report);
	}
}

/* "waiting for n1: its lease is held by srv-a (host h, pid 9) since TIME":
 * the nodes whose root another server serves. */
static void print_leases(struct json_object *nodes)
{
	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i), *l;
		const char *server, *host;
		char since[32] = "";
		int64_t pid = 0, t;

		if (!json_object_object_get_ex(n, "lease", &l) || !l || obj_bool(l, "held"))
			continue;
		server = obj_str(l, "server");
		host = obj_str(l, "host");
		if (obj_int(l, "since", &t)) {
			strcpy(since, " since ");
			fmt_time_utc((time_t)t, since + 7, sizeof(since) - 7);
		}
		printf("waiting for %s: its lease is held by ",
		       obj_str(n, "name") ? obj_str(n, "name") : "?");
		if (server && host && obj_int(l, "pid", &pid))
			printf("%s (host %s, pid %" PRId64 ")%s", server, host, pid, since);
		else
			printf("an unknown holder");
		printf("; its root is not mounted here\n");
	}
}

/* Any node waiting for its lease. */
static bool any_waiting(struct json_object *nodes)
{
	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *l;

		if (json_object_object_get_ex(json_object_array_get_idx(nodes, i), "lease", &l) &&
		    l && !obj_bool(l, "held"))
			return true;
	}
	return false;
}

/* The nodes' last rebases, after the tables. */
static void print_rebases(struct json_object *nodes)
{
	bool head = false;

	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);
		const char *report = obj_str(n, "last_rebase");

		if (!report)
			continue;
		if (!head)
			printf("\nLAST REBASE\n");
		head = true;
		printf("%s: %s", obj_str(n, "name") ? obj_str(n, "name") : "?", report);
	}
}

static const char *newer_text(struct json_object *n, char *buf, size_t len)
{
	const char *image = obj_str(n, "image"), *next = obj_str(n, "next_image");
	int64_t gen;

	buf[0] = '\0';
	if (!obj_int(n, "newer", &gen))
		return buf;
	if (next && (!image || strcmp(image, next) != 0))
		snprintf(buf, len, "%s:%" PRId64, next, gen);
	else
		snprintf(buf, len, "%" PRId64, gen);
	return buf;
}

/* "USED/LIMIT", "-" for what is unknown or unlimited. */
static const char *quota_text(struct json_object *n, char *buf, size_t len)
{
	char used[16] = "-", limit[16] = "-";
	int64_t v;

	if (obj_int(n, "quota_used", &v))
		fmt_size((uint64_t)v, used, sizeof(used));
	if (obj_int(n, "quota", &v) && v > 0)
		fmt_size((uint64_t)v, limit, sizeof(limit));
	snprintf(buf, len, "%s/%s", used, limit);
	return buf;
}

static int print_nodes(struct json_object *nodes)
{
	static const char *const headers[] = {"NODE",	 "IMAGE",     "GEN",
					      "NEWER",	 "LAST-BOOT", "TFTP-BYTES",
					      "OVERLAY", "QUOTA",     "UP"};
	struct table t;
	size_t i;
	int ret = 0;

	table_init(&t, 9, headers);
	for (i = 0; nodes && i < json_object_array_length(nodes) && ret == 0; i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);
		char name[NODE_NAME_MAX + 16], gen[16] = "", newer[96], boot[32] = "-";
		char tftp[16], overlay[16] = "", quota[40];
		int64_t v;
		const char *row[9] = {name,
				      obj_str(n, "image"),
				      gen,
				      newer,
				      boot,
				      tftp,
				      overlay,
				      quota_text(n, quota, sizeof(quota)),
				      obj_bool(n, "up") ? "yes" : "no"};

		snprintf(name, sizeof(name), "%s%s", obj_str(n, "name") ? obj_str(n, "name") : "?",
			 obj_bool(n, "in_config") ? "" : " (removed)");
		if (obj_int(n, "generation", &v))
			snprintf(gen, sizeof(gen), "%" PRId64, v);
		newer_text(n, newer, sizeof(newer));
		if (obj_int(n, "last_boot", &v))
			fmt_time_utc((time_t)v, boot, sizeof(boot));
		fmt_size(obj_int(n, "tftp_bytes", &v) ? (uint64_t)v : 0, tftp, sizeof(tftp));
		if (obj_int(n, "overlay_bytes", &v))
			fmt_size((uint64_t)v, overlay, sizeof(overlay));
		ret = table_add(&t, row);
	}
	if (ret == 0)
		table_print(&t, stdout);
	table_free(&t);
	return ret;
}

/* "n1,n2" and "(tftp root)" for bootcode.bin. */
static void pinned_text(struct json_object *g, char *buf, size_t len)
{
	struct json_object *names = obj_array(g, "pinned_by");
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; names && i < json_object_array_length(names) && used < len; i++)
		used += (size_t)snprintf(
			buf + used, len - used, "%s%s", used ? "," : "",
			json_object_get_string(json_object_array_get_idx(names, i)));
	if (obj_bool(g, "tftp_root") && used < len)
		snprintf(buf + used, len - used, "%s(tftp root)", used ? "," : "");
}

static int print_gens(struct json_object *gens)
{
	static const char *const headers[] = {"GEN",  "IMAGE",	"SIZE",
					      "REFS", "NEWEST", "PINNED-BY"};
	struct table t;
	size_t i;
	int ret = 0;

	table_init(&t, 6, headers);
	for (i = 0; gens && i < json_object_array_length(gens) && ret == 0; i++) {
		struct json_object *g = json_object_array_get_idx(gens, i);
		char id[16] = "", size[16] = "", refs[16] = "", pins[256];
		const char *row[6] = {
			id,  obj_str(g, "image"), size, refs, obj_bool(g, "newest") ? "yes" : "no",
			pins};
		int64_t v;

		if (obj_int(g, "id", &v))
			snprintf(id, sizeof(id), "%" PRId64, v);
		if (obj_int(g, "size", &v))
			fmt_size((uint64_t)v, size, sizeof(size));
		if (obj_int(g, "refs", &v))
			snprintf(refs, sizeof(refs), "%" PRId64, v);
		pinned_text(g, pins, sizeof(pins));
		ret = table_add(&t, row);
	}
	if (ret == 0)
		table_print(&t, stdout);
	table_free(&t);
	return ret;
}

/* "verifying NAME: 45% (120/260 MiB)", "refused PATH: REASON". */
static void print_unserved(struct json_object *reply)
{
	struct json_object *verifying = obj_array(reply, "verifying");
	struct json_object *refused = obj_array(reply, "refused");
	size_t i;

	for (i = 0; verifying && i < json_object_array_length(verifying); i++) {
		struct json_object *f = json_object_array_get_idx(verifying, i);
		const char *name = obj_str(f, "image");
		int64_t done = 0, total = 0;

		obj_int(f, "done", &done);
		obj_int(f, "total", &total);
		if (!obj_bool(f, "active"))
			printf("verifying %s: waiting\n", name ? name : "?");
		else if (total <= 0)
			printf("verifying %s: reading its tables\n", name ? name : "?");
		else
			printf("verifying %s: %" PRId64 "%% (%" PRId64 "/%" PRId64 " MiB)\n",
			       name ? name : "?", done * 100 / total, done >> 20,
			       (total + (1 << 20) - 1) >> 20);
	}
	for (i = 0; refused && i < json_object_array_length(refused); i++) {
		struct json_object *f = json_object_array_get_idx(refused, i);
		const char *path = obj_str(f, "path"), *why = obj_str(f, "reason");

		printf("refused %s: %s\n", path ? path : "?", why ? why : "?");
	}
}

/* "server alpha (10.0.0.1): 3 nodes are served by other servers (...)" */
static void print_server(struct json_object *reply)
{
	struct json_object *other = obj_array(reply, "elsewhere");
	const char *self = obj_str(reply, "server"), *addr = obj_str(reply, "address");
	int64_t asked = 0;

	if (!self)
		return;
	obj_int(reply, "elsewhere_requests", &asked);
	printf("\nserver %s (%s): %zu nodes are served by other servers, not here "
	       "(%" PRId64 " TFTP requests from them)\n",
	       self, addr ? addr : "?", other ? json_object_array_length(other) : 0, asked);
	other = obj_array(reply, "taking_over");
	for (size_t i = 0; other && i < json_object_array_length(other); i++)
		printf("server %s is down: its nodes are served here\n",
		       json_object_get_string(json_object_array_get_idx(other, i)));
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	struct json_object *req, *reply = NULL;
	struct arg_values av;
	char path[PATH_MAX];
	int ret;

	ret = args_parse("status", status_help, ARG_JSON, 0, 0, argc, argv, &av);
	if (ret >= 0)
		return ret;
	if (ctl_control_path(c, "status", path, sizeof(path)) < 0)
		return CTL_EXIT_FAIL;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	ret = ctl_daemon_call(path, req, &reply);
	json_object_put(req);
	if (ret < 0) {
		ctl_daemon_error(path, "status", ret);
		return CTL_EXIT_FAIL;
	}
	if (!ctl_reply_ok(reply)) {
		ctl_err("status: %s", ctl_reply_error(reply));
		json_object_put(reply);
		return CTL_EXIT_FAIL;
	}
	add_overlay_sizes(obj_array(reply, "nodes"));
	add_rebase_reports(obj_array(reply, "nodes"));
	json_object_object_del(reply, "ok");
	if (av.json) {
		ret = json_print(reply, stdout);
	} else {
		ret = print_nodes(obj_array(reply, "nodes"));
		if (ret == 0) {
			putchar('\n');
			ret = print_gens(obj_array(reply, "generations"));
		}
		if (ret == 0 && (obj_array(reply, "verifying") || obj_array(reply, "refused")) &&
		    (json_object_array_length(obj_array(reply, "verifying")) ||
		     json_object_array_length(obj_array(reply, "refused")))) {
			putchar('\n');
			print_unserved(reply);
		}
		if (ret == 0 && any_waiting(obj_array(reply, "nodes"))) {
			putchar('\n');
			print_leases(obj_array(reply, "nodes"));
		}
		if (ret == 0)
			print_rebases(obj_array(reply, "nodes"));
		if (ret == 0)
			print_server(reply);
	}
	json_object_put(reply);
	if (ret < 0) {
		ctl_err("status: %s", strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}
