/* SPDX-License-Identifier: MIT */
#include "fusefs/tftp/cmdline.h"
#include "mapper/escape.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool word_has_prefix(const char *w, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(w, prefix, n) == 0;
}

static bool word_is(const char *w, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(w, word, len) == 0;
}

/* Words of the image's cmdline that must not reach a netbooted node. */
static bool word_dropped(const char *w, size_t len)
{
	static const char *const prefixes[] = {
		"root=", "rootfstype=", "init=", "fsck.repair=", "nfsroot=", "ip="};
	static const char *const words[] = {"resize", "rw", "ro", "rootwait"};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (word_has_prefix(w, len, prefixes[i]))
			return true;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (word_is(w, len, words[i]))
			return true;
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *cmdline_render(const char *image_cmdline, size_t image_len, const char *address,
		     const char *nfs_root, const char *node, const char *extra)
{
	char *out = NULL;
	size_t outlen = 0;
	bool first = true;
	size_t i = 0;
	FILE *f;

	/* The mapper refuses such config values: never write them anyway. */
	if (esc_why(ESC_CMDLINE_PATH, nfs_root) || esc_why(ESC_CMDLINE_PATH, node) ||
	    (extra && esc_why(ESC_CMDLINE, extra))) {
		errno = EINVAL;
		return NULL;
	}
	f = open_memstream(&out, &outlen);
	if (!f)
		return NULL;
	while (i < image_len) {
		size_t start;

		while (i < image_len && is_space(image_cmdline[i]))
			i++;
		start = i;
		while (i < image_len && !is_space(image_cmdline[i]))
			i++;
		if (i == start || word_dropped(image_cmdline + start, i - start))
			continue;
		fprintf(f, "%s%.*s", first ? "" : " ", (int)(i - start), image_cmdline + start);
		first = false;
	}
	fprintf(f, "%sroot=/dev/nfs nfsroot=%s:%s/%s,vers=3,tcp rw ip=dhcp rootwait",
		first ? "" : " ", address, nfs_root, node);
	if (extra && *extra)
		fprintf(f, " %s", extra);
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
