/* SPDX-License-Identifier: MIT */
/* Lines of /proc/PID/mountinfo (proc(5)): "ID PARENT MAJ:MIN ROOT POINT
 * OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS". */
#include "lib/mountinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

/* Undo the kernel's octal escapes (\040 for a blank) in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

bool mountinfo_parse(const char *line, struct mountinfo_entry *e)
{
	const char *dash = strstr(line, " - ");
	unsigned maj, min;

	/* The optional fields between OPTIONS and "-" vary in number. */
	if (!dash || sscanf(line, "%lu %lu %u:%u %4095s %4095s", &e->id, &e->parent, &maj, &min,
			    e->root, e->point) != 6)
		return false;
	e->source[0] = '\0';
	if (sscanf(dash, " - %255s %511s", e->fstype, e->source) < 1)
		return false;
	e->dev = makedev(maj, min);
	unescape(e->root);
	unescape(e->point);
	unescape(e->source);
	return true;
}

bool mountinfo_find(const char *file, bool (*match)(const struct mountinfo_entry *e, void *ctx),
		    void *ctx, struct mountinfo_entry *out)
{
	struct mountinfo_entry *e = malloc(sizeof(*e));
	FILE *f = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f || !e)
		goto out;
	while (getline(&line, &cap, f) > 0) {
		if (mountinfo_parse(line, e) && match(e, ctx)) {
			*out = *e;
			found = true;
		}
	}
out:
	free(line);
	free(e);
	if (f)
		fclose(f);
	return found;
}
