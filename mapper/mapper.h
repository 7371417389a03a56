/* SPDX-License-Identifier: MIT */
/*
 * mapper: netbootfs.ini -> an immutable node table.
 *
 * A table is built whole or not at all: mapper_load() either returns a new
 * table or a list of errors (each "file:line: problem"), and never touches
 * a table the caller already holds. Keeping the last good table on a bad
 * reload is therefore simply "don't replace your pointer on failure".
 */
#ifndef NETBOOTFS_MAPPER_H
#define NETBOOTFS_MAPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define NODE_NAME_MAX 63
#define SERIAL_LEN    8	 /* 8 lowercase hex digits */
#define MAC_LEN	      17 /* aa-bb-cc-dd-ee-ff */

enum overlay_mode { OVERLAY_PERSISTENT, OVERLAY_VOLATILE };
/* What a persistent overlay does when its node boots onto a newer image
 * generation: keep the node's copies over it, or rebase them onto it. */
enum upgrade_policy { UPGRADE_KEEP, UPGRADE_REBASE };
enum unknown_policy { UNKNOWN_IGNORE, UNKNOWN_DEFAULT };
enum dhcp_mode { DHCP_PROXY, DHCP_FULL };
/* What a daemon serves ([server] role): the TFTP view and the node roots
 * (both), the TFTP view only (pxe), or the node roots only (files). */
enum server_role { ROLE_BOTH, ROLE_PXE, ROLE_FILES };
/* Which Raspberry Pi boots a node: what boot files its image needs. */
enum pi_model { PI_MODEL_ANY, PI_MODEL_3, PI_MODEL_4, PI_MODEL_5 };
/* How a node boots: a Raspberry Pi's firmware, or PXE firmware chain-loading
 * iPXE and its per-node script (docs/design.md "PXE clients"). */
enum boot_flow { BOOT_PI, BOOT_PXE };

/* [server]; strings are never NULL (defaults filled in). */
struct server_config {
	const char *tftp_root;	   /* /srv/tftpboot */
	const char *nfs_root;	   /* /srv/nfsroot */
	const char *images;	   /* /var/lib/netbootfs/images */
	const char *overlays;	   /* /var/lib/netbootfs/overlays */
	const char *state;	   /* /var/lib/netbootfs/state */
	const char *address;	   /* the NFS file server's, "" if unset */
	const char *clients;	   /* "" if unset */
	const char *default_image; /* "" if unset */
	const char *templates;	   /* /etc/netbootfs/templates */
	const char *loaders;	   /* iPXE loaders served at <tftp_root>: /usr/lib/ipxe */
	const char *control;	   /* control socket, /run/netbootfs.sock */
	enum unknown_policy unknown;
	unsigned boot_gap;   /* seconds, default 60 */
	unsigned boot_quiet; /* seconds a root is quiet before a boot, default 2 */
	/* Executables of the TFTP server ("/usr/sbin/dnsmasq"): only their
	 * lookups in a boot tree are TFTP requests; comma separated. */
	const char *tftp_server;
	enum dhcp_mode dhcp;
	enum server_role role;
	/* Seconds between tries at a node lease another server holds
	 * (lib/lease.h), default 5. */
	unsigned lease_retry;
	/* Seconds another server ([server:NAME]) must be down before this one
	 * serves its nodes by itself (fusefs/takeover.c); 0, the default:
	 * never (netbootctl takeover is then the way). */
	unsigned takeover_after;
	/* "PROGRAM ARG..." the daemon runs (argv split at blanks, no shell)
	 * each time the servers it serves for change, "" if unset. */
	const char *on_takeover;
	const char *dhcp_range; /* "start,end[,lease]" for full mode, "" if unset */
	const char *interface;	/* dnsmasq interface, "" if unset */
	unsigned history;	/* image generations kept under .history/, default 3 */
	/* Shared accounts (netbootctl user): the server directory of the homes,
	 * "" if unset (no accounts), and the uids they get. */
	const char *homes;
	unsigned uid_min, uid_max; /* 20000-29999 */
	/* Raspberry Pi MAC prefixes "b8:27:eb" ..., built-in list plus
	 * [server] pi_mac_prefixes (comma separated, appended). */
	const char *const *pi_mac_prefixes;
	size_t n_pi_mac_prefixes;
};

/* The keys a node inherits; used to report where each effective value came from. */
enum node_key {
	NODE_KEY_IMAGE,
	NODE_KEY_OVERLAY,
	NODE_KEY_CMDLINE,
	NODE_KEY_BOOT_DIR,
	NODE_KEY_BOOT,
	NODE_KEY_LAYERS,
	NODE_KEY_QUOTA,
	NODE_KEY_UPGRADE,
	NODE_KEY_PERSIST,
	NODE_KEY_MODEL,
	NODE_KEY_SERVER, /* the last key a profile or [defaults] can give */
	NODE_KEY_SERIAL,
	NODE_KEY_MAC,
	NODE_KEY_IP,
	NODE_KEY_PROFILE,
	NODE_KEY__COUNT
};

struct key_origin {
	const char *section; /* "node:rpi-01", "profile:workers", "defaults", or "built-in" */
	unsigned line;	     /* 0 for built-in */
};

struct node {
	char name[NODE_NAME_MAX + 1];
	char serial[SERIAL_LEN + 1]; /* "" if none */
	char mac[MAC_LEN + 1];	     /* "" if none; aa-bb-cc-dd-ee-ff */
	const char *ip;		     /* "" if none */
	const char *image;	     /* never empty after a successful load */
	enum overlay_mode overlay;
	const char *cmdline;  /* "" if none */
	const char *boot_dir; /* "auto", or a path inside the image such as "boot" */
	enum boot_flow boot;
	const char *const *layers; /* shared layer names, top first */
	size_t n_layers;
	unsigned long long quota; /* bytes of the node's overlay; 0: unlimited */
	enum upgrade_policy upgrade;
	const char *const *persist; /* path globs kept by a rebase ("/home") */
	size_t n_persist;
	enum pi_model model; /* PI_MODEL_ANY when no model key applies */
	const char *profile; /* "" if none */
	/* The [server:NAME] that serves the node: its server key, else the
	 * spread (mapper/servers.c); "" when no servers are named. */
	const char *server;
	struct key_origin origin[NODE_KEY__COUNT];
	unsigned line; /* line of the [node:NAME] header */
};

struct mapper_error {
	char *file;
	unsigned line; /* 0 when the problem is not tied to a line (e.g. unreadable file) */
	char *msg;     /* without the "file:line: " prefix */
};

struct mapper_errors {
	struct mapper_error *v;
	size_t n;
};

struct mapper;

/* Parse @path. On success returns 0 and *out owns a new table. On failure
 * returns -EINVAL (config errors, all listed in @errs) or another negative
 * errno (e.g. -ENOENT, also listed in @errs), and *out is left untouched. */
int mapper_load(const char *path, struct mapper **out, struct mapper_errors *errs);
/* The same, as server @self of several ([server:NAME] sections): the table's
 * nodes are then @self's only, mapper_server() is [server] with
 * [server:@self]'s keys over it, and the other servers' nodes are only
 * found by mapper_find_other(). A @self that is not among the named servers
 * is a config error. Without [server:NAME] sections @self is not used, and
 * @self NULL loads every node (for listings). */
int mapper_load_as(const char *path, const char *self, struct mapper **out,
		   struct mapper_errors *errs);
int mapper_load_string_as(const char *name, const char *text, size_t len, const char *self,
			  struct mapper **out, struct mapper_errors *errs);
/* The same from memory; @name is used as the file name in messages. */
int mapper_load_string(const char *name, const char *text, size_t len, struct mapper **out,
		       struct mapper_errors *errs);
/* Like mapper_load_string(), but on config errors (-EINVAL) *out still gets
 * the table built from what was valid, so that a checker can report more
 * problems in the same pass. Never hand such a table to the daemon. */
int mapper_load_string_partial(const char *name, const char *text, size_t len, struct mapper **out,
			       struct mapper_errors *errs);
void mapper_free(struct mapper *m);

/* Print one line per error: "FILE:LINE: MSG" (or "FILE: MSG" when line is 0). */
void mapper_errors_print(const struct mapper_errors *errs, FILE *f);
void mapper_errors_free(struct mapper_errors *errs);

const char *mapper_path(const struct mapper *m);
/* Whether @mac ("aa-bb-cc-dd-ee-ff" or with ':', any case) starts with one of
 * @s's pi_mac_prefixes. */
bool server_is_pi_mac(const struct server_config *s, const char *mac);
/* "both", "pxe" or "files": the [server] role value. */
const char *server_role_name(enum server_role r);
const struct server_config *mapper_server(const struct mapper *m);
size_t mapper_node_count(const struct mapper *m);
/* Nodes in config order. */
const struct node *mapper_node_at(const struct mapper *m, size_t i);
/* O(1) average; keys must already be normalised (see ident.h). NULL if absent. */
const struct node *mapper_find_name(const struct mapper *m, const char *name);
const struct node *mapper_find_serial(const struct mapper *m, const char *serial);
const struct node *mapper_find_mac(const struct mapper *m, const char *mac);

/* The [server:NAME] sections, in file order. */
size_t mapper_server_count(const struct mapper *m);
const char *mapper_server_name(const struct mapper *m, size_t i);
/* Server @name's effective config ([server] with its keys over it); NULL
 * if there is no [server:@name]. */
const struct server_config *mapper_server_config(const struct mapper *m, const char *name);
/* This host's name up to its first dot, in @buf: the server name that
 * netbootfs and netbootctl assume without -S; "" if unknown. */
const char *mapper_host_name(char *buf, size_t len);
/* The server this table was loaded as, "" if none (mapper_load_as). */
const char *mapper_self(const struct mapper *m);
/* Nodes that other servers serve (empty unless loaded as one of them). */
size_t mapper_other_count(const struct mapper *m);
const struct node *mapper_other_at(const struct mapper *m, size_t i);
/* Another server's node by normalised name, serial or MAC; NULL if none. */
const struct node *mapper_find_other(const struct mapper *m, const char *key);
/* Every node of the file: this server's (mapper_node_at), then the others'. */
size_t mapper_all_count(const struct mapper *m);
const struct node *mapper_all_at(const struct mapper *m, size_t i);
/* A node of any server by name; NULL if none. */
const struct node *mapper_find_any(const struct mapper *m, const char *name);
/* Serve @server's nodes too (a take-over, docs/scale-out.md): they move
 * from the other servers' nodes to the table's own, after its own, and
 * keep their server. Nothing for this server itself or without servers. */
int mapper_adopt(struct mapper *m, const char *server);
/* Rendezvous hashing: the index in @names (@n > 0) of the server that
 * serves node @node when its config names none. */
size_t mapper_spread(const char *node, const char *const *names, size_t n);

const char *node_key_name(enum node_key k);
/* "pi3", "pi4", "pi5", or "" for PI_MODEL_ANY. */
const char *pi_model_name(enum pi_model m);
/* The effective value of @k as text ("persistent", "a,b", ...). */
const char *node_key_value(const struct node *n, enum node_key k, char *buf, size_t len);

#endif
