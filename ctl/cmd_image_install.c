/* SPDX-License-Identifier: MIT */
/* netbootctl image install|rollback|list: changing and listing image files. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/args.h"
#include "ctl/ctl.h"
#include "ctl/image_dir.h"
#include "ctl/image_lock.h"
#include "ctl/output.h"
#include "ctl/progress.h"
#include "images/images.h"

static const char admin_help[] =
	"Usage: netbootctl [-c CONFIG] image install [--no-wait] FILE NAME\n"
	"       netbootctl [-c CONFIG] image rollback [--no-wait] NAME\n"
	"       netbootctl [-c CONFIG] image list [NAME] [--json]\n"
	"\n"
	"install copies FILE into [server] images under a temporary name, fsyncs,\n"
	"validates and verifies it (every block read and decompressed, as image\n"
	"verify; progress on a terminal; a corrupt FILE is refused with exit 1 and\n"
	"the reason), keeps the current NAME.sqfs under .history/ (the newest\n"
	"[server] history files, default 3) and renames the copy into place. The\n"
	"daemon, if running, verifies it again in the background and then takes it\n"
	"as the newest generation of NAME; nodes switch to it at their next boot.\n"
	"rollback puts the newest history file of NAME back the same way, without\n"
	"verifying it again (it was verified when it was installed; the daemon does,\n"
	"unless it still has it open as a generation). The replaced file goes to the\n"
	"history, so another rollback undoes it. Neither needs the daemon. Both take\n"
	"the lock on NAME (see image shell): they wait for another command changing\n"
	"NAME, or with --no-wait fail with exit 1 naming the holder.\n"
	"\n"
	"list shows, per image (or for NAME), the current file and the history:\n"
	"NAME STATE FILE MODIFIED SIZE, newest first. --json prints an array of\n"
	"objects with name, state (current|history), file, path, mtime (Unix\n"
	"time) and size (bytes).\n";

static int image_install_cmd(struct ctl *c, int argc, char **argv)
{
	const struct server_config *srv;
	const struct mapper *m;
	struct progress prog;
	struct arg_values av;
	char why[512] = "";
	int ret, lock;

	ret = args_parse("image install", admin_help, ARG_NO_WAIT, 2, 2, argc, argv, &av);
	if (ret >= 0)
		return ret;
	if (!image_name_valid(av.pos[1]))
		return usage_error("image install", "invalid image name '%s'", av.pos[1]);
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	srv = mapper_server(m);
	lock = image_lock_acquire(srv->images, av.pos[1], "image install", !av.no_wait, why,
				  sizeof(why));
	if (lock < 0) {
		ctl_err("image install: %s", why[0] ? why : strerror(-lock));
		return CTL_EXIT_FAIL;
	}
	progress_init(&prog, stderr, "verifying");
	ret = image_install_progress(srv->images, av.pos[0], av.pos[1], srv->history,
				     progress_update_fn, &prog, why, sizeof(why));
	progress_finish(&prog);
	image_lock_release(lock);
	if (ret < 0) {
		ctl_err("image install: %s", why[0] ? why : strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	printf("installed %s as %s/%s%s\n", av.pos[0], srv->images, av.pos[1], IMAGE_SUFFIX);
	return CTL_EXIT_OK;
}

static int image_rollback_cmd(struct ctl *c, int argc, char **argv)
{
	const struct server_config *srv;
	const struct mapper *m;
	struct arg_values av;
	char why[512] = "";
	int ret, lock;

	ret = args_parse("image rollback", admin_help, ARG_NO_WAIT, 1, 1, argc, argv, &av);
	if (ret >= 0)
		return ret;
	if (!image_name_valid(av.pos[0]))
		return usage_error("image rollback", "invalid image name '%s'", av.pos[0]);
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	srv = mapper_server(m);
	lock = image_lock_acquire(srv->images, av.pos[0], "image rollback", !av.no_wait, why,
				  sizeof(why));
	if (lock < 0) {
		ctl_err("image rollback: %s", why[0] ? why : strerror(-lock));
		return CTL_EXIT_FAIL;
	}
	ret = image_rollback(srv->images, av.pos[0], srv->history, why, sizeof(why));
	image_lock_release(lock);
	if (ret < 0) {
		ctl_err("image rollback: %s", why[0] ? why : strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	printf("rolled back %s/%s%s\n", srv->images, av.pos[0], IMAGE_SUFFIX);
	return CTL_EXIT_OK;
}

struct list_row {
	const char *name, *state;
	char file[300];
	char path[PATH_MAX];
	time_t mtime;
	uint64_t size;
};

static struct json_object *row_json(const struct list_row *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "state", json_object_new_string(r->state));
	json_object_object_add(o, "file", json_object_new_string(r->file));
	json_object_object_add(o, "path", json_object_new_string(r->path));
	json_object_object_add(o, "mtime", json_object_new_int64((int64_t)r->mtime));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)r->size));
	return o;
}

static int row_add(struct table *t, struct json_object *arr, const struct list_row *r)
{
	char when[32], size[16];
	const char *cells[5] = {r->name, r->state, r->file,
				fmt_time_utc(r->mtime, when, sizeof(when)),
				fmt_size(r->size, size, sizeof(size))};

	if (arr)
		return json_object_array_add(arr, row_json(r)) == 0 ? 0 : -ENOMEM;
	return table_add(t, cells);
}

/* The current file and the history of one image. */
static int list_one(const char *dir, const char *name, struct table *t, struct json_object *arr)
{
	struct image_history_entry *hist = NULL;
	struct list_row r = {.name = name};
	struct stat st;
	size_t n = 0, i;
	int ret;

	snprintf(r.file, sizeof(r.file), "%s%s", name, IMAGE_SUFFIX);
	snprintf(r.path, sizeof(r.path), "%s/%s", dir, r.file);
	if (stat(r.path, &st) == 0) {
		r.state = "current";
		r.mtime = st.st_mtim.tv_sec;
		r.size = (uint64_t)st.st_size;
		ret = row_add(t, arr, &r);
		if (ret)
			return ret;
	}
	ret = image_history(dir, name, &hist, &n);
	if (ret == -ENOENT)
		ret = 0;
	for (i = 0; !ret && i < n; i++) {
		r.state = "history";
		snprintf(r.file, sizeof(r.file), ".history/%s", hist[i].file);
		snprintf(r.path, sizeof(r.path), "%s/%s", dir, r.file);
		r.mtime = hist[i].mtime;
		r.size = hist[i].size;
		ret = row_add(t, arr, &r);
	}
	free(hist);
	return ret;
}

static int image_list_cmd(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = {"NAME", "STATE", "FILE", "MODIFIED", "SIZE"};
	struct json_object *arr = NULL;
	const struct mapper *m;
	struct arg_values av;
	char **names = NULL;
	size_t n = 0, i;
	struct table t;
	const char *dir;
	int ret;

	ret = args_parse("image list", admin_help, ARG_JSON, 0, 1, argc, argv, &av);
	if (ret >= 0)
		return ret;
	if (av.npos && !image_name_valid(av.pos[0]))
		return usage_error("image list", "invalid image name '%s'", av.pos[0]);
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	dir = mapper_server(m)->images;
	if (!av.npos) {
		ret = image_names_list(dir, &names, &n);
		if (ret < 0) {
			ctl_err("image list: %s: %s", dir, strerror(-ret));
			return CTL_EXIT_FAIL;
		}
	}
	table_init(&t, 5, headers);
	if (av.json)
		arr = json_object_new_array();
	if (av.npos)
		ret = list_one(dir, av.pos[0], &t, arr);
	for (i = 0; !av.npos && i < n && ret == 0; i++)
		ret = list_one(dir, names[i], &t, arr);
	if (ret == 0 && av.npos && (arr ? json_object_array_length(arr) : t.nrows) == 0) {
		ctl_err("image list: no image %s in %s", av.pos[0], dir);
		ret = -ENOENT;
	} else if (ret == 0 && arr) {
		ret = json_print(arr, stdout);
	} else if (ret == 0) {
		table_print(&t, stdout);
	} else {
		ctl_err("image list: %s", strerror(-ret));
	}
	json_object_put(arr);
	table_free(&t);
	image_names_free(names, n);
	return ret < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int cmd_image_admin(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "install") == 0)
		return image_install_cmd(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "rollback") == 0)
		return image_rollback_cmd(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return image_list_cmd(c, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(admin_help, stdout);
		putchar('\n');
	}
	if (argc < 2)
		return usage_error(
			"image",
			"missing subcommand (verify, install, rollback, list, import, shell, gc)");
	return cmd_image(c, argc, argv);
}
