/* SPDX-License-Identifier: MIT */
/*
 * Each format's rules, as its own parser reads them:
 *
 * exports   nfs-utils' xgettok() ends a path at white space, toggles quoting
 *           at '"' and decodes "\ooo" anywhere; write the bytes its own
 *           putexportent() escapes (controls, white space, '"', '\\', '#') as
 *           \ooo. Every byte can be written.
 * Ganesha   a double-quoted string takes any byte but '"'; a backslash
 *           escapes the next byte, "\n" "\t" "\r" are those controls.
 * systemd   Exec arguments and Environment= are unquoted with C escapes
 *           ("\\", "\"", "\xNN"); '%' starts a specifier everywhere ("%%"),
 *           '$' a variable in Exec lines ("$$").
 * dnsmasq   a value runs to the end of the line; ',' separates fields and
 *           "#" after a blank starts a comment, except inside "...", which
 *           also takes \\ \" \t \n \r \b \e. Other control characters come
 *           out changed (dnsmasq hides its metacharacters in them), and a line
 *           of 1024 bytes or more is cut into two lines: both are refused.
 * cmdline   the kernel splits words at white space, nfsroot= ends its path at
 *           the first ',' (options follow) and expands '%s' in it, and
 *           initramfs scripts split /proc/cmdline at blanks ignoring quotes:
 *           such characters cannot be written in nfsroot= at all.
 */
#include "mapper/escape.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The longest dnsmasq value we write: dnsmasq reads lines with a 1025-byte
 * buffer, and our longest key ("dhcp-script=") needs room too. */
#define DNSMASQ_VALUE_MAX 1000

static const char *const format_names[ESC__COUNT] = {
	[ESC_EXPORTS] = "/etc/exports",
	[ESC_GANESHA] = "a Ganesha config",
	[ESC_SYSTEMD_ARG] = "a systemd unit",
	[ESC_SYSTEMD_ENV] = "a systemd unit",
	[ESC_DNSMASQ] = "a dnsmasq config",
	[ESC_CMDLINE_PATH] = "a kernel command line (nfsroot=)",
	[ESC_CMDLINE] = "a kernel command line",
	[ESC_IPXE] = "an iPXE script",
	[ESC_COMMENT] = "a comment",
	[ESC_FSTAB] = "/etc/fstab",
};

const char *esc_format_name(enum esc_format f)
{
	return f < ESC__COUNT ? format_names[f] : "?";
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Bytes written as they are, without quotes, in every quoting format. */
static bool is_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("/._+-", c) != NULL;
}

static bool needs_quotes(const char *s)
{
	for (; *s; s++)
		if (!is_plain((unsigned char)*s))
			return true;
	return false;
}

static const char *char_name(unsigned char c)
{
	switch (c) {
	case '\n':
		return "a newline";
	case '\t':
		return "a tab";
	case ' ':
		return "a space";
	case '"':
		return "a double quote";
	case ',':
		return "a comma";
	case '%':
		return "a percent sign";
	default:
		return "a control character";
	}
}

/* The C escape dnsmasq and Ganesha read inside quotes for @c, or 0. */
static char quoted_escape(unsigned char c, bool dnsmasq)
{
	switch (c) {
	case '\n':
		return 'n';
	case '\t':
		return 't';
	case '\r':
		return 'r';
	case '\b':
		return dnsmasq ? 'b' : 0;
	case 0x1b:
		return dnsmasq ? 'e' : 0;
	case '"':
	case '\\':
		return (char)c;
	default:
		return 0;
	}
}

/* Bytes @s takes as a dnsmasq value, quotes included. */
static size_t dnsmasq_len(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (!needs_quotes(s))
		return n;
	for (p = s; *p; p++)
		n += quoted_escape((unsigned char)*p, true) != 0;
	return n + 2;
}

const char *esc_why(enum esc_format f, const char *s)
{
	const unsigned char *p;

	switch (f) {
	case ESC_DNSMASQ:
		for (p = (const unsigned char *)s; *p; p++)
			if (is_control(*p) && *p != 0x7f && !quoted_escape(*p, true))
				return char_name(*p);
		if (dnsmasq_len(s) > DNSMASQ_VALUE_MAX)
			return "a value of more than 1000 bytes";
		return NULL;
	case ESC_CMDLINE_PATH:
		for (p = (const unsigned char *)s; *p; p++)
			if (*p <= ' ' || *p == 0x7f || strchr("\",%", *p))
				return char_name(*p);
		return NULL;
	case ESC_CMDLINE:
	case ESC_IPXE:
		for (p = (const unsigned char *)s; *p; p++)
			if (is_control(*p) && *p != '\t')
				return char_name(*p);
		/* iPXE expands ${name} on every line and has no escape for it. */
		if (f == ESC_IPXE && strstr(s, "${"))
			return "'${'";
		return NULL;
	case ESC_EXPORTS:
	case ESC_GANESHA:
	case ESC_SYSTEMD_ARG:
	case ESC_SYSTEMD_ENV:
	case ESC_COMMENT:
	case ESC_FSTAB:
		return NULL;
	case ESC__COUNT:
		break;
	}
	return "an unknown format";
}

static void print_exports(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (is_control(c) || strchr(" \"\\#", c))
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
	}
}

/* "..." with Ganesha's or dnsmasq's backslash escapes. */
static void print_quoted(FILE *out, const char *s, bool dnsmasq)
{
	fputc('"', out);
	for (; *s; s++) {
		char e = quoted_escape((unsigned char)*s, dnsmasq);

		if (e)
			fprintf(out, "\\%c", e);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* systemd: specifiers, variables (Exec lines only) and C escapes. */
static void print_systemd(FILE *out, const char *s, bool exec)
{
	bool quote = exec && needs_quotes(s);

	if (quote)
		fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '%' || (exec && c == '$'))
			fprintf(out, "%c%c", c, c);
		else if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (is_control(c))
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	if (quote)
		fputc('"', out);
}

static void print_comment(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (is_control(c))
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

int esc_print(FILE *out, enum esc_format f, const char *s)
{
	if (esc_why(f, s))
		return -EINVAL;
	switch (f) {
	case ESC_EXPORTS:
	case ESC_FSTAB: /* libmount reads the same \ooo escapes */
		print_exports(out, s);
		break;
	case ESC_GANESHA:
		print_quoted(out, s, false);
		break;
	case ESC_SYSTEMD_ARG:
	case ESC_SYSTEMD_ENV:
		print_systemd(out, s, f == ESC_SYSTEMD_ARG);
		break;
	case ESC_DNSMASQ:
		if (needs_quotes(s))
			print_quoted(out, s, true);
		else
			fputs(s, out);
		break;
	case ESC_CMDLINE_PATH:
	case ESC_CMDLINE:
	case ESC_IPXE:
		fputs(s, out);
		break;
	case ESC_COMMENT:
		print_comment(out, s);
		break;
	case ESC__COUNT:
		return -EINVAL;
	}
	return 0;
}

char *esc_str(enum esc_format f, const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int ret;

	if (esc_why(f, s)) {
		errno = EINVAL;
		return NULL;
	}
	m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	ret = esc_print(m, f, s);
	if (fclose(m) != 0 || ret < 0) {
		free(buf);
		errno = ret < 0 ? -ret : ENOMEM;
		return NULL;
	}
	return buf;
}
