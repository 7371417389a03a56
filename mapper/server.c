/* SPDX-License-Identifier: MIT */
/* The [server] section. */
#include "mapper/escape.h"
#include "mapper/internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* OUIs of Raspberry Pi boards; [server] pi_mac_prefixes adds to these. This
 * is the only copy of the list. */
static const char *const builtin_pi_mac_prefixes[] = {
	"b8:27:eb", "dc:a6:32", "e4:5f:01", "28:cd:c1", "d8:3a:dd", "2c:cf:67", "88:a2:9e",
};
#define N_BUILTIN_PREFIXES (sizeof(builtin_pi_mac_prefixes) / sizeof(builtin_pi_mac_prefixes[0]))

static const char *const server_key_names[SERVER_KEY__COUNT] = {
	[SERVER_TFTP_ROOT] = "tftp_root",
	[SERVER_NFS_ROOT] = "nfs_root",
	[SERVER_IMAGES] = "images",
	[SERVER_OVERLAYS] = "overlays",
	[SERVER_STATE] = "state",
	[SERVER_ADDRESS] = "address",
	[SERVER_CLIENTS] = "clients",
	[SERVER_UNKNOWN] = "unknown",
	[SERVER_BOOT_GAP] = "boot_gap",
	[SERVER_DEFAULT_IMAGE] = "default_image",
	[SERVER_TEMPLATES] = "templates",
	[SERVER_CONTROL] = "control",
	[SERVER_DHCP] = "dhcp",
	[SERVER_DHCP_RANGE] = "dhcp_range",
	[SERVER_INTERFACE] = "interface",
	[SERVER_HISTORY] = "history",
	[SERVER_PI_MAC_PREFIXES] = "pi_mac_prefixes",
	[SERVER_BOOT_QUIET] = "boot_quiet",
	[SERVER_TFTP_SERVER] = "tftp_server",
	[SERVER_LOADERS] = "loaders",
	[SERVER_HOMES] = "homes",
	[SERVER_UID_RANGE] = "uid_range",
	[SERVER_ROLE] = "role",
	[SERVER_LEASE_RETRY] = "lease_retry",
	[SERVER_TAKEOVER_AFTER] = "takeover_after",
	[SERVER_ON_TAKEOVER] = "on_takeover",
};

void server_defaults(struct server_config *s)
{
	s->tftp_root = "/srv/tftpboot";
	s->nfs_root = "/srv/nfsroot";
	s->images = "/var/lib/netbootfs/images";
	s->overlays = "/var/lib/netbootfs/overlays";
	s->state = "/var/lib/netbootfs/state";
	s->address = "";
	s->clients = "";
	s->default_image = "";
	s->templates = "/etc/netbootfs/templates";
	s->loaders = "/usr/lib/ipxe";
	s->control = "/run/netbootfs.sock";
	s->unknown = UNKNOWN_IGNORE;
	s->boot_gap = 60;
	s->boot_quiet = 2;
	s->tftp_server = "/usr/sbin/dnsmasq";
	s->dhcp = DHCP_PROXY;
	s->role = ROLE_BOTH;
	s->lease_retry = 5;
	s->takeover_after = 0;
	s->on_takeover = "";
	s->dhcp_range = "";
	s->interface = "";
	s->history = 3;
	s->homes = "";
	s->uid_min = 20000;
	s->uid_max = 29999;
	s->pi_mac_prefixes = builtin_pi_mac_prefixes;
	s->n_pi_mac_prefixes = N_BUILTIN_PREFIXES;
}

bool server_is_pi_mac(const struct server_config *s, const char *mac)
{
	size_t i, j;

	if (!mac || strlen(mac) < 8)
		return false;
	for (i = 0; i < s->n_pi_mac_prefixes; i++) {
		const char *p = s->pi_mac_prefixes[i];

		for (j = 0; j < 8; j++) {
			char a = mac[j], b = p[j];

			if (j % 3 == 2) {
				if (a != ':' && a != '-')
					break;
			} else if ((a >= 'A' && a <= 'F' ? a - 'A' + 'a' : a) != b) {
				break;
			}
		}
		if (j == 8)
			return true;
	}
	return false;
}

/* Non-negative decimal integer within [min, max]. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool valid_abs_path(const char *s)
{
	return s[0] == '/';
}

static bool has_any(const char *s, const char *chars)
{
	return s[strcspn(s, chars)] != '\0';
}

/* An exports(5) client (host, network, wildcard, @netgroup) that is also a
 * bare term in Ganesha's config: nothing that quotes, comments or ends a
 * field in either. */
static bool valid_clients(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(".-_*?/:@[]!", *s)))
			return false;
	return true;
}

/* Comma separated absolute paths, spaces around the commas allowed. */
static bool valid_path_list(const char *s)
{
	size_t len;

	for (;;) {
		s += strspn(s, " \t");
		len = strcspn(s, ", \t");
		if (len == 0 || *s != '/')
			return false;
		s += len;
		s += strspn(s, " \t");
		if (!*s)
			return true;
		if (*s != ',')
			return false; /* a space inside a path */
		s++;
	}
}

/* dnsmasq's lease time: seconds, or a number with m/h/d/w, or "infinite". */
static bool valid_lease(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (strcmp(s, "infinite") == 0)
		return true;
	if (n == 0 || n > 9)
		return false;
	return s[n] == '\0' || (strchr("mhdw", s[n]) && s[n + 1] == '\0');
}

/* "start,end[,lease]" */
static bool valid_dhcp_range(const char *s)
{
	char buf[64], *start, *end, *lease;
	uint32_t a, b;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	start = buf;
	end = strchr(start, ',');
	if (!end)
		return false;
	*end++ = '\0';
	lease = strchr(end, ',');
	if (lease)
		*lease++ = '\0';
	if (!parse_ipv4(start, &a) || !parse_ipv4(end, &b) || a > b)
		return false;
	return !lease || valid_lease(lease);
}

/* Comma separated "xx:xx:xx", ':' or '-', any case; appended to the
 * built-in list, skipping prefixes it already has. */
static bool parse_prefixes(struct parse_ctx *c, struct server_config *s, const char *value)
{
	size_t n = 1, i, total = N_BUILTIN_PREFIXES;
	const char **v;
	const char *p;

	if (!*value) {
		s->pi_mac_prefixes = builtin_pi_mac_prefixes;
		s->n_pi_mac_prefixes = N_BUILTIN_PREFIXES;
		return true;
	}
	for (p = value; *p; p++)
		n += *p == ',';
	v = arena_alloc(&c->m->arena, (N_BUILTIN_PREFIXES + n) * sizeof(*v));
	if (!v) {
		c->fatal = -ENOMEM;
		return false;
	}
	memcpy(v, builtin_pi_mac_prefixes, sizeof(builtin_pi_mac_prefixes));
	for (p = value; p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p), j;
		char pre[9];

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len != 8)
			return false;
		for (j = 0; j < 8; j++) {
			char ch = p[j];

			if (j % 3 == 2) {
				if (ch != ':' && ch != '-')
					return false;
				pre[j] = ':';
			} else if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) {
				pre[j] = ch;
			} else if (ch >= 'A' && ch <= 'F') {
				pre[j] = (char)(ch - 'A' + 'a');
			} else {
				return false;
			}
		}
		pre[8] = '\0';
		for (i = 0; i < total; i++)
			if (strcmp(v[i], pre) == 0)
				break;
		if (i == total) {
			v[total] = arena_strdup(&c->m->arena, pre);
			if (!v[total]) {
				c->fatal = -ENOMEM;
				return false;
			}
			total++;
		}
		p = comma ? comma + 1 : NULL;
	}
	s->pi_mac_prefixes = v;
	s->n_pi_mac_prefixes = total;
	return true;
}

static void bad(struct parse_ctx *c, enum server_key k, const char *value, const char *expected)
{
	perr(c, c->lineno, "bad value for %s: '%s' (expected %s)", server_key_names[k],
	     shown(c, value), expected);
}

static void set_string(struct parse_ctx *c, const char **field, const char *value)
{
	const char *s = arena_strdup(&c->m->arena, value);

	if (!s)
		c->fatal = -ENOMEM;
	else
		*field = s;
}

/* "20000-29999": above the system users, below nobody (65534 is inside
 * on purpose only if the admin says so). */
static bool parse_uid_range(const char *s, unsigned *min, unsigned *max)
{
	char buf[32], *dash;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash)
		return false;
	*dash = '\0';
	return parse_uint(buf, 1000, 4294967294UL, min) &&
	       parse_uint(dash + 1, 1000, 4294967294UL, max) && *min <= *max;
}

static void set_path(struct parse_ctx *c, enum server_key k, const char **field, const char *value)
{
	if (!valid_abs_path(value))
		bad(c, k, value, "an absolute path");
	else
		set_string(c, field, value);
}

void server_key(struct parse_ctx *c, const char *key, const char *value)
{
	server_key_into(c, &c->m->server, c->server_key_line, "server", key, value);
}

void server_key_into(struct parse_ctx *c, struct server_config *s, unsigned *key_line,
		     const char *section, const char *key, const char *value)
{
	enum server_key k;

	for (k = 0; k < SERVER_KEY__COUNT; k++)
		if (strcmp(server_key_names[k], key) == 0)
			break;
	if (k == SERVER_KEY__COUNT) {
		perr(c, c->lineno, "unknown key '%s' in [%s]", shown(c, key), section);
		return;
	}
	if (key_line[k]) {
		perr(c, c->lineno, "duplicate key '%s' in [%s] (also at line %u)", key, section,
		     key_line[k]);
		return;
	}
	key_line[k] = c->lineno;

	switch (k) {
	case SERVER_TFTP_ROOT:
		set_path(c, k, &s->tftp_root, value);
		break;
	case SERVER_NFS_ROOT:
		set_path(c, k, &s->nfs_root, value);
		break;
	case SERVER_IMAGES:
		set_path(c, k, &s->images, value);
		break;
	case SERVER_OVERLAYS:
		set_path(c, k, &s->overlays, value);
		break;
	case SERVER_STATE:
		set_path(c, k, &s->state, value);
		break;
	case SERVER_TEMPLATES:
		set_path(c, k, &s->templates, value);
		break;
	case SERVER_LOADERS:
		set_path(c, k, &s->loaders, value);
		break;
	case SERVER_CONTROL:
		set_path(c, k, &s->control, value);
		break;
	case SERVER_ADDRESS:
		if (*value && !parse_ipv4(value, NULL))
			bad(c, k, value, "an IPv4 address");
		else
			set_string(c, &s->address, value);
		break;
	case SERVER_CLIENTS:
		if (!valid_clients(value))
			bad(c, k, value,
			    "a host, network or wildcard for /etc/exports and a Ganesha config: "
			    "letters, digits and . - _ * ? / : @ [ ] !");
		else
			set_string(c, &s->clients, value);
		break;
	case SERVER_UNKNOWN:
		if (strcmp(value, "ignore") == 0)
			s->unknown = UNKNOWN_IGNORE;
		else if (strcmp(value, "default") == 0)
			s->unknown = UNKNOWN_DEFAULT;
		else
			bad(c, k, value, "ignore or default");
		break;
	case SERVER_BOOT_GAP:
		if (!parse_uint(value, 1, 86400, &s->boot_gap))
			bad(c, k, value, "seconds, 1 to 86400");
		break;
	case SERVER_BOOT_QUIET:
		if (!parse_uint(value, 1, 3600, &s->boot_quiet))
			bad(c, k, value, "seconds, 1 to 3600");
		break;
	case SERVER_TFTP_SERVER:
		if (!valid_path_list(value))
			bad(c, k, value, "comma separated absolute paths of executables");
		else
			set_string(c, &s->tftp_server, value);
		break;
	case SERVER_DEFAULT_IMAGE:
		if (*value && !valid_image_name(value))
			bad(c, k, value, "an image name: letters, digits, . _ + -");
		else
			set_string(c, &s->default_image, value);
		break;
	case SERVER_DHCP:
		if (strcmp(value, "proxy") == 0)
			s->dhcp = DHCP_PROXY;
		else if (strcmp(value, "full") == 0)
			s->dhcp = DHCP_FULL;
		else
			bad(c, k, value, "proxy or full");
		break;
	case SERVER_DHCP_RANGE:
		if (*value && !valid_dhcp_range(value))
			bad(c, k, value, "start,end[,lease] with IPv4 addresses");
		else
			set_string(c, &s->dhcp_range, value);
		break;
	case SERVER_INTERFACE:
		if (strlen(value) > 15 || has_any(value, " \t/,"))
			bad(c, k, value, "a network interface name");
		else
			set_string(c, &s->interface, value);
		break;
	case SERVER_HISTORY:
		if (!parse_uint(value, 1, 100, &s->history))
			bad(c, k, value, "a number from 1 to 100");
		break;
	case SERVER_PI_MAC_PREFIXES:
		if (!parse_prefixes(c, s, value) && !c->fatal)
			bad(c, k, value, "comma separated prefixes such as b8:27:eb");
		break;
	case SERVER_HOMES:
		set_path(c, k, &s->homes, value);
		break;
	case SERVER_UID_RANGE:
		if (!parse_uid_range(value, &s->uid_min, &s->uid_max))
			bad(c, k, value, "MIN-MAX, uids from 1000 to 4294967294, MIN <= MAX");
		break;
	case SERVER_ROLE:
		if (strcmp(value, "both") == 0)
			s->role = ROLE_BOTH;
		else if (strcmp(value, "pxe") == 0)
			s->role = ROLE_PXE;
		else if (strcmp(value, "files") == 0)
			s->role = ROLE_FILES;
		else
			bad(c, k, value, "both, pxe or files");
		break;
	case SERVER_LEASE_RETRY:
		if (!parse_uint(value, 1, 3600, &s->lease_retry))
			bad(c, k, value, "seconds, 1 to 3600");
		break;
	case SERVER_TAKEOVER_AFTER:
		if (!parse_uint(value, 0, 86400, &s->takeover_after))
			bad(c, k, value, "seconds, 0 (never) to 86400");
		break;
	case SERVER_ON_TAKEOVER:
		/* Run as an argv (words split at blanks), never by a shell. */
		if (value[0] != '/' || strcspn(value, " \t") < 2)
			bad(c, k, value, "an absolute program path and its arguments");
		else
			set_string(c, &s->on_takeover, value);
		break;
	case SERVER_KEY__COUNT:
		break;
	}
}

const char *server_role_name(enum server_role r)
{
	return r == ROLE_PXE ? "pxe" : r == ROLE_FILES ? "files" : "both";
}

/* The generated files (and cmdline.txt) each path is written into. */
static const struct {
	enum server_key key;
	size_t field; /* offset of the const char * in struct server_config */
	enum esc_format formats[3];
	unsigned n_formats;
} server_outputs[] = {
	{SERVER_NFS_ROOT,
	 offsetof(struct server_config, nfs_root),
	 {ESC_EXPORTS, ESC_GANESHA, ESC_CMDLINE_PATH},
	 3},
	{SERVER_TFTP_ROOT,
	 offsetof(struct server_config, tftp_root),
	 {ESC_DNSMASQ, ESC_SYSTEMD_ARG},
	 2},
	{SERVER_INTERFACE, offsetof(struct server_config, interface), {ESC_DNSMASQ}, 1},
	{SERVER_HOMES,
	 offsetof(struct server_config, homes),
	 {ESC_EXPORTS, ESC_GANESHA, ESC_FSTAB},
	 3},
};

/* A value that some output cannot hold faithfully is refused here, so that
 * `check` and the daemon refuse it before any generator could write it. */
static void check_outputs(struct parse_ctx *c, const struct server_config *s,
			  const unsigned *key_line)
{
	size_t i;
	unsigned j;

	for (i = 0; i < sizeof(server_outputs) / sizeof(server_outputs[0]); i++) {
		enum server_key k = server_outputs[i].key;
		const char *value =
			*(const char *const *)((const char *)s + server_outputs[i].field);

		if (!key_line[k])
			continue;
		for (j = 0; j < server_outputs[i].n_formats; j++) {
			enum esc_format f = server_outputs[i].formats[j];
			const char *why = esc_why(f, value);

			if (why)
				perr(c, key_line[k], "%s: %s cannot be written in %s",
				     server_key_names[k], why, esc_format_name(f));
		}
	}
}

/* Checks that need more than one key, or all of a key's uses. */
void server_check(struct parse_ctx *c)
{
	/* With [server:NAME] sections, each server's effective config is
	 * checked whole (servers_resolve); [server] alone may lack a key. */
	if (c->m->n_servers)
		check_outputs(c, &c->m->server, c->server_key_line);
	else
		server_check_config(c, &c->m->server, c->server_key_line, c->server_key_line);
}

/* @key_line: the keys given in the section checked; @any_line: where each
 * key of the effective config was given (the section's, else [server]'s). */
void server_check_config(struct parse_ctx *c, const struct server_config *s,
			 const unsigned *key_line, const unsigned *any_line)
{
	check_outputs(c, s, key_line);
	if (s->dhcp == DHCP_FULL && !*s->dhcp_range && any_line[SERVER_DHCP] &&
	    (key_line[SERVER_DHCP] || key_line[SERVER_DHCP_RANGE]))
		perr(c, any_line[SERVER_DHCP], "dhcp = full needs a dhcp_range");
	/* A PXE server's cmdline.txt must name another machine: it cannot
	 * guess the file server's address. */
	if (s->role == ROLE_PXE && !*s->address &&
	    (key_line[SERVER_ROLE] || key_line[SERVER_ADDRESS]))
		perr(c, any_line[SERVER_ROLE],
		     "role = pxe needs address: the file server's, for cmdline.txt");
}
