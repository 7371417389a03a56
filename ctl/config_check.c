/* SPDX-License-Identifier: MIT */
/* The checks behind netbootctl check, on any config text. */
#include "ctl/config_check.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/image_dir.h"
#include "ctl/ini_edit.h"
#include "images/images.h"
#include "mapper/mapper.h"
#include "mapper/strmap.h"
#include "mapper/users.h"

/* What the image directory holds: names, and whether each one validated. */
struct image_set {
	char **names;
	bool *valid;
	size_t n;
	int dir_err; /* negative errno when the directory could not be read */
};

struct check {
	const char *file;
	const struct mapper *m;
	const struct ini_doc *doc;
	struct image_set set;
	unsigned problems;
};

/* "FILE:LINE: MSG", or "FILE: MSG" without a line. */
static void __attribute__((format(printf, 3, 4)))
problem(struct check *ck, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (line)
		fprintf(stderr, "%s:%u: ", ck->file, line);
	else
		fprintf(stderr, "%s: ", ck->file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ck->problems++;
}

/* ---- what gen and the daemon need beyond the mapper's rules ---------- */

static void check_address(struct check *ck)
{
	const struct server_config *srv = mapper_server(ck->m);

	/* Several servers: each [server:NAME] must have one (the mapper says). */
	if (srv->address[0] || mapper_server_count(ck->m))
		return;
	if (mapper_node_count(ck->m) == 0 && srv->unknown != UNKNOWN_DEFAULT)
		return;
	problem(ck, ini_section_line(ck->doc, "server"),
		"[server] has no address: every cmdline.txt would get nfsroot=:%s/...",
		srv->nfs_root);
}

/* Several servers: a node's other servers can ignore its DHCP only by MAC
 * (gen dnsmasq); without one each of them would answer it. */
static void check_server_macs(struct check *ck)
{
	size_t i;

	if (!mapper_server_count(ck->m))
		return;
	for (i = 0; i < mapper_node_count(ck->m); i++) {
		const struct node *n = mapper_node_at(ck->m, i);

		if (!n->mac[0])
			problem(ck, n->line,
				"node %s has no mac: with several servers, only its MAC keeps the "
				"other servers' DHCP from answering it",
				n->name);
	}
}

/* Every node root is a FUSE session, and libfuse takes one of glibc's 1,024
 * thread-specific keys (PTHREAD_KEYS_MAX) per session: a daemon given much
 * more than 1,000 nodes fails to start. */
#define ROOTS_PER_DAEMON_MAX 1000

/* Says what the limit comes from and what to do. */
static const char roots_why[] = "one FUSE session each, and libfuse takes one of glibc's "
				"1,024 thread keys per session";

static void check_roots_per_daemon(struct check *ck)
{
	size_t i, j, n;

	if (!mapper_server_count(ck->m)) {
		n = mapper_all_count(ck->m);
		if (mapper_server(ck->m)->role != ROLE_PXE && n > ROOTS_PER_DAEMON_MAX)
			problem(ck, 0,
				"this server is given %zu nodes: a daemon mounts at most %d roots "
				"(%s); give nodes to other servers",
				n, ROOTS_PER_DAEMON_MAX, roots_why);
		return;
	}
	for (i = 0; i < mapper_server_count(ck->m); i++) {
		const char *name = mapper_server_name(ck->m, i);

		for (n = 0, j = 0; j < mapper_all_count(ck->m); j++)
			n += strcmp(mapper_all_at(ck->m, j)->server, name) == 0;
		if (n > ROOTS_PER_DAEMON_MAX)
			problem(ck, 0,
				"server %s is given %zu nodes: a daemon mounts at most %d roots "
				"(%s); give nodes to other servers",
				name, n, ROOTS_PER_DAEMON_MAX, roots_why);
	}
}

/* gen exports and gen ganesha export a root to the node's ip, else to
 * [server] clients; with neither nobody may mount it. */
static void check_clients(struct check *ck)
{
	size_t i;

	if (mapper_server(ck->m)->clients[0])
		return;
	for (i = 0; i < mapper_node_count(ck->m); i++) {
		const struct node *n = mapper_node_at(ck->m, i);

		if (!n->ip[0])
			problem(ck, n->line,
				"node %s: no ip and no [server] clients: nobody may mount its root",
				n->name);
	}
}

static int check_unique_ips(struct check *ck)
{
	struct strmap seen = {0};
	uint32_t other;
	size_t i;
	int rc = 0;

	for (i = 0; i < mapper_node_count(ck->m) && rc >= 0; i++) {
		const struct node *n = mapper_node_at(ck->m, i), *o;

		if (!n->ip[0])
			continue;
		rc = strmap_insert(&seen, n->ip, (uint32_t)i, &other);
		if (rc != 1)
			continue;
		o = mapper_node_at(ck->m, other);
		problem(ck, n->origin[NODE_KEY_IP].line,
			"duplicate ip %s (also node %s at line %u)", n->ip, o->name,
			o->origin[NODE_KEY_IP].line);
	}
	strmap_free(&seen);
	return rc < 0 ? rc : 0;
}

/* Each layer named on a line is looked for once. */
static int check_layer_dirs(struct check *ck)
{
	const char *overlays = mapper_server(ck->m)->overlays;
	struct strmap seen = {0};
	size_t i, j;
	int rc = 0;

	for (i = 0; i < mapper_node_count(ck->m) && rc >= 0; i++) {
		const struct node *n = mapper_node_at(ck->m, i);
		unsigned line = n->origin[NODE_KEY_LAYERS].line;

		for (j = 0; j < n->n_layers && rc >= 0; j++) {
			char key[NODE_NAME_MAX + 16], dir[PATH_MAX];
			struct stat st;

			snprintf(key, sizeof(key), "%u %s", line, n->layers[j]);
			rc = strmap_insert(&seen, key, 0, NULL);
			if (rc != 0)
				continue;
			snprintf(dir, sizeof(dir), "%s/@%s", overlays, n->layers[j]);
			if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
				problem(ck, line, "layer '%s': no directory %s", n->layers[j], dir);
		}
	}
	strmap_free(&seen);
	return rc < 0 ? rc : 0;
}

/* ---- image files and node images -------------------------------------- */

static void check_image_files(struct check *ck, const char *dir)
{
	struct image_set *set = &ck->set;
	size_t i;

	set->dir_err = image_names_list(dir, &set->names, &set->n);
	if (set->dir_err < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(-set->dir_err));
		ck->problems++;
		return;
	}
	set->valid = calloc(set->n ? set->n : 1, sizeof(*set->valid));
	if (!set->valid) {
		fprintf(stderr, "%s: %s\n", dir, strerror(ENOMEM));
		ck->problems++;
		set->dir_err = -ENOMEM;
		return;
	}
	for (i = 0; i < set->n; i++) {
		char why[256] = "";
		struct image_info info;
		char *path = image_path(dir, set->names[i]);

		if (!path) {
			ck->problems++;
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
			ck->problems++;
		free(path);
	}
}

/* Index of @name in the image set, or -1. */
static long image_find(const struct image_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->names[i], name) == 0)
			return (long)i;
	return -1;
}

static bool image_usable(const struct image_set *set, const char *name)
{
	long idx = image_find(set, name);

	return idx >= 0 && set->valid[idx];
}

static void check_node_images(struct check *ck)
{
	const struct server_config *srv = mapper_server(ck->m);
	size_t i;

	for (i = 0; i < mapper_node_count(ck->m); i++) {
		const struct node *n = mapper_node_at(ck->m, i);
		const struct key_origin *o = &n->origin[NODE_KEY_IMAGE];
		char where[NODE_NAME_MAX + 48] = "";

		/* No image, or a bad name: the mapper said so already. */
		if (!n->image[0] || image_usable(&ck->set, n->image))
			continue;
		/* Point at the line that chose the image when it is elsewhere. */
		if (o->line && strncmp(o->section, "node:", 5) != 0)
			snprintf(where, sizeof(where), " (image set in [%s] line %u)", o->section,
				 o->line);
		problem(ck, n->line, "node %s: image '%s' %s %s%s", n->name, n->image,
			image_find(&ck->set, n->image) < 0 ? "not found in"
							   : "is not a valid image in",
			srv->images, where);
	}
	if (srv->default_image[0] && !image_usable(&ck->set, srv->default_image))
		problem(ck, 0, "[server] default_image '%s' %s %s", srv->default_image,
			image_find(&ck->set, srv->default_image) < 0 ? "not found in"
								     : "is not a valid image in",
			srv->images);
}

/* ---- boot files per Pi model ------------------------------------------- */

/* One image, boot dir and model (or boot = pxe), and the nodes that boot it. */
struct boot_need {
	const char *image, *boot_dir;
	enum pi_model model;
	bool pxe;
	const char *nodes[3];
	size_t n_nodes;
};

static bool has_file(struct image_gen *g, const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	img_ino ino;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return img_resolve(g, path, true, &ino, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether a "kernel=NAME" line of the boot dir's config.txt names a file
 * the boot dir has. */
static bool has_config_kernel(struct image_gen *g, const char *dir)
{
	char path[PATH_MAX], buf[65536], *line, *save = NULL;
	struct stat st;
	img_ino ino;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/config.txt", dir);
	if (img_resolve(g, path, true, &ino, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	n = img_read(g, ino, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v, *e;

		line += strspn(line, " \t");
		if (strncmp(line, "kernel", 6) != 0)
			continue;
		v = line + 6 + strspn(line + 6, " \t");
		if (*v != '=')
			continue;
		v += 1 + strspn(v + 1, " \t");
		e = v + strcspn(v, "#\r");
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (*v && !strchr(v, '/') && has_file(g, dir, v))
			return true;
	}
	return false;
}

static int kernel_entry(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t next)
{
	(void)ino;
	(void)type;
	(void)next;
	if (strncmp(name, "vmlinuz-", 8) == 0 && name[8]) {
		*(bool *)ctx = true;
		return 1; /* found: stop */
	}
	return 0;
}

/* A PXE node's boot.ipxe loads vmlinuz, or the newest vmlinuz-VERSION. */
static bool has_pxe_kernel(struct image_gen *g, const char *dir)
{
	bool found = has_file(g, dir, "vmlinuz");
	struct stat st;
	img_ino ino;

	if (!found && img_resolve(g, dir, true, &ino, &st) == 0)
		img_readdir(g, ino, 0, kernel_entry, &found);
	return found;
}

/* What @model lacks in boot dir @dir of @g, as text; "" when nothing. */
static const char *model_lacks(struct image_gen *g, const char *dir, enum pi_model model)
{
	bool bootcode, start;

	switch (model) {
	case PI_MODEL_3:
		bootcode = has_file(g, dir, "bootcode.bin");
		start = has_file(g, dir, "start.elf");
		if (bootcode && start)
			return "";
		return !bootcode && !start ? "bootcode.bin and start.elf"
		       : !bootcode	   ? "bootcode.bin"
					   : "start.elf";
	case PI_MODEL_4:
		return has_file(g, dir, "start4.elf") ? "" : "start4.elf";
	case PI_MODEL_5:
		if (has_file(g, dir, "kernel_2712.img") || has_config_kernel(g, dir))
			return "";
		return "kernel_2712.img and a kernel named by config.txt kernel=";
	case PI_MODEL_ANY:
		break;
	}
	return "";
}

static const char *nodes_text(const struct boot_need *b, char *buf, size_t len)
{
	size_t shown = b->n_nodes < 3 ? b->n_nodes : 3, i, at;

	at = (size_t)snprintf(buf, len, "node%s ", b->n_nodes > 1 ? "s" : "");
	for (i = 0; i < shown && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", b->nodes[i]);
	if (b->n_nodes > shown && at < len)
		snprintf(buf + at, len - at, " and %zu more", b->n_nodes - shown);
	return buf;
}

static void check_boot_need(struct check *ck, const struct boot_need *b)
{
	char *path = image_path(mapper_server(ck->m)->images, b->image);
	char why[256], who[4 * (NODE_NAME_MAX + 2) + 32];
	const char *boot_dir = b->boot_dir;
	struct image_gen *g = NULL;
	const char *dir, *lacks;
	img_ino ino;

	if (!path || image_gen_open(path, &g, why, sizeof(why)) != 0)
		goto out; /* image_validate() reported it */
	nodes_text(b, who, sizeof(who));
	/* "auto" is boot for a PXE node, as in the daemon (fusefs/nodes.c). */
	if (b->pxe && strcmp(boot_dir, "auto") == 0)
		boot_dir = "boot";
	if (img_boot_dir(g, boot_dir, &ino, &dir) != 0) {
		fprintf(stderr, "%s: no boot directory %s%s%s (%s)\n", path,
			strcmp(boot_dir, "auto") == 0 ? "(boot/firmware or boot" : "'",
			strcmp(boot_dir, "auto") == 0 ? "" : boot_dir,
			strcmp(boot_dir, "auto") == 0 ? ")" : "'", who);
		ck->problems++;
		goto out;
	}
	if (b->pxe) {
		if (!has_pxe_kernel(g, dir)) {
			fprintf(stderr,
				"%s: %s has no kernel (vmlinuz or vmlinuz-VERSION) for boot = pxe "
				"(%s)\n",
				path, dir, who);
			ck->problems++;
		}
	} else if (b->model != PI_MODEL_ANY) {
		lacks = model_lacks(g, dir, b->model);
		if (*lacks) {
			fprintf(stderr, "%s: %s lacks %s, which model %s needs (%s)\n", path, dir,
				lacks, pi_model_name(b->model), who);
			ck->problems++;
		}
	} else if (*model_lacks(g, dir, PI_MODEL_3) && *model_lacks(g, dir, PI_MODEL_4) &&
		   *model_lacks(g, dir, PI_MODEL_5)) {
		fprintf(stderr,
			"%s: %s has the boot files of no Pi model (pi3: bootcode.bin and "
			"start.elf, pi4: start4.elf, pi5: kernel_2712.img) (%s)\n",
			path, dir, who);
		ck->problems++;
	}
out:
	if (g)
		image_gen_put(g);
	free(path);
}

static int check_boot_files(struct check *ck)
{
	struct boot_need *v = NULL;
	size_t n = 0, i, j;

	for (i = 0; i < mapper_node_count(ck->m); i++) {
		const struct node *nd = mapper_node_at(ck->m, i);

		if (!image_usable(&ck->set, nd->image))
			continue;
		for (j = 0; j < n; j++)
			if (v[j].model == nd->model && v[j].pxe == (nd->boot == BOOT_PXE) &&
			    strcmp(v[j].image, nd->image) == 0 &&
			    strcmp(v[j].boot_dir, nd->boot_dir) == 0)
				break;
		if (j == n) {
			struct boot_need *p = reallocarray(v, n + 1, sizeof(*v));

			if (!p) {
				free(v);
				return -ENOMEM;
			}
			v = p;
			v[n++] = (struct boot_need){
				nd->image, nd->boot_dir, nd->model, nd->boot == BOOT_PXE, {0}, 0};
		}
		if (v[j].n_nodes < 3)
			v[j].nodes[v[j].n_nodes] = nd->name;
		v[j].n_nodes++;
	}
	for (j = 0; j < n; j++)
		check_boot_need(ck, &v[j]);
	free(v);
	return 0;
}

/* ---- shared accounts (netbootctl user) ------------------------------------ */

/* What an image needs for the accounts: libnss-extrausers and an
 * nsswitch.conf that asks it (image import's fix-up writes that). */
static const char *accounts_lack(struct image_gen *g)
{
	static const char *const libs[] = {
		"usr/lib/libnss_extrausers.so.2",
		"lib/libnss_extrausers.so.2",
		"usr/lib/aarch64-linux-gnu/libnss_extrausers.so.2",
		"usr/lib/arm-linux-gnueabihf/libnss_extrausers.so.2",
		"usr/lib/x86_64-linux-gnu/libnss_extrausers.so.2",
	};
	char buf[8192], *line;
	struct stat st;
	img_ino ino;
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		if (img_resolve(g, libs[i], true, &ino, &st) == 0 && S_ISREG(st.st_mode))
			break;
	if (i == sizeof(libs) / sizeof(libs[0]))
		return "libnss-extrausers (fix: netbootctl image shell IMAGE -- apt-get install -y "
		       "libnss-extrausers)";
	if (img_resolve(g, "etc/nsswitch.conf", true, &ino, &st) != 0 ||
	    (n = img_read(g, ino, buf, sizeof(buf) - 1, 0)) < 0)
		return "etc/nsswitch.conf";
	buf[n] = '\0';
	line = strstr(buf, "\npasswd:");
	line = !strncmp(buf, "passwd:", 7) ? buf : line ? line + 1 : NULL;
	if (!line || !memmem(line, strcspn(line, "\n"), "extrausers", 10))
		return "extrausers in etc/nsswitch.conf (fix: netbootctl image import does it; "
		       "or passwd: files extrausers, group: files [SUCCESS=merge] extrausers, "
		       "shadow: files extrausers)";
	return NULL;
}

static void check_accounts(struct check *ck)
{
	const struct server_config *srv = mapper_server(ck->m);
	struct users u;
	char why[512];

	if (!*srv->homes)
		return;
	if (users_load(srv->state, &u, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s\n", why);
		ck->problems++;
		return;
	}
	users_free(&u);
	for (size_t i = 0; i < ck->set.n; i++) {
		char *path, whyi[256];
		struct image_gen *g = NULL;
		const char *lack;
		size_t k;

		for (k = 0; k < mapper_node_count(ck->m); k++)
			if (!strcmp(mapper_node_at(ck->m, k)->image, ck->set.names[i]))
				break;
		if (!ck->set.valid[i] || k == mapper_node_count(ck->m))
			continue;
		path = image_path(srv->images, ck->set.names[i]);
		if (path && image_gen_open(path, &g, whyi, sizeof(whyi)) == 0) {
			lack = accounts_lack(g);
			if (lack) {
				fprintf(stderr,
					"%s: lacks %s, which the shared accounts ([server] homes) "
					"need\n",
					path, lack);
				ck->problems++;
			}
			image_gen_put(g);
		}
		free(path);
	}
}

/* ---- all of it ----------------------------------------------------------- */

static size_t count_valid(const struct image_set *set)
{
	size_t i, n = 0;

	for (i = 0; i < set->n; i++)
		n += set->valid[i];
	return n;
}

int config_check(const char *file, const char *text, size_t len, struct check_result *r)
{
	struct check ck = {.file = file};
	struct mapper_errors errs = {0};
	struct ini_doc *doc = NULL;
	struct mapper *m = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = mapper_load_string_partial(file, text, len, &m, &errs);
	mapper_errors_print(&errs, stderr);
	ck.problems = (unsigned)errs.n;
	mapper_errors_free(&errs);
	if (!m)
		goto out;
	rc = ini_doc_parse(text, len, &doc);
	if (rc)
		goto out;
	ck.m = m;
	ck.doc = doc;
	check_address(&ck);
	check_clients(&ck);
	check_server_macs(&ck);
	check_roots_per_daemon(&ck);
	rc = check_unique_ips(&ck);
	if (!rc)
		rc = check_layer_dirs(&ck);
	if (rc)
		goto out;
	check_image_files(&ck, mapper_server(m)->images);
	/* Without a readable directory every node would be reported: skip. */
	if (ck.set.dir_err == 0) {
		check_node_images(&ck);
		check_accounts(&ck);
		rc = check_boot_files(&ck);
	}
	r->nodes = mapper_node_count(m);
	r->images = ck.set.valid ? count_valid(&ck.set) : 0;
out:
	if (rc == -ENOMEM) {
		fprintf(stderr, "%s: %s\n", file, strerror(ENOMEM));
		ck.problems++;
	} else {
		rc = 0;
	}
	r->problems = ck.problems;
	image_names_free(ck.set.names, ck.set.n);
	free(ck.set.valid);
	ini_doc_free(doc);
	mapper_free(m);
	return rc;
}
