/* SPDX-License-Identifier: MIT */
/* netbootctl gen dnsmasq: proxy (or full) DHCP with the Pi boot menu and the
 * iPXE chain of PXE nodes, and TFTP. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/output.h"
#include "mapper/escape.h"

/* The Pi 3B (and 2B v1.2) boot ROM has this prefix and wants the menu text
 * with three trailing spaces; later models ignore trailing characters. */
#define PI3_MAC_PREFIX "b8:27:eb"
#define PI_MENU_TEXT   "Raspberry Pi Boot"
#define PI3_MENU_TEXT  "Raspberry Pi Boot   "
#define PXE_MENU_TEXT  "netbootfs"

/* "DC-A6-32" -> "dc:a6:32" in @out (at least strlen(in)+1 bytes). */
static void mac_colons(const char *in, char *out)
{
	for (; *in; in++, out++)
		*out = *in == '-' ? ':' : (char)tolower((unsigned char)*in);
	*out = '\0';
}

static bool has_prefix(const char *mac, const char *prefix)
{
	return strncmp(mac, prefix, strlen(prefix)) == 0;
}

/* A dnsmasq MAC pattern for a prefix: "b8:27:eb" -> "b8:27:eb:*:*:*". */
static void print_mac_pattern(FILE *out, const char *tag, const char *prefix)
{
	char p[32];
	int octets = 1;
	size_t i;

	snprintf(p, sizeof(p), "%s", prefix);
	mac_colons(p, p);
	for (i = 0; p[i]; i++)
		octets += p[i] == ':';
	fprintf(out, "dhcp-mac=set:%s,%s", tag, p);
	for (; octets < 6; octets++)
		fputs(":*", out);
	fputc('\n', out);
}

/* Proxy mode needs one address of the subnet: the network of [server]
 * clients ("192.168.1.0/24"), else [server] address. */
static int proxy_range(const struct server_config *srv, char *buf, size_t len)
{
	char net[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], ip[INET_ADDRSTRLEN];
	const char *slash = strchr(srv->clients, '/');
	struct in_addr a, m;
	char *end;
	long bits;

	if (slash && (size_t)(slash - srv->clients) < sizeof(ip)) {
		memcpy(ip, srv->clients, (size_t)(slash - srv->clients));
		ip[slash - srv->clients] = '\0';
		bits = strtol(slash + 1, &end, 10);
		if (inet_pton(AF_INET, ip, &a) == 1 && *end == '\0' && bits > 0 && bits <= 32) {
			m.s_addr = htonl(bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits));
			a.s_addr &= m.s_addr;
			inet_ntop(AF_INET, &a, net, sizeof(net));
			inet_ntop(AF_INET, &m, mask, sizeof(mask));
			snprintf(buf, len, "%s,proxy,%s", net, mask);
			return 0;
		}
	}
	if (srv->address[0] && inet_pton(AF_INET, srv->address, &a) == 1) {
		snprintf(buf, len, "%s,proxy", srv->address);
		return 0;
	}
	return -EINVAL;
}

static int print_dhcp(const struct mapper *m, FILE *out)
{
	const struct server_config *srv = mapper_server(m);
	char range[128];

	if (srv->dhcp == DHCP_FULL) {
		if (!srv->dhcp_range[0]) {
			ctl_err("%s: [server] dhcp = full needs dhcp_range", mapper_path(m));
			return -EINVAL;
		}
		fprintf(out,
			"# Full DHCP: this dnsmasq hands out the addresses.\n"
			"dhcp-range=%s\n",
			srv->dhcp_range);
		return 0;
	}
	if (proxy_range(srv, range, sizeof(range)) < 0) {
		ctl_err("%s: proxy DHCP needs [server] clients (a CIDR such as "
			"192.168.1.0/24) or address",
			mapper_path(m));
		return -EINVAL;
	}
	fprintf(out,
		"# Proxy DHCP next to the existing DHCP server: no addresses, only the\n"
		"# boot menu.\n"
		"dhcp-range=%s\n"
		"# The Pi 3B ROM takes the first offer it sees: let the router's come first.\n"
		"dhcp-reply-delay=tag:rpi3,1\n",
		range);
	return 0;
}

/* Several servers: the other servers' nodes carry this tag (print_others).
 * Proxy DHCP answers PXE clients even when their dhcp-host says ignore;
 * dhcp-ignore of the tag keeps it quiet, and the boot menu is not theirs. */
#define ELSEWHERE_TAG "nb-elsewhere"

/* Written whenever there are several servers, even with no node elsewhere
 * now (a take-over adopted them all): the main file, which dnsmasq reads only
 * when it starts, stays the same as nodes come and go (netbootctl apply then
 * only rewrites the dhcp-hostsfile and sends SIGHUP). */
static bool several_servers(const struct mapper *m)
{
	return mapper_server_count(m) > 0;
}

static const char *elsewhere_tag(const struct mapper *m)
{
	return several_servers(m) ? "tag:!" ELSEWHERE_TAG "," : "";
}

/* Nodes' MACs outside the Pi prefixes get the rpi tag: as dhcp-mac lines,
 * or (@hosts) as set:rpi in their dhcp-hostsfile line (print_hosts). */
static void print_pi_tags(const struct mapper *m, FILE *out, bool hosts)
{
	const struct server_config *srv = mapper_server(m);
	char mac[MAC_LEN + 1];
	size_t i, j;

	fputs("\n# Raspberry Pis by MAC prefix ([server] pi_mac_prefixes adds more).\n", out);
	for (i = 0; i < srv->n_pi_mac_prefixes; i++) {
		char p[32];

		snprintf(p, sizeof(p), "%s", srv->pi_mac_prefixes[i]);
		mac_colons(p, p);
		if (strcmp(p, PI3_MAC_PREFIX) != 0)
			print_mac_pattern(out, "rpi", srv->pi_mac_prefixes[i]);
	}
	print_mac_pattern(out, "rpi3", PI3_MAC_PREFIX);

	if (!hosts)
		fputs("# Configured nodes, whatever their MAC.\n", out);
	for (i = 0; !hosts && i < mapper_node_count(m); i++) {
		const struct node *n = mapper_node_at(m, i);
		bool known = false;

		if (!n->mac[0] || n->boot == BOOT_PXE)
			continue;
		mac_colons(n->mac, mac);
		for (j = 0; j < srv->n_pi_mac_prefixes && !known; j++) {
			char p[32];

			snprintf(p, sizeof(p), "%s", srv->pi_mac_prefixes[j]);
			mac_colons(p, p);
			known = has_prefix(mac, p);
		}
		known = known || has_prefix(mac, PI3_MAC_PREFIX);
		if (!known)
			fprintf(out, "dhcp-mac=set:rpi,%s\n", mac);
	}
	if (several_servers(m))
		fputs("# Other servers' nodes (" ELSEWHERE_TAG
		      "): no answer, proxy DHCP included.\n"
		      "dhcp-ignore=tag:" ELSEWHERE_TAG "\n",
		      out);
	fputs("# The Pi 3B boot ROM matches the menu text only with three trailing spaces.\n", out);
	fprintf(out,
		"pxe-service=tag:rpi,%s0,\"" PI_MENU_TEXT "\"\n"
		"pxe-service=tag:rpi3,%s0,\"" PI3_MENU_TEXT "\"\n",
		elsewhere_tag(m), elsewhere_tag(m));
}

/*
 * Fixed addresses of the nodes that have an ip, as dhcp-host= lines; or,
 * for a dhcp-hostsfile (@hosts, which dnsmasq re-reads on SIGHUP), one line
 * per node with a MAC that also tags it rpi.
 */
static void print_hosts(const struct mapper *m, FILE *out, bool hosts)
{
	const char *prefix = hosts ? "" : "dhcp-host=";
	char mac[MAC_LEN + 1];
	size_t i;

	if (hosts)
		fputs("# netbootfs nodes: dhcp-hostsfile lines (netbootctl apply); dnsmasq\n"
		      "# re-reads this file on SIGHUP.\n",
		      out);
	else
		fputs("\n# Fixed addresses of the nodes that have an ip.\n", out);
	for (i = 0; i < mapper_node_count(m); i++) {
		const struct node *n = mapper_node_at(m, i);

		if (!n->ip[0] && !(hosts && n->mac[0]))
			continue;
		if (!n->mac[0]) {
			fprintf(out, "# %s: ip %s but no mac, no dhcp-host\n", n->name, n->ip);
			continue;
		}
		mac_colons(n->mac, mac);
		fprintf(out, "%s%s", prefix, mac);
		if (hosts && n->boot == BOOT_PXE)
			fprintf(out, ",set:pxe,set:nb-%s", n->name);
		else if (hosts)
			fputs(",set:rpi", out);
		if (n->ip[0])
			fprintf(out, ",%s,%s", n->ip, n->name);
		fputc('\n', out);
	}
}

/*
 * Several servers: the nodes the others serve get no DHCP answer here
 * (ignore, and dhcp-ignore of their tag for proxy DHCP), so their PXE/TFTP
 * goes to their own server. By MAC only: a node without one cannot be told
 * from an unknown client.
 */
static void print_others(const struct mapper *m, FILE *out, bool hosts)
{
	const char *prefix = hosts ? "" : "dhcp-host=";
	char mac[MAC_LEN + 1];
	size_t i;

	if (!mapper_other_count(m))
		return;
	if (!hosts)
		fprintf(out, "\n# Nodes of other servers: not answered by this one (%s).\n",
			mapper_self(m));

	for (i = 0; i < mapper_other_count(m); i++) {
		const struct node *n = mapper_other_at(m, i);

		if (!n->mac[0]) {
			fprintf(out, "# %s (server %s): no mac, cannot be ignored here\n", n->name,
				n->server);
			continue;
		}
		mac_colons(n->mac, mac);
		fprintf(out, "%s%s,set:" ELSEWHERE_TAG ",ignore\n", prefix, mac);
	}
}

/* "key=VALUE\n" with VALUE quoted by dnsmasq's rules. The mapper refused
 * every config value dnsmasq cannot hold; the hook was checked up front. */
static void print_option(FILE *out, const char *key, const char *value)
{
	fprintf(out, "%s=", key);
	esc_print(out, ESC_DNSMASQ, value);
	fputc('\n', out);
}

/*
 * The client architectures of DHCP option 93 (RFC 4578) a PXE node may send,
 * the tag each sets, the CSA name pxe-service knows it by, and its iPXE
 * loader (served at <tftp_root> from [server] loaders, fusefs/tftp/pxe.h). 7 and
 * 9 are both x86_64 UEFI (firmwares disagree on which).
 */
static const struct {
	unsigned arch;
	const char *tag, *csa, *loader;
} pxe_archs[] = {
	{0, "bios", "x86PC", "undionly.kpxe"},
	{7, "efi64", "BC_EFI", "ipxe.efi"},
	{9, "efi64", "x86-64_EFI", "ipxe.efi"},
	{11, "efiarm64", "ARM64_EFI", "ipxe-arm64.efi"},
};
#define N_PXE_ARCHS (sizeof(pxe_archs) / sizeof(pxe_archs[0]))

/*
 * @n's line for the iPXE stage: KEY=tag:ipxe,tag:nb-NAME,[CSA,"menu",]MAC/boot.ipxe.
 * Node names (a-z 0-9 -) and MACs (aa-bb-...) are identifiers the mapper
 * checked (mapper/ident.h): nothing in them needs dnsmasq quoting.
 */
static void print_pxe_script(FILE *out, const char *key, const struct node *n, const char *csa)
{
	fprintf(out, "%s=tag:ipxe,tag:nb-%s,", key, n->name);
	if (csa)
		fprintf(out, "%s,\"" PXE_MENU_TEXT "\",", csa);
	fprintf(out, "%s/boot.ipxe\n", n->mac);
}

/*
 * PC and server nodes (boot = pxe): the firmware's PXE stack gets the iPXE
 * loader of its architecture, iPXE (user class "iPXE") its node's script.
 * Tagged by MAC, as configured nodes only: a Pi sends option 93 = 0 too,
 * and never gets the pxe tag.
 */
static void print_pxe(const struct mapper *m, FILE *out, bool hosts)
{
	bool full = mapper_server(m)->dhcp == DHCP_FULL;
	char mac[MAC_LEN + 1];
	size_t i, a, n_pxe = 0;

	for (i = 0; i < mapper_node_count(m); i++)
		n_pxe += mapper_node_at(m, i)->boot == BOOT_PXE && mapper_node_at(m, i)->mac[0];
	if (!n_pxe)
		return;
	fputs("\n# PXE nodes (boot = pxe): firmware PXE -> iPXE loader by client\n"
	      "# architecture (option 93) -> iPXE -> the node's <mac>/boot.ipxe.\n"
	      "dhcp-userclass=set:ipxe,iPXE\n",
	      out);
	for (a = 0; full && a < N_PXE_ARCHS; a++)
		fprintf(out, "dhcp-match=set:%s,option:client-arch,%u\n", pxe_archs[a].tag,
			pxe_archs[a].arch);
	for (i = 0; !hosts && i < mapper_node_count(m); i++) {
		const struct node *n = mapper_node_at(m, i);

		if (n->boot != BOOT_PXE || !n->mac[0])
			continue;
		mac_colons(n->mac, mac);
		fprintf(out, "dhcp-mac=set:pxe,%s\ndhcp-mac=set:nb-%s,%s\n", mac, n->name, mac);
	}
	for (a = 0; a < N_PXE_ARCHS; a++) {
		if (full && (a == 0 || strcmp(pxe_archs[a].tag, pxe_archs[a - 1].tag) != 0))
			fprintf(out, "dhcp-boot=tag:pxe,tag:!ipxe,tag:%s,%s\n", pxe_archs[a].tag,
				pxe_archs[a].loader);
		else if (!full)
			fprintf(out, "pxe-service=tag:pxe,tag:!ipxe,%s,\"" PXE_MENU_TEXT "\",%s\n",
				pxe_archs[a].csa, pxe_archs[a].loader);
	}
	for (i = 0; i < mapper_node_count(m); i++) {
		const struct node *n = mapper_node_at(m, i);

		if (n->boot != BOOT_PXE || !n->mac[0])
			continue;
		if (full)
			print_pxe_script(out, "dhcp-boot", n, NULL);
		for (a = 0; !full && a < N_PXE_ARCHS; a++)
			print_pxe_script(out, "pxe-service", n, pxe_archs[a].csa);
	}
}

int gen_dnsmasq(struct ctl *c, const struct gen_opts *o, FILE *out)
{
	const char *hook = o->hook ? o->hook : NETBOOTFS_DATADIR "/dnsmasq-hook.sh";
	const struct mapper *m = ctl_load_config_server(c);
	const struct server_config *srv;
	const char *why = esc_why(ESC_DNSMASQ, hook);
	int ret;

	if (!m)
		return -EINVAL;
	if (why) {
		ctl_err("gen dnsmasq: --hook: %s cannot be written in %s", why,
			esc_format_name(ESC_DNSMASQ));
		return -EINVAL;
	}
	why = o->hosts_out ? esc_why(ESC_DNSMASQ, o->hostsfile) : NULL;
	if (why) {
		ctl_err("dnsmasq hosts file: %s cannot be written in %s", why,
			esc_format_name(ESC_DNSMASQ));
		return -EINVAL;
	}
	srv = mapper_server(m);
	fputs("# dnsmasq configuration for netbootfs, from ", out);
	esc_print(out, ESC_COMMENT, mapper_path(m));
	fputs("\n"
	      "# (netbootctl gen dnsmasq). Install as /etc/dnsmasq.d/netbootfs.conf.\n"
	      "\n"
	      "# DHCP and TFTP only, no DNS: remove port=0 if this dnsmasq serves DNS too.\n"
	      "port=0\n",
	      out);
	if (srv->interface[0]) {
		print_option(out, "interface", srv->interface);
		fputs("bind-dynamic\n", out);
	}
	fputs("log-dhcp\n"
	      "\n"
	      "# TFTP from the netbootfs view; start even while it is not mounted yet.\n"
	      "# Never tftp-no-blocksize: a Pi 4 ignores config.txt without a blksize\n"
	      "# answer. No tftp-unique-root: the Pis add their serial or MAC themselves.\n"
	      "enable-tftp\n",
	      out);
	print_option(out, "tftp-root", srv->tftp_root);
	fputs("tftp-no-fail\n"
	      "\n",
	      out);
	ret = print_dhcp(m, out);
	if (ret < 0)
		return ret;
	print_pi_tags(m, out, o->hosts_out);
	print_pxe(m, out, o->hosts_out);
	if (o->hosts_out) {
		fputs("\n# The nodes (MAC tags, fixed addresses): re-read on SIGHUP.\n", out);
		print_option(out, "dhcp-hostsfile", o->hostsfile);
		print_hosts(m, o->hosts_out, true);
		print_others(m, o->hosts_out, true);
	} else {
		print_hosts(m, out, false);
		print_others(m, out, false);
	}
	fputs("\n# Record unmapped PXE clients (MAC, IP, vendor class, hostname) for\n"
	      "# netbootctl discovered. dnsmasq runs it on leases, so full DHCP only.\n",
	      out);
	print_option(out, "dhcp-script", hook);
	return 0;
}
