/* SPDX-License-Identifier: MIT */
/* Normalisation and validation of client identities and node names. */
#include "mapper/ident.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char lower_hex(char c)
{
	return (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
}

int ident_normalize_serial(const char *in, char *out)
{
	size_t len, i;

	if (!in)
		return -EINVAL;
	if (in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
		in += 2;
	len = strlen(in);
	/* 8 digits as the bootloader prints them, or 16 as /proc/cpuinfo does. */
	if (len != 8 && len != 16)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (hex_value(in[i]) < 0)
			return -EINVAL;
	/* The TFTP prefix is the low 32 bits: the last 8 digits. */
	in += len - 8;
	for (i = 0; i < 8; i++)
		out[i] = lower_hex(in[i]);
	out[8] = '\0';
	return 0;
}

int ident_normalize_mac(const char *in, char *out)
{
	size_t i;

	if (!in || strlen(in) != 17)
		return -EINVAL;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (in[i] != ':' && in[i] != '-')
				return -EINVAL;
			out[i] = '-';
		} else {
			if (hex_value(in[i]) < 0)
				return -EINVAL;
			out[i] = lower_hex(in[i]);
		}
	}
	out[17] = '\0';
	return 0;
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool ident_is_serial_name(const char *name)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (!is_lower_hex(name[i]))
			return false;
	return name[8] == '\0';
}

bool ident_is_mac_name(const char *name)
{
	size_t i;

	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? name[i] != '-' : !is_lower_hex(name[i]))
			return false;
	}
	return name[17] == '\0';
}

bool ident_valid_node_name(const char *name)
{
	size_t i;

	if (!name || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return false;
	for (i = 1; name[i]; i++) {
		char c = name[i];

		if (i >= 63)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}
