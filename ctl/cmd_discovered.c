/* SPDX-License-Identifier: MIT */
/* netbootctl discovered, and the dnsmasq dhcp-script hook that feeds it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/args.h"
#include "ctl/ctl.h"
#include "ctl/output.h"
#include "mapper/ident.h"
#include "mapper/state.h"

static const char discovered_help[] =
	"Usage: netbootctl [-c CONFIG] discovered [--json]\n"
	"       netbootctl [-c CONFIG] discovered adopt ID NAME [OPTIONS]\n"
	"\n"
	"List clients that asked for a boot tree (TFTP) or an address (DHCP, through\n"
	"the dnsmasq hook) but map to no node: ID VIA FIRST-SEEN LAST-SEEN COUNT IP\n"
	"VENDOR HOSTNAME, times in UTC. --json prints an array of objects with the\n"
	"keys id, via, first_seen, last_seen, count, ip, vendor and hostname.\n"
	"A client whose serial or MAC a node of the configuration has is not listed.\n"
	"'discovered adopt --help' tells how to make a client a node.\n";

static const char dhcp_event_help[] =
	"Usage: netbootctl [-c CONFIG] dhcp-event ACTION MAC IP [HOSTNAME]\n"
	"\n"
	"The dnsmasq dhcp-script hook (see conf/dnsmasq-hook.sh). For ACTION add or\n"
	"old, a PXE client (vendor class PXEClient..., from DNSMASQ_VENDOR_CLASS) or a\n"
	"Raspberry Pi MAC that maps to no node is recorded in the state directory.\n"
	"Other actions are ignored.\n";

static struct json_object *discovered_json(const struct discovered *d)
{
	struct json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "id", json_object_new_string(d->id));
	json_object_object_add(o, "via", json_string_or_null(d->via));
	json_object_object_add(o, "first_seen",
			       json_object_new_string(fmt_time_utc(d->first_seen, t, sizeof(t))));
	json_object_object_add(o, "last_seen",
			       json_object_new_string(fmt_time_utc(d->last_seen, t, sizeof(t))));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)d->count));
	json_object_object_add(o, "ip", json_string_or_null(d->ip));
	json_object_object_add(o, "vendor", json_string_or_null(d->vendor));
	json_object_object_add(o, "hostname", json_string_or_null(d->hostname));
	return o;
}

static int print_discovered_json(const struct discovered *v, size_t n)
{
	struct json_object *arr = json_object_new_array();
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, discovered_json(&v[i]));
	ret = json_print(arr, stdout);
	json_object_put(arr);
	return ret;
}

static int print_discovered_table(const struct discovered *v, size_t n)
{
	static const char *const headers[] = {"ID",    "VIA", "FIRST-SEEN", "LAST-SEEN",
					      "COUNT", "IP",  "VENDOR",	    "HOSTNAME"};
	struct table t;
	size_t i;
	int ret = 0;

	table_init(&t, 8, headers);
	for (i = 0; i < n && ret == 0; i++) {
		char first[32], last[32], count[24];
		const char *row[8] = {v[i].id,
				      v[i].via,
				      fmt_time_utc(v[i].first_seen, first, sizeof(first)),
				      fmt_time_utc(v[i].last_seen, last, sizeof(last)),
				      count,
				      v[i].ip,
				      v[i].vendor,
				      v[i].hostname};

		snprintf(count, sizeof(count), "%lu", v[i].count);
		ret = table_add(&t, row);
	}
	if (ret == 0)
		table_print(&t, stdout);
	table_free(&t);
	return ret;
}

int cmd_discovered(struct ctl *c, int argc, char **argv)
{
	struct discovered *v = NULL;
	const struct mapper *m;
	struct arg_values av;
	size_t n = 0, i, kept;
	int ret;

	if (argc >= 2 && strcmp(argv[1], "adopt") == 0)
		return cmd_discovered_adopt(c, argc - 1, argv + 1);
	ret = args_parse("discovered", discovered_help, ARG_JSON, 0, 0, argc, argv, &av);
	if (ret >= 0)
		return ret;
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	ret = discovered_list(mapper_server(m)->state, &v, &n);
	if (ret == -ENOENT) {
		/* No state directory yet: nothing was discovered. */
		v = NULL;
		n = 0;
		ret = 0;
	}
	if (ret < 0) {
		ctl_err("%s: %s", mapper_server(m)->state, strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	/* Made a node since it was recorded (the daemon may not have reloaded
	 * yet when it wrote the record): no longer unknown. */
	for (i = kept = 0; i < n; i++)
		if (!discovered_is_node(&v[i], m))
			v[kept++] = v[i];
	n = kept;
	ret = av.json ? print_discovered_json(v, n) : print_discovered_table(v, n);
	free(v);
	if (ret < 0) {
		ctl_err("discovered: %s", strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

/* True when the normalised @mac ("dc-a6-32-...") starts with a Pi prefix. */
static bool is_pi_mac(const struct server_config *srv, const char *mac)
{
	size_t i, j;

	for (i = 0; i < srv->n_pi_mac_prefixes; i++) {
		const char *p = srv->pi_mac_prefixes[i];

		for (j = 0; p[j] && mac[j]; j++) {
			char a = p[j] == ':' ? '-' : p[j];

			if ((a | 0x20) != (mac[j] | 0x20))
				break;
		}
		if (!p[j])
			return true;
	}
	return false;
}

static bool is_pxe_client(const char *vendor)
{
	return vendor && strncmp(vendor, "PXEClient", 9) == 0;
}

int cmd_dhcp_event(struct ctl *c, int argc, char **argv)
{
	const char *vendor = getenv("DNSMASQ_VENDOR_CLASS");
	const struct server_config *srv;
	const struct mapper *m;
	struct arg_values av;
	char mac[MAC_LEN + 1];
	const char *action;
	int ret;

	/* dnsmasq passes other shapes for other actions ("tftp SIZE IP PATH",
	 * "init"): accept any count and ignore what is not a lease event. */
	ret = args_parse("dhcp-event", dhcp_event_help, 0, 1, 16, argc, argv, &av);
	if (ret >= 0)
		return ret;
	action = av.pos[0];
	if (strcmp(action, "add") != 0 && strcmp(action, "old") != 0)
		return CTL_EXIT_OK;
	if (av.npos < 3)
		return usage_error("dhcp-event", "%s needs MAC and IP", action);
	/* Non-Ethernet hardware comes as "<type>-<addr>": not a Pi. */
	if (ident_normalize_mac(av.pos[1], mac) < 0)
		return CTL_EXIT_OK;
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	srv = mapper_server(m);
	if (mapper_find_mac(m, mac))
		return CTL_EXIT_OK;
	/* Laptops on the same LAN are no business of ours. */
	if (!is_pxe_client(vendor) && !is_pi_mac(srv, mac))
		return CTL_EXIT_OK;
	ret = discovered_record(srv->state, mac, "dhcp", av.pos[2], vendor,
				av.npos > 3 ? av.pos[3] : NULL, time(NULL));
	if (ret < 0) {
		ctl_err("%s: recording %s: %s", srv->state, mac, strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}
