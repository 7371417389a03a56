/* SPDX-License-Identifier: MIT */
/* netbootctl check: the config, every image file, and every node's image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/args.h"
#include "ctl/ctl.h"
#include "ctl/image_dir.h"
#include "ctl/output.h"
#include "images/images.h"

static const char check_help[] =
	"Usage: netbootctl [-c CONFIG] check\n"
	"\n"
	"Validate the configuration (every problem as FILE:LINE: MESSAGE, including\n"
	"values a generated file or cmdline.txt cannot hold), validate\n"
	"every image in [server] images and check that every node's image exists.\n"
	"Prints \"ok: N nodes, M images\" and exits 0 when nothing is wrong, else 1.\n";

/* What the image directory holds: names, and whether each one validated. */
struct image_set {
	char **names;
	bool *valid;
	size_t n;
	int dir_err; /* negative errno when the directory could not be read */
};

static unsigned check_image_files(const char *dir, struct image_set *set)
{
	unsigned problems = 0;
	size_t i;

	set->dir_err = image_names_list(dir, &set->names, &set->n);
	if (set->dir_err < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(-set->dir_err));
		return 1;
	}
	set->valid = calloc(set->n ? set->n : 1, sizeof(*set->valid));
	if (!set->valid) {
		fprintf(stderr, "%s: %s\n", dir, strerror(ENOMEM));
		return 1;
	}
	for (i = 0; i < set->n; i++) {
		char why[256] = "";
		struct image_info info;
		char *path = image_path(dir, set->names[i]);

		if (!path) {
			problems++;
			continue;
		}
		if (!image_name_valid(set->names[i]))
			fprintf(stderr,
				"%s: '%s' is not a valid image name, netbootfs ignores it\n", path,
				set->names[i]);
		else if (image_validate(path, &info, why, sizeof(why)) == 0)
			set->valid[i] = true;
		else
			fprintf(stderr, "%s: %s\n", path, why[0] ? why : "not a valid image");
		if (!set->valid[i])
			problems++;
		free(path);
	}
	return problems;
}

/* Index of @name in @set, or -1. */
static long image_set_find(const struct image_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->names[i], name) == 0)
			return (long)i;
	return -1;
}

static unsigned check_node_images(const struct mapper *m, const struct image_set *set)
{
	const struct server_config *srv = mapper_server(m);
	const char *file = mapper_path(m);
	unsigned problems = 0;
	size_t i;

	for (i = 0; i < mapper_node_count(m); i++) {
		const struct node *n = mapper_node_at(m, i);
		const struct key_origin *o = &n->origin[NODE_KEY_IMAGE];
		long idx = image_set_find(set, n->image);

		if (idx >= 0 && set->valid[idx])
			continue;
		fprintf(stderr, "%s:%u: node %s: image '%s' %s %s", file, n->line, n->name,
			n->image, idx < 0 ? "not found in" : "is not a valid image in",
			srv->images);
		/* Point at the line that chose the image when it is elsewhere. */
		if (o->line && strncmp(o->section, "node:", 5) != 0)
			fprintf(stderr, " (image set in [%s] line %u)", o->section, o->line);
		fputc('\n', stderr);
		problems++;
	}
	if (srv->default_image[0]) {
		long idx = image_set_find(set, srv->default_image);

		if (idx < 0 || !set->valid[idx]) {
			fprintf(stderr, "%s: [server] default_image '%s' %s %s\n", file,
				srv->default_image,
				idx < 0 ? "not found in" : "is not a valid image in", srv->images);
			problems++;
		}
	}
	return problems;
}

static size_t count_valid(const struct image_set *set)
{
	size_t i, n = 0;

	for (i = 0; i < set->n; i++)
		n += set->valid[i];
	return n;
}

int cmd_check(struct ctl *c, int argc, char **argv)
{
	struct image_set set = {0};
	struct arg_values av;
	const struct mapper *m;
	unsigned problems;
	int ret;

	ret = args_parse("check", check_help, 0, 0, 0, argc, argv, &av);
	if (ret >= 0)
		return ret;
	m = ctl_load_config(c);
	if (!m) {
		ctl_err("%s: configuration has errors", c->config_path);
		return CTL_EXIT_FAIL;
	}
	problems = check_image_files(mapper_server(m)->images, &set);
	/* Without a readable directory every node would be reported: skip. */
	if (set.dir_err == 0)
		problems += check_node_images(m, &set);
	if (problems) {
		ctl_err("%u problem%s found", problems, problems == 1 ? "" : "s");
		ret = CTL_EXIT_FAIL;
	} else {
		printf("ok: %zu nodes, %zu images\n", mapper_node_count(m), count_valid(&set));
		if (!mapper_node_count(m))
			printf("hint: nothing to serve yet: set [server] address and clients, "
			       "import "
			       "an image (image import) and add a [node:NAME] per Pi (see "
			       "netbootfs.ini.example)\n");
		ret = CTL_EXIT_OK;
	}
	image_names_free(set.names, set.n);
	free(set.valid);
	return ret;
}
