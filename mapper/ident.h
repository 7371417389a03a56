/* SPDX-License-Identifier: MIT */
/* Client identities: Pi serial numbers, MAC addresses and node names. */
#ifndef NETBOOTFS_IDENT_H
#define NETBOOTFS_IDENT_H

#include <stdbool.h>

/* "1A2B3C4D", "0x1a2b3c4d", "100000001a2b3c4d" -> "1a2b3c4d" (low 32 bits).
 * Returns 0 or -EINVAL. @out has room for 9 bytes. */
int ident_normalize_serial(const char *in, char *out);
/* "DC:A6:32:12:34:56", "dc-a6-32-12-34-56" -> "dc-a6-32-12-34-56".
 * Returns 0 or -EINVAL. @out has room for 18 bytes. */
int ident_normalize_mac(const char *in, char *out);
/* Names as they appear in <tftp_root>: exactly 8 lowercase hex digits, or
 * a lowercase dash-separated MAC. */
bool ident_is_serial_name(const char *name);
bool ident_is_mac_name(const char *name);
/* Hostname rule for node names: [a-z0-9][a-z0-9-]{0,62}. */
bool ident_valid_node_name(const char *name);

#endif
