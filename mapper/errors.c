/* SPDX-License-Identifier: MIT */
/* Collecting and printing "file:line: problem" messages. */
#include "mapper/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void perr(struct parse_ctx *c, unsigned line, const char *fmt, ...)
{
	struct mapper_error *e;
	va_list ap;
	char *msg;
	int rc;

	c->n_errors++;
	if (!c->errs || c->fatal)
		return;
	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		goto oom;
	if (c->errs->n == c->errs_cap) {
		size_t cap = c->errs_cap ? c->errs_cap * 2 : 16;

		e = reallocarray(c->errs->v, cap, sizeof(*e));
		if (!e) {
			free(msg);
			goto oom;
		}
		c->errs->v = e;
		c->errs_cap = cap;
	}
	e = &c->errs->v[c->errs->n];
	e->file = strdup(c->file);
	if (!e->file) {
		free(msg);
		goto oom;
	}
	e->line = line;
	e->msg = msg;
	c->errs->n++;
	return;
oom:
	c->fatal = -ENOMEM;
}

const char *shown(struct parse_ctx *c, const char *s)
{
	char *buf = c->shown[c->shown_next++ % 2];
	size_t max = sizeof(c->shown[0]) - 4, i;

	for (i = 0; s[i] && i < max; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Stable merge sort by line: messages come out in file order, and within one
 * line in the order they were found. */
void errors_sort(struct mapper_errors *errs, size_t from)
{
	struct mapper_error *v, *tmp;
	size_t n = errs->n - from, width, i;

	if (n < 2)
		return; /* errs->v may be NULL: no pointer arithmetic on it */
	v = errs->v + from;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return; /* unsorted is still correct */
	for (width = 1; width < n; width *= 2) {
		for (i = 0; i < n; i += 2 * width) {
			size_t lo = i, mid = i + width < n ? i + width : n;
			size_t hi = i + 2 * width < n ? i + 2 * width : n;
			size_t a = lo, b = mid, k = lo;

			while (a < mid && b < hi)
				tmp[k++] = v[b].line < v[a].line ? v[b++] : v[a++];
			while (a < mid)
				tmp[k++] = v[a++];
			while (b < hi)
				tmp[k++] = v[b++];
		}
		memcpy(v, tmp, n * sizeof(*v));
	}
	free(tmp);
}

void mapper_errors_print(const struct mapper_errors *errs, FILE *f)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		const struct mapper_error *e = &errs->v[i];

		if (e->line)
			fprintf(f, "%s:%u: %s\n", e->file, e->line, e->msg);
		else
			fprintf(f, "%s: %s\n", e->file, e->msg);
	}
}

void mapper_errors_free(struct mapper_errors *errs)
{
	size_t i;

	if (!errs)
		return;
	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].msg);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}
