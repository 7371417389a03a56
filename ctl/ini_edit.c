/* SPDX-License-Identifier: MIT */
/* A line-based netbootfs.ini editor: see ini_edit.h. */
#include "ctl/ini_edit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ini_line {
	char *s; /* without the line ending */
	size_t len;
	const char *eol; /* "\n", "\r\n", or "" for a last line without one */
};

struct ini_doc {
	struct ini_line *v;
	size_t n, cap;
	const char *eol; /* for new lines: the first line's ending, else "\n" */
};

enum line_kind { LINE_BLANK, LINE_COMMENT, LINE_SECTION, LINE_KEY, LINE_OTHER };

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int line_set(struct ini_line *l, const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, s, len);
	p[len] = '\0';
	free(l->s);
	l->s = p;
	l->len = len;
	return 0;
}

/* Make room for one line at @at; the new slot is zeroed. */
static int insert_slot(struct ini_doc *d, size_t at)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct ini_line *v = reallocarray(d->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	memmove(&d->v[at + 1], &d->v[at], (d->n - at) * sizeof(*d->v));
	memset(&d->v[at], 0, sizeof(*d->v));
	d->n++;
	return 0;
}

/* Insert @s as line @at. At the end of a file without a final newline the
 * new line becomes the one without it. */
static int insert_line(struct ini_doc *d, size_t at, const char *s, size_t len)
{
	int rc = insert_slot(d, at);

	if (rc)
		return rc;
	rc = line_set(&d->v[at], s, len);
	if (rc) {
		memmove(&d->v[at], &d->v[at + 1], (d->n - at - 1) * sizeof(*d->v));
		d->n--;
		return rc;
	}
	d->v[at].eol = d->eol;
	if (at == d->n - 1 && at > 0 && !*d->v[at - 1].eol) {
		d->v[at - 1].eol = d->eol;
		d->v[at].eol = "";
	}
	return 0;
}

static void remove_lines(struct ini_doc *d, size_t from, size_t to)
{
	bool last_had_no_eol = to == d->n && d->n && !*d->v[d->n - 1].eol;
	size_t i;

	for (i = from; i < to; i++)
		free(d->v[i].s);
	memmove(&d->v[from], &d->v[to], (d->n - to) * sizeof(*d->v));
	d->n -= to - from;
	if (last_had_no_eol && d->n)
		d->v[d->n - 1].eol = "";
}

int ini_doc_parse(const char *text, size_t len, struct ini_doc **out)
{
	struct ini_doc *d = calloc(1, sizeof(*d));
	size_t pos = 0;
	int rc = 0;

	if (!d)
		return -ENOMEM;
	d->eol = NULL;
	while (pos < len && rc == 0) {
		const char *p = text + pos, *nl = memchr(p, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - p) : len - pos;
		const char *eol = !nl ? "" : l && p[l - 1] == '\r' ? "\r\n" : "\n";

		pos += l + (nl ? 1 : 0);
		if (eol[0] == '\r')
			l--;
		rc = insert_slot(d, d->n);
		if (!rc)
			rc = line_set(&d->v[d->n - 1], p, l);
		if (!rc)
			d->v[d->n - 1].eol = eol;
		if (!d->eol && *eol)
			d->eol = eol;
	}
	if (!d->eol)
		d->eol = "\n";
	if (rc) {
		ini_doc_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void ini_doc_free(struct ini_doc *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		free(d->v[i].s);
	free(d->v);
	free(d);
}

int ini_doc_render(const struct ini_doc *d, char **text, size_t *len)
{
	size_t total = 0, i, at = 0;
	char *buf;

	for (i = 0; i < d->n; i++)
		total += d->v[i].len + strlen(d->v[i].eol);
	buf = malloc(total + 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < d->n; i++) {
		size_t el = strlen(d->v[i].eol);

		memcpy(buf + at, d->v[i].s, d->v[i].len);
		at += d->v[i].len;
		memcpy(buf + at, d->v[i].eol, el);
		at += el;
	}
	buf[at] = '\0';
	*text = buf;
	*len = at;
	return 0;
}

/*
 * What line @i is. For a section header, *name and *nlen give the section name;
 * for a key line, the key.
 */
static enum line_kind classify(const struct ini_doc *d, size_t i, const char **name, size_t *nlen)
{
	const char *s = d->v[i].s, *e, *cut, *eq;

	if (i == 0 && d->v[i].len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (is_blank(*s))
		s++;
	if (!*s)
		return LINE_BLANK;
	if (*s == '#' || *s == ';')
		return LINE_COMMENT;
	cut = strchr(s, ';');
	e = cut ? cut : s + strlen(s);
	while (e > s && is_blank(e[-1]))
		e--;
	if (*s == '[') {
		if (e - s < 2 || e[-1] != ']')
			return LINE_OTHER;
		s++;
		e--;
		while (s < e && is_blank(*s))
			s++;
		while (e > s && is_blank(e[-1]))
			e--;
		*name = s;
		*nlen = (size_t)(e - s);
		return LINE_SECTION;
	}
	eq = memchr(s, '=', (size_t)(e - s));
	if (!eq)
		return LINE_OTHER;
	e = eq;
	while (e > s && is_blank(e[-1]))
		e--;
	*name = s;
	*nlen = (size_t)(e - s);
	return LINE_KEY;
}

static bool line_is(const struct ini_doc *d, size_t i, enum line_kind kind, const char *name)
{
	const char *n;
	size_t nl;

	if (classify(d, i, &n, &nl) != kind)
		return false;
	return !name || (nl == strlen(name) && memcmp(n, name, nl) == 0);
}

static long find_section(const struct ini_doc *d, const char *section)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (line_is(d, i, LINE_SECTION, section))
			return (long)i;
	return -1;
}

/* The line after @hdr's section: the next header, or the end. */
static size_t section_end(const struct ini_doc *d, size_t hdr)
{
	size_t i;

	for (i = hdr + 1; i < d->n; i++)
		if (line_is(d, i, LINE_SECTION, NULL))
			break;
	return i;
}

bool ini_has_section(const struct ini_doc *d, const char *section)
{
	return find_section(d, section) >= 0;
}

unsigned ini_section_line(const struct ini_doc *d, const char *section)
{
	return (unsigned)(find_section(d, section) + 1);
}

int ini_section_add(struct ini_doc *d, const char *section)
{
	size_t len = strlen(section) + 2;
	char *hdr = malloc(len + 1);
	int rc = 0;

	if (!hdr)
		return -ENOMEM;
	snprintf(hdr, len + 1, "[%s]", section);
	if (d->n && !line_is(d, d->n - 1, LINE_BLANK, NULL))
		rc = insert_line(d, d->n, "", 0);
	if (!rc)
		rc = insert_line(d, d->n, hdr, len);
	free(hdr);
	return rc;
}

int ini_section_remove(struct ini_doc *d, const char *section)
{
	long hdr = find_section(d, section);
	size_t start, stop, end;

	if (hdr < 0)
		return -ENOENT;
	start = (size_t)hdr;
	end = section_end(d, start);
	while (start > 0 && line_is(d, start - 1, LINE_COMMENT, NULL))
		start--;
	stop = end;
	while (stop > (size_t)hdr + 1 && line_is(d, stop - 1, LINE_COMMENT, NULL))
		stop--;
	if (end == d->n) {
		stop = end;
		while (start > 0 && line_is(d, start - 1, LINE_BLANK, NULL))
			start--;
	}
	remove_lines(d, start, stop);
	return 0;
}

/* Rewrite key line @l with @value, keeping what is around the value. */
static int replace_value(struct ini_line *l, const char *value)
{
	const char *s = l->s, *eq = strchr(s, '=');
	size_t vs, ve, cut, vlen = strlen(value), pad = 0, tail, out_len;
	char *out;
	int rc;

	vs = (size_t)(eq - s) + 1;
	cut = vs + strcspn(s + vs, ";");
	while (vs < cut && is_blank(s[vs]))
		vs++;
	ve = cut;
	while (ve > vs && is_blank(s[ve - 1]))
		ve--;
	if (vs == ve) {
		/* No old value: write it one space after '=' when there is room. */
		vs = (size_t)(eq - s) + 1;
		if (vs < cut && s[vs] == ' ')
			vs++;
		ve = vs;
	}
	tail = ve;
	if (cut < l->len && strspn(s + ve, " ") == cut - ve) {
		/* Keep the comment's column: take the difference from its padding. */
		pad = vs + vlen + 1 <= cut ? cut - vs - vlen : 1;
		tail = cut;
	}
	out_len = vs + vlen + pad + (l->len - tail);
	out = malloc(out_len + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, s, vs);
	memcpy(out + vs, value, vlen);
	memset(out + vs + vlen, ' ', pad);
	memcpy(out + vs + vlen + pad, s + tail, l->len - tail);
	rc = line_set(l, out, out_len);
	free(out);
	return rc;
}

/* "key = value" shaped like @tmpl (indentation, '=' column, spacing). */
static char *key_line(const struct ini_line *tmpl, const char *key, const char *value, size_t *len)
{
	size_t indent = 0, eqcol = 0, klen = strlen(key), at, need;
	bool space_before = true, space_after = true;
	char *out;

	if (tmpl) {
		const char *eq = strchr(tmpl->s, '=');

		indent = strspn(tmpl->s, " \t");
		eqcol = (size_t)(eq - tmpl->s);
		space_before = eqcol > 0 && is_blank(tmpl->s[eqcol - 1]);
		space_after = is_blank(eq[1]);
	}
	need = indent + klen + (eqcol > indent + klen ? eqcol - indent - klen : 1) + 2 +
	       strlen(value);
	out = malloc(need + 1);
	if (!out)
		return NULL;
	memcpy(out, tmpl ? tmpl->s : "", indent);
	memcpy(out + indent, key, klen);
	at = indent + klen;
	if (space_before) {
		do
			out[at++] = ' ';
		while (at < eqcol);
	}
	out[at++] = '=';
	if (space_after)
		out[at++] = ' ';
	strcpy(out + at, value);
	*len = at + strlen(value);
	return out;
}

int ini_key_set(struct ini_doc *d, const char *section, const char *key, const char *value)
{
	long hdr = find_section(d, section);
	size_t end, i, last_key = 0;
	char *line;
	size_t len;
	int rc;

	if (hdr < 0)
		return -ENOENT;
	end = section_end(d, (size_t)hdr);
	for (i = (size_t)hdr + 1; i < end; i++) {
		if (!line_is(d, i, LINE_KEY, NULL))
			continue;
		last_key = i;
		if (!line_is(d, i, LINE_KEY, key))
			continue;
		if (!*value) {
			remove_lines(d, i, i + 1);
			return 0;
		}
		return replace_value(&d->v[i], value);
	}
	if (!*value)
		return 0;
	line = key_line(last_key ? &d->v[last_key] : NULL, key, value, &len);
	if (!line)
		return -ENOMEM;
	rc = insert_line(d, last_key ? last_key + 1 : (size_t)hdr + 1, line, len);
	free(line);
	return rc;
}

bool ini_value_writable(const char *s)
{
	size_t n = strlen(s);

	if (strpbrk(s, ";\n\r"))
		return false;
	return !n || (!is_blank(s[0]) && !is_blank(s[n - 1]));
}
