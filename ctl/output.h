/* SPDX-License-Identifier: MIT */
/* Output helpers for netbootctl: aligned text tables, JSON, messages. */
#ifndef NETBOOTFS_CTL_OUTPUT_H
#define NETBOOTFS_CTL_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

/* "netbootctl: MSG" on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A table of strings printed with aligned columns; an empty cell shows "-". */
struct table {
	size_t ncols;
	const char *const *headers; /* NULL: print no header line */
	char **cells;		    /* nrows * ncols, owned */
	size_t nrows, cap;
};

void table_init(struct table *t, size_t ncols, const char *const *headers);
/* Copies @cells (ncols strings, NULL counts as empty). 0 or -ENOMEM. */
int table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/* Pretty JSON plus a newline; 0 or -EIO. */
int json_print(struct json_object *o, FILE *f);
/* A JSON string, or null for NULL/"". */
struct json_object *json_string_or_null(const char *s);

/* "2024-05-01T12:00:00Z"; "-" for 0. */
const char *fmt_time_utc(time_t t, char *buf, size_t len);
/* "512", "1.5K", "23.4M", "1.2G" (binary units). */
const char *fmt_size(uint64_t bytes, char *buf, size_t len);

#endif
