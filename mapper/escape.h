/* SPDX-License-Identifier: MIT */
/*
 * Writing a value into the files netbootctl generates (and the cmdline.txt
 * the daemon serves), each by its own format's quoting rules. One place
 * decides what a format can hold: `check` (through the mapper) rejects what
 * esc_why() refuses, and the generators write with esc_print(), which refuses
 * the same values, so no generator can write a value that breaks out of its
 * field.
 */
#ifndef NETBOOTFS_ESCAPE_H
#define NETBOOTFS_ESCAPE_H

#include <stdio.h>

enum esc_format {
	ESC_EXPORTS,	  /* a path in /etc/exports: \ooo octal escapes */
	ESC_GANESHA,	  /* a Ganesha double-quoted string, quotes included */
	ESC_SYSTEMD_ARG,  /* one argument of a systemd Exec line */
	ESC_SYSTEMD_ENV,  /* the text inside Environment="..." */
	ESC_DNSMASQ,	  /* the value of a dnsmasq option, quoted when needed */
	ESC_CMDLINE_PATH, /* the path in nfsroot= on a kernel command line */
	ESC_CMDLINE,	  /* words appended to a kernel command line */
	ESC_IPXE,	  /* words of an iPXE script's kernel line: no "${" */
	ESC_COMMENT,	  /* text in a '#' comment line: never fails */
	ESC_FSTAB,	  /* a field of /etc/fstab: \ooo octal escapes */
	ESC__COUNT
};

/* "/etc/exports", "a Ganesha config", ...: the format as messages name it. */
const char *esc_format_name(enum esc_format f);
/* Why @s cannot be written faithfully in @f ("a newline", "a comma"), or
 * NULL when it can. */
const char *esc_why(enum esc_format f, const char *s);
/* Write @s to @out by @f's rules. Writes nothing and returns -EINVAL when
 * esc_why() refuses @s; else returns 0. */
int esc_print(FILE *out, enum esc_format f, const char *s);
/* The same into a malloc'ed string; NULL with errno EINVAL or ENOMEM. */
char *esc_str(enum esc_format f, const char *s);

#endif
