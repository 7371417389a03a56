/* SPDX-License-Identifier: MIT */
#include "ctl/output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("netbootctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void table_init(struct table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->headers = headers;
}

int table_add(struct table *t, const char *const *cells)
{
	size_t i, base;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **v = reallocarray(t->cells, cap * t->ncols, sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->cells = v;
		t->cap = cap;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		const char *s = cells[i] && cells[i][0] ? cells[i] : "-";

		t->cells[base + i] = strdup(s);
		if (!t->cells[base + i]) {
			while (i--)
				free(t->cells[base + i]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

static void print_row(const char *const *row, const size_t *width, size_t ncols, FILE *f)
{
	size_t i;

	for (i = 0; i < ncols; i++) {
		if (i + 1 < ncols)
			fprintf(f, "%-*s  ", (int)width[i], row[i]);
		else
			fprintf(f, "%s\n", row[i]);
	}
}

void table_print(const struct table *t, FILE *f)
{
	size_t *width = calloc(t->ncols, sizeof(*width));
	size_t r, i;

	if (!width)
		return;
	for (i = 0; i < t->ncols; i++) {
		if (t->headers)
			width[i] = strlen(t->headers[i]);
		for (r = 0; r < t->nrows; r++) {
			size_t w = strlen(t->cells[r * t->ncols + i]);

			if (w > width[i])
				width[i] = w;
		}
	}
	if (t->headers)
		print_row(t->headers, width, t->ncols, f);
	for (r = 0; r < t->nrows; r++)
		print_row((const char *const *)&t->cells[r * t->ncols], width, t->ncols, f);
	free(width);
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int json_print(struct json_object *o, FILE *f)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s || fprintf(f, "%s\n", s) < 0)
		return -EIO;
	return 0;
}

struct json_object *json_string_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

const char *fmt_time_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
	return buf;
}

const char *fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}
