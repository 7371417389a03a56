/* SPDX-License-Identifier: MIT */
/* netbootctl check: the options of the GlusterFS volumes netbootfs shares. */
#include "ctl/gluster_check.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/mountinfo.h"
#include "lib/statefile.h"

#define GRAPH_VOLFILE	 "/.meta/graphs/active/volfile"
#define GLUSTER_DIRS_MAX 8

/* The first word of @s after blanks, its length in *len. */
static const char *word(const char *s, const char *end, size_t *len)
{
	const char *w;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (w = s; s < end && *s != ' ' && *s != '\t'; s++)
		;
	*len = (size_t)(s - w);
	return w;
}

static bool word_is(const char *w, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(w, want, len) == 0;
}

/* One translator of a volfile: its type and whether it locks strictly. */
struct xlator {
	bool client, quick_read, open_behind, strict_locks;
};

/* Fold one line ("type T", "option K V", "end-volume") into @x. */
static void xlator_line(struct xlator *x, const char *s, const char *end)
{
	size_t len, klen, vlen;
	const char *w = word(s, end, &len), *k, *v;

	if (word_is(w, len, "type")) {
		w = word(w + len, end, &len);
		x->client = word_is(w, len, "protocol/client");
		x->quick_read = word_is(w, len, "performance/quick-read");
		x->open_behind = word_is(w, len, "performance/open-behind");
	} else if (word_is(w, len, "option")) {
		k = word(w + len, end, &klen);
		v = word(k + klen, end, &vlen);
		if (word_is(k, klen, "strict-locks"))
			x->strict_locks = word_is(v, vlen, "on") || word_is(v, vlen, "yes") ||
					  word_is(v, vlen, "true") || word_is(v, vlen, "enable");
	}
}

unsigned volfile_lacks(const char *volfile, volfile_lack_fn lack, void *ctx)
{
	bool quick_read = false, open_behind = false, loose_client = false;
	struct xlator x = {0};
	const char *s = volfile, *end;
	unsigned n = 0;
	size_t len;

	for (; *s; s = *end ? end + 1 : end) {
		const char *w;

		end = s + strcspn(s, "\n");
		w = word(s, end, &len);
		if (word_is(w, len, "volume")) {
			memset(&x, 0, sizeof(x));
		} else if (word_is(w, len, "end-volume")) {
			quick_read |= x.quick_read;
			open_behind |= x.open_behind;
			loose_client |= x.client && !x.strict_locks;
		} else {
			xlator_line(&x, s, end);
		}
	}
	if (quick_read && ++n)
		lack(ctx, "performance.quick-read", "off");
	if (open_behind && ++n)
		lack(ctx, "performance.open-behind", "off");
	if (loose_client && ++n)
		lack(ctx, "client.strict-locks", "on");
	return n;
}

/* A GlusterFS mount of device @dev from @mountinfo: its mount point (of
 * the volume's top, where .meta is) and source "HOST:/VOL". */
struct gluster_mount {
	char point[PATH_MAX], source[512];
};

static bool is_gluster_top(const struct mountinfo_entry *e, void *dev)
{
	return e->dev == *(dev_t *)dev && strcmp(e->fstype, "fuse.glusterfs") == 0 &&
	       strcmp(e->root, "/") == 0;
}

static bool gluster_mount_of(const char *mountinfo, dev_t dev, struct gluster_mount *gm)
{
	struct mountinfo_entry e;

	if (!mountinfo_find(mountinfo, is_gluster_top, &dev, &e))
		return false;
	snprintf(gm->point, sizeof(gm->point), "%s", e.point);
	snprintf(gm->source, sizeof(gm->source), "%s", e.source);
	return true;
}

struct lack_report {
	const char *dir;
	const struct gluster_mount *gm;
	const char *volume;
};

static void report_lack(void *ctx, const char *option, const char *value)
{
	const struct lack_report *r = ctx;
	/* A client takes a changed protocol/client option without a new graph,
	 * and its .meta shows the graph's options as they were when it was
	 * built (seen with GlusterFS 10.3): only a new mount shows it. */
	bool client_option = strncmp(option, "client.", 7) == 0;

	fprintf(stderr,
		"%s: on GlusterFS volume %s (mounted at %s), which %s %s %s%s: netbootfs needs "
		"it %s where servers share state (docs/scale-out.md); run: gluster volume set "
		"%s %s %s%s\n",
		r->dir, r->gm->source, r->gm->point, client_option ? "had" : "has", option,
		strcmp(value, "on") ? "on" : "off", client_option ? " when mounted" : "", value,
		r->volume, option, value, client_option ? ", then mount the volume again" : "");
}

/* Check the volume under @dir, mounted at @gm. */
static unsigned check_mount(const char *dir, const struct gluster_mount *gm,
			    struct host_warnings *w)
{
	const char *slash = strstr(gm->source, ":/");
	struct lack_report r = {dir, gm, slash ? slash + 2 : gm->source};
	char path[PATH_MAX + sizeof(GRAPH_VOLFILE)];
	char *text = NULL;
	size_t len = 0;
	unsigned n;
	int err;

	snprintf(path, sizeof(path), "%s%s", gm->point, GRAPH_VOLFILE);
	err = statefile_read_path(path, &text, &len);
	if (err < 0 || !text) {
		host_warn(w,
			  "%s: on GlusterFS volume %s, whose options could not be checked: %s: %s "
			  "(docs/scale-out.md lists the options netbootfs needs)",
			  dir, gm->source, path, strerror(err < 0 ? -err : ENODATA));
		return 0;
	}
	n = volfile_lacks(text, report_lack, &r);
	free(text);
	return n;
}

unsigned gluster_check_dirs(const char *const *dirs, size_t n, const char *mountinfo,
			    struct host_warnings *w)
{
	dev_t seen[GLUSTER_DIRS_MAX];
	size_t i, j, nseen = 0;
	unsigned problems = 0;

	for (i = 0; i < n && nseen < GLUSTER_DIRS_MAX; i++) {
		struct gluster_mount gm;
		struct stat st;

		if (!dirs[i] || stat(dirs[i], &st) != 0)
			continue; /* a missing directory is another check's problem */
		for (j = 0; j < nseen && seen[j] != st.st_dev; j++)
			;
		if (j < nseen)
			continue;
		seen[nseen++] = st.st_dev;
		if (gluster_mount_of(mountinfo, st.st_dev, &gm))
			problems += check_mount(dirs[i], &gm, w);
	}
	return problems;
}
