/* SPDX-License-Identifier: MIT */
/* netbootctl images, netbootctl image verify. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/args.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/image_dir.h"
#include "ctl/output.h"
#include "ctl/progress.h"
#include "images/images.h"

static const char images_help[] =
	"Usage: netbootctl [-c CONFIG] images [--json]\n"
	"\n"
	"List the images in [server] images: NAME SIZE COMPRESSION GENERATION\n"
	"PINNED-BY. GENERATION is the persistent id of the newest file under that\n"
	"name (kept in <images>/.generations, the same for every server over these\n"
	"images); PINNED-BY the nodes whose running root\n"
	"holds a generation of it (asked from the running daemon; '-' without one).\n"
	"A file that is not a generation yet is verified first, as image verify\n"
	"does (progress on a terminal). Files that fail validation or verification\n"
	"are named on stderr. --json prints an array of objects with the keys name, size\n"
	"(bytes), compression, generation and pinned_by (an array of node names).\n";

static const char image_help[] =
	"Usage: netbootctl [-c CONFIG] image verify NAME|FILE\n"
	"\n"
	"Read every inode, directory and data block of an image. NAME means\n"
	"<images>/NAME.sqfs; an argument containing '/' or ending in .sqfs is a\n"
	"file. Shows progress on a terminal. Exits 1 naming the first problem.\n";

struct image_row {
	char *name;
	uint64_t size;
	const char *compression; /* static string from images/ */
	unsigned generation;
	char **pinned_by; /* node names; filled from the daemon when it runs */
	size_t n_pinned;
};

struct image_rows {
	struct image_row *v;
	size_t n;
};

static void report_rejected(void *ctx, const char *path, const struct image_gen *gen, int err,
			    const char *why)
{
	progress_finish(ctx);
	if (!gen)
		ctl_err("%s: %s", path, why && why[0] ? why : strerror(-err));
}

/* Append @name to @r's pinned_by unless it is there already. */
static int add_pin(struct image_row *r, const char *name)
{
	char **v;

	for (size_t i = 0; i < r->n_pinned; i++)
		if (strcmp(r->pinned_by[i], name) == 0)
			return 0;
	v = realloc(r->pinned_by, (r->n_pinned + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->pinned_by = v;
	v[r->n_pinned] = strdup(name);
	if (!v[r->n_pinned])
		return -ENOMEM;
	r->n_pinned++;
	return 0;
}

/*
 * Which nodes pin which generation is known only to the running daemon:
 * its status reply lists every open generation with pinned_by. A node is
 * listed under its image whichever generation of it the node runs. No
 * daemon: every list stays empty.
 */
static int fill_pinned_by(struct ctl *c, struct image_rows *rows)
{
	struct json_object *req, *reply = NULL, *gens, *g, *v, *pins;
	char path[PATH_MAX];
	int ret;

	if (ctl_control_path(c, "images", path, sizeof(path)) < 0)
		return 0;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	ret = ctl_daemon_call(path, req, &reply);
	json_object_put(req);
	if (ret < 0) {
		if (!ctl_daemon_absent(ret))
			ctl_daemon_error(path, "images", ret);
		return 0;
	}
	ret = 0;
	if (ctl_reply_ok(reply) && json_object_object_get_ex(reply, "generations", &gens) &&
	    json_object_is_type(gens, json_type_array)) {
		for (size_t i = 0; ret == 0 && i < json_object_array_length(gens); i++) {
			const char *image;

			g = json_object_array_get_idx(gens, i);
			if (!json_object_object_get_ex(g, "image", &v) ||
			    !json_object_object_get_ex(g, "pinned_by", &pins) ||
			    !json_object_is_type(pins, json_type_array))
				continue;
			image = json_object_get_string(v);
			for (size_t r = 0; ret == 0 && r < rows->n; r++) {
				if (strcmp(rows->v[r].name, image) != 0)
					continue;
				for (size_t k = 0; ret == 0 && k < json_object_array_length(pins);
				     k++)
					ret = add_pin(&rows->v[r],
						      json_object_get_string(
							      json_object_array_get_idx(pins, k)));
			}
		}
	}
	json_object_put(reply);
	return ret;
}

static void image_rows_free(struct image_rows *rows)
{
	size_t i, j;

	for (i = 0; i < rows->n; i++) {
		free(rows->v[i].name);
		for (j = 0; j < rows->v[i].n_pinned; j++)
			free(rows->v[i].pinned_by[j]);
		free(rows->v[i].pinned_by);
	}
	free(rows->v);
}

static void scan_progress(void *ctx, const char *path, uint64_t done, uint64_t total)
{
	(void)path;
	progress_update(ctx, done, total);
}

static int collect_images(const struct server_config *srv, struct image_rows *rows)
{
	struct catalog *cat = NULL;
	struct progress prog;
	size_t i, n;
	int ret;

	ret = catalog_open(srv->images, srv->state, &cat);
	if (ret < 0) {
		ctl_err("%s: %s", srv->images, strerror(-ret));
		return ret;
	}
	progress_init(&prog, stderr, "verifying");
	catalog_set_progress(cat, scan_progress, &prog);
	ret = catalog_scan(cat, report_rejected, &prog);
	if (ret < 0) {
		ctl_err("%s: %s", srv->images, strerror(-ret));
		goto out;
	}
	ret = 0;
	n = catalog_count(cat);
	rows->v = calloc(n ? n : 1, sizeof(*rows->v));
	if (!rows->v) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct image_gen *g = catalog_newest(cat, catalog_name_at(cat, i));
		struct image_row *r = &rows->v[rows->n];

		if (!g)
			continue;
		r->name = strdup(image_gen_name(g));
		r->size = image_gen_info(g)->file_size;
		r->compression = image_gen_info(g)->compression;
		r->generation = image_gen_id(g);
		image_gen_put(g);
		if (!r->name) {
			ret = -ENOMEM;
			goto out;
		}
		rows->n++;
	}
out:
	catalog_close(cat);
	return ret;
}

static struct json_object *image_row_json(const struct image_row *r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *pins = json_object_new_array();
	size_t i;

	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)r->size));
	json_object_object_add(o, "compression", json_string_or_null(r->compression));
	json_object_object_add(o, "generation", json_object_new_int64(r->generation));
	for (i = 0; i < r->n_pinned; i++)
		json_object_array_add(pins, json_object_new_string(r->pinned_by[i]));
	json_object_object_add(o, "pinned_by", pins);
	return o;
}

static int print_images_json(const struct image_rows *rows)
{
	struct json_object *arr = json_object_new_array();
	size_t i;
	int ret;

	for (i = 0; i < rows->n; i++)
		json_object_array_add(arr, image_row_json(&rows->v[i]));
	ret = json_print(arr, stdout);
	json_object_put(arr);
	return ret;
}

/* "rpi-01,rpi-02" into @buf (truncated with "..."). */
static const char *join_names(char *const *names, size_t n, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", names[i]);
	if (used >= len && len > 4)
		strcpy(buf + len - 4, "...");
	return buf;
}

static int print_images_table(const struct image_rows *rows)
{
	static const char *const headers[] = {"NAME", "SIZE", "COMPRESSION", "GENERATION",
					      "PINNED-BY"};
	struct table t;
	size_t i;
	int ret = 0;

	table_init(&t, 5, headers);
	for (i = 0; i < rows->n && ret == 0; i++) {
		const struct image_row *r = &rows->v[i];
		char size[16], gen[16], pins[256];
		const char *row[5] = {r->name, fmt_size(r->size, size, sizeof(size)),
				      r->compression, gen,
				      join_names(r->pinned_by, r->n_pinned, pins, sizeof(pins))};

		snprintf(gen, sizeof(gen), "%u", r->generation);
		ret = table_add(&t, row);
	}
	if (ret == 0)
		table_print(&t, stdout);
	table_free(&t);
	return ret;
}

int cmd_images(struct ctl *c, int argc, char **argv)
{
	struct image_rows rows = {0};
	const struct mapper *m;
	struct arg_values av;
	int ret;

	ret = args_parse("images", images_help, ARG_JSON, 0, 0, argc, argv, &av);
	if (ret >= 0)
		return ret;
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	ret = collect_images(mapper_server(m), &rows);
	if (ret == 0)
		ret = fill_pinned_by(c, &rows);
	if (ret == 0)
		ret = av.json ? print_images_json(&rows) : print_images_table(&rows);
	else if (ret == -ENOMEM)
		ctl_err("images: %s", strerror(-ret));
	image_rows_free(&rows);
	return ret < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* A NAME is looked up in [server] images; a path is used as it is. */
static bool arg_is_file(const char *arg)
{
	size_t len = strlen(arg), slen = strlen(IMAGE_SUFFIX);

	return strchr(arg, '/') || (len >= slen && strcmp(arg + len - slen, IMAGE_SUFFIX) == 0);
}

static int image_verify_cmd(struct ctl *c, int argc, char **argv)
{
	struct progress prog;
	struct image_info info;
	struct arg_values av;
	char why[512] = "";
	char *path;
	int ret;

	ret = args_parse("image verify", image_help, 0, 1, 1, argc, argv, &av);
	if (ret >= 0)
		return ret;
	if (arg_is_file(av.pos[0])) {
		path = strdup(av.pos[0]);
	} else {
		const struct mapper *m = ctl_load_config(c);

		if (!m)
			return CTL_EXIT_FAIL;
		path = image_path(mapper_server(m)->images, av.pos[0]);
	}
	if (!path) {
		ctl_err("image verify: %s", strerror(ENOMEM));
		return CTL_EXIT_FAIL;
	}
	/* The superblock check first: a truncated file gets a precise reason. */
	ret = image_validate(path, &info, why, sizeof(why));
	if (ret == 0) {
		progress_init(&prog, stderr, "verifying");
		ret = image_verify(path, progress_update_fn, &prog, why, sizeof(why));
		progress_finish(&prog);
	}
	if (ret < 0)
		ctl_err("%s: %s", path, why[0] ? why : strerror(-ret));
	else
		printf("ok: %s (%llu bytes verified)\n", path, (unsigned long long)info.bytes_used);
	free(path);
	return ret < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int cmd_image(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return image_verify_cmd(c, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(image_help, stdout);
		return CTL_EXIT_OK;
	}
	if (argc < 2)
		return usage_error("image", "missing subcommand (verify)");
	return usage_error("image", "unknown subcommand '%s'", argv[1]);
}
