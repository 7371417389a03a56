/* SPDX-License-Identifier: MIT */
#include "fusefs/genusers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs/serve/log.h"
#include "mapper/escape.h"
#include "mapper/mapper.h"
#include "mapper/users.h"

#define GROUP_MAX (1 << 20)

/* The image's etc/group, malloc'ed, or NULL. */
static char *image_group(struct image_gen *gen, size_t *len)
{
	struct stat st;
	img_ino ino;
	ssize_t n;
	char *buf;

	if (!gen || img_resolve(gen, "etc/group", true, &ino, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	buf = malloc(GROUP_MAX);
	n = buf ? img_read(gen, ino, buf, GROUP_MAX, 0) : -ENOMEM;
	if (n < 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

/* "ADDR:HOMES /home/shared nfs ..." for the node's etc/fstab. */
static int add_fstab_line(struct genlayer *g, const struct server_config *srv, const char *node)
{
	char *line = NULL, *path = esc_str(ESC_FSTAB, srv->homes);
	int len;

	if (!path)
		return -EINVAL;
	if (!*srv->address) {
		log_warn("node %s: [server] address is unset: no fstab line for the homes", node);
		free(path);
		return 0;
	}
	len = asprintf(&line,
		       "# netbootfs: the shared homes (netbootctl user)\n"
		       "%s:%s " HOMES_MOUNT " nfs rw,nofail,_netdev,x-systemd.automount 0 0\n",
		       srv->address, path);
	free(path);
	if (len < 0)
		return -ENOMEM;
	return genlayer_put(g, "etc/fstab", 0644, line, (size_t)len, true);
}

int genusers_add(struct genlayer *g, struct image_gen *gen, const struct node *n,
		 const struct server_config *srv)
{
	struct users u;
	char why[512], *grp, *missing = NULL, *data;
	size_t glen = 0, len = 0;
	int err;

	if (!*srv->homes)
		return 0;
	err = users_load(srv->state, &u, why, sizeof(why));
	if (err) {
		log_err("node %s: shared accounts: %s", n->name, why);
		return err;
	}
	data = users_gen_passwd(&u, n->profile, &len);
	err = data ? genlayer_put(g, "var/lib/extrausers/passwd", 0644, data, len, false) : -ENOMEM;
	if (!err) {
		data = users_gen_shadow(&u, n->profile, &len);
		err = data ? genlayer_put(g, "var/lib/extrausers/shadow", 0600, data, len, false)
			   : -ENOMEM;
	}
	if (!err) {
		grp = image_group(gen, &glen);
		data = users_gen_group(&u, n->profile, grp, glen, &missing, &len);
		err = data ? genlayer_put(g, "var/lib/extrausers/group", 0644, data, len, false)
			   : -ENOMEM;
		data = err ? NULL : users_gen_etc_group(&u, n->profile, grp, glen, &len);
		if (data)
			err = genlayer_put(g, "etc/group", 0644, data, len, false);
		free(grp);
		if (missing && *missing)
			log_warn("node %s: image %s has no group %s: left out of the shared "
				 "accounts",
				 n->name, n->image, missing);
		free(missing);
	}
	if (!err)
		err = add_fstab_line(g, srv, n->name);
	users_free(&u);
	if (err)
		log_err("node %s: shared accounts: %s", n->name, strerror(-err));
	return err;
}
