/* SPDX-License-Identifier: MIT */
/*
 * A line-based editor for netbootfs.ini that changes only the lines it must:
 * comments, blank lines, order, indentation, alignment, line endings (LF or
 * CRLF) and a missing final newline all stay as they were.
 *
 * It knows the same line shapes as the mapper: "[section]" headers, "key =
 * value" lines, comments starting with '#' or ';' at the beginning of a line,
 * and ';' starting a trailing comment anywhere. It does not validate: run
 * the result through the mapper.
 */
#ifndef NETBOOTFS_CTL_INI_EDIT_H
#define NETBOOTFS_CTL_INI_EDIT_H

#include <stdbool.h>
#include <stddef.h>

struct ini_doc;

int ini_doc_parse(const char *text, size_t len, struct ini_doc **out);
void ini_doc_free(struct ini_doc *d);
/* The document as text, malloc'ed (NUL-terminated; @len without the NUL). */
int ini_doc_render(const struct ini_doc *d, char **text, size_t *len);

bool ini_has_section(const struct ini_doc *d, const char *section);
/* Line number (from 1) of @section's header, 0 if there is none. */
unsigned ini_section_line(const struct ini_doc *d, const char *section);
/* Append "[section]" at the end, after a blank line. */
int ini_section_add(struct ini_doc *d, const char *section);
/*
 * Remove a section: its header, every line up to the next header except the
 * comment lines directly above that header (they describe the next section),
 * and the comment lines directly above its own header (no blank line in
 * between). A blank line before it stays as the separator, unless the
 * section was the last one. -ENOENT if there is no such section.
 */
int ini_section_remove(struct ini_doc *d, const char *section);
/*
 * Set @key in @section. An existing key line keeps its indentation, spacing
 * and trailing comment (the comment stays in its column when the padding
 * allows); a new one goes after the section's last key line with that
 * line's indentation and '=' column. An empty @value removes the key line.
 * -ENOENT if there is no such section.
 */
int ini_key_set(struct ini_doc *d, const char *section, const char *key, const char *value);

/* Whether @s can be written as a value: no ';', no line breaks, no NUL,
 * no leading or trailing blanks (the parser would cut or trim them). */
bool ini_value_writable(const char *s);

#endif
