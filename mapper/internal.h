/* SPDX-License-Identifier: MIT */
/* Shared between the mapper's own files; not for users of the library. */
#ifndef NETBOOTFS_MAPPER_INTERNAL_H
#define NETBOOTFS_MAPPER_INTERNAL_H

#include "mapper/arena.h"
#include "mapper/mapper.h"
#include "mapper/strmap.h"

#include <stdint.h>

/* A key of a [server:NAME] section as written: applied over [server]. */
struct server_override {
	const char *key, *value;
	unsigned line;
};

/* One [server:NAME] section. */
struct server_entry {
	const char *name;
	unsigned line; /* of the section header */
	struct server_override *ov;
	size_t n_ov, cap_ov;
	struct server_config cfg; /* [server] with this section's keys over it */
};

struct mapper {
	char *path;
	struct arena arena; /* every string and array the table hands out */
	struct server_config server;
	/* The nodes this daemon serves: all of them unless loaded as one of
	 * several servers (mapper_load_as). */
	struct node *nodes;
	size_t n_nodes;
	struct strmap by_name, by_serial, by_mac;
	/* [server:NAME] sections, in file order, and the one this is. */
	struct server_entry *servers;
	size_t n_servers, cap_servers;
	struct strmap server_by_name;
	const char *self; /* "" unless loaded as one of the servers */
	/* The nodes other servers serve; looked up by name, serial or MAC. */
	struct node *others;
	size_t n_others;
	struct strmap others_by_key;
};

/* One [defaults], [profile:NAME] or [node:NAME] section as written. */
struct keyset {
	const char *section; /* "defaults", "profile:NAME", "node:NAME" */
	const char *name;    /* NAME, "" for [defaults] */
	unsigned line;	     /* of the section header */
	unsigned set;	     /* bit (1 << NODE_KEY_*) for each key given here */
	unsigned key_line[NODE_KEY__COUNT];
	const char *image, *cmdline, *boot_dir, *ip, *profile, *server;
	enum overlay_mode overlay;
	const char *const *layers;
	size_t n_layers;
	unsigned long long quota;
	enum upgrade_policy upgrade;
	enum boot_flow boot;
	const char *const *persist;
	size_t n_persist;
	enum pi_model model;
	char serial[SERIAL_LEN + 1];
	char mac[MAC_LEN + 1];
	int64_t parent; /* profiles: index of the profile named by `profile`, or -1 */
	bool in_cycle;	/* profiles: part of an inheritance cycle */
};

struct keyset_vec {
	struct keyset *v;
	size_t n, cap;
	struct strmap by_name; /* NAME -> index */
};

enum section_kind {
	SECTION_NONE, /* before the first header */
	SECTION_SERVER,
	SECTION_SERVER_NAMED, /* [server:NAME]: keys recorded, applied after the parse */
	SECTION_KEYSET,	      /* [defaults], [profile:] or [node:] */
	SECTION_SKIP,	      /* unknown or rejected section: its keys are ignored */
};

enum server_key {
	SERVER_TFTP_ROOT,
	SERVER_NFS_ROOT,
	SERVER_IMAGES,
	SERVER_OVERLAYS,
	SERVER_STATE,
	SERVER_ADDRESS,
	SERVER_CLIENTS,
	SERVER_UNKNOWN,
	SERVER_BOOT_GAP,
	SERVER_DEFAULT_IMAGE,
	SERVER_TEMPLATES,
	SERVER_CONTROL,
	SERVER_DHCP,
	SERVER_DHCP_RANGE,
	SERVER_INTERFACE,
	SERVER_HISTORY,
	SERVER_PI_MAC_PREFIXES,
	SERVER_BOOT_QUIET,
	SERVER_TFTP_SERVER,
	SERVER_LOADERS,
	SERVER_HOMES,
	SERVER_UID_RANGE,
	SERVER_ROLE,
	SERVER_LEASE_RETRY,
	SERVER_TAKEOVER_AFTER,
	SERVER_ON_TAKEOVER,
	SERVER_KEY__COUNT
};

struct parse_ctx {
	struct mapper *m;
	struct mapper_errors *errs;
	size_t errs_cap; /* allocated entries of errs->v */
	size_t n_errors;
	int fatal; /* negative errno (ENOMEM) that stops the load */

	/* input */
	const char *file;
	const char *text;
	size_t len, pos;
	unsigned lineno;
	char *linebuf;
	size_t linecap;
	const char *key, *value; /* of the current line, inside linebuf */

	/* sections */
	enum section_kind kind;
	struct keyset *cur; /* SECTION_KEYSET: where keys go */
	size_t cur_server;  /* SECTION_SERVER_NAMED: index in m->servers */
	enum { CUR_DEFAULTS, CUR_PROFILE, CUR_NODE } cur_type;
	size_t cur_index;
	unsigned server_line, defaults_line;
	unsigned server_key_line[SERVER_KEY__COUNT];
	struct keyset defaults;
	struct keyset_vec profiles, nodes;

	char shown[2][160]; /* quoted user text for messages */
	unsigned shown_next;
};

/* Record "file:line: msg". Never fails; on ENOMEM it sets ctx->fatal. */
void perr(struct parse_ctx *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* @s made printable and cut to a sane length, for quoting in a message. */
const char *shown(struct parse_ctx *c, const char *s);
void errors_sort(struct mapper_errors *errs, size_t from);

/* parse.c */
int parse_text(struct parse_ctx *c);
/* keys.c; a key's scope is where it may be given */
enum key_scope {
	SCOPE_DEFAULTS = 1,
	SCOPE_PROFILE = 2,
	SCOPE_NODE = 4,
	SCOPE_ALL = 7,
};
void keyset_key(struct parse_ctx *c, struct keyset *ks, const char *key, const char *value,
		unsigned allowed);
bool valid_image_name(const char *s);
bool parse_ipv4(const char *s, uint32_t *addr);
/* server.c */
void server_defaults(struct server_config *s);
void server_key(struct parse_ctx *c, const char *key, const char *value);
void server_check(struct parse_ctx *c);
void server_key_into(struct parse_ctx *c, struct server_config *s, unsigned *key_line,
		     const char *section, const char *key, const char *value);
void server_check_config(struct parse_ctx *c, const struct server_config *s,
			 const unsigned *key_line, const unsigned *any_line);
/* servers.c: [server:NAME] sections and which server serves each node */
void servers_section(struct parse_ctx *c, const char *name);
void servers_key(struct parse_ctx *c, const char *key, const char *value);
/* Each server's effective config, after [server] was read. */
void servers_resolve(struct parse_ctx *c);
/* Every `server =` names a [server:NAME]. */
void servers_check_keys(struct parse_ctx *c);
/* The node's server: its `server` key, else the spread; "" without servers. */
const char *servers_of_node(struct parse_ctx *c, const struct keyset *src, const char *node);
/* Keep in m->nodes only @self's nodes, the others in m->others. */
int servers_partition(struct parse_ctx *c, const char *self);
void servers_free(struct mapper *m);
/* resolve.c */
void resolve_profiles(struct parse_ctx *c);
int build_table(struct parse_ctx *c);

#endif
