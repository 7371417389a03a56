#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 20: proxy DHCP with real firmware. The site's DHCP server (a plain
# dnsmasq in namespace router) hands out the addresses; the dnsmasq of
# `gen dnsmasq` in proxy mode only adds the boot information (pxe-service).
# A diskless UEFI VM (OVMF, its own PXE stack) and a BIOS VM (SeaBIOS, the
# NIC's iPXE ROM) boot their PXE nodes to userspace through it.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/pxevm.sh"

pxevm_require

plan 10
# node  firmware  MAC  address (from the router)
vms="puefi uefi 52:54:00:50:24:01 $NB_NET.81
pbios bios 52:54:00:50:24:02 $NB_NET.82"

pxevm_one_image_config proxy "$vms"
pxevm_serve $(cut -d' ' -f1 <<<"$vms")
# The site's router: addresses only, no boot information.
{
	printf 'port=0\ninterface=eth0\nbind-interfaces\ndhcp-range=%s.100,%s.150,1h\n' \
		"$NB_NET" "$NB_NET"
	while read -r _ _ mac ip; do
		printf 'dhcp-host=%s,%s\n' "$mac" "$ip"
	done <<<"$vms"
} >"$T/router.conf"

ns_create srv && ns_create router &&
	ns_link srv router "$NB_SERVER_IP/24" 52:54:00:50:24:fe "$NB_NET.254/24" || {
	echo "Bail out! cannot create the namespaces"
	exit 1
}
t_ok "the router's DHCP server starts" svc_dnsmasq router "$T/router.conf" || exit 1
t_ok "dnsmasq starts with the generated proxy config" svc_dnsmasq srv "$T/dnsmasq.conf" || exit 1
t_ok "ganesha starts with the generated config" svc_ganesha srv "$T/ganesha.conf" || exit 1

n=0
while read -r name fw mac ip; do
	n=$((n + 1))
	log=$T/serial-$name.log
	pxevm_tap srv "tap$n" || {
		echo "Bail out! cannot make tap$n"
		exit 1
	}
	start=$(date +%s)
	pxevm_run srv "tap$n" "$mac" "$fw" "$log" 300
	rc=$?
	diag "$name ($fw, proxy DHCP): $(($(date +%s) - start)) s from power-on to power-off"
	tr -d '\r' <"$log" >"$log.txt"
	t_is "$rc $(grep -E '^pxevm: (up as|notes)' "$log.txt" | tr '\n' ';')" \
		"0 pxevm: up as $name;pxevm: notes pxevm-note-$name;" \
		"$name ($fw): up as its node through proxy DHCP, powered off" || _t_diag_stream <"$log.txt"
	t_is "$(cat "$NB/overlays/$name/etc/pxevm-note-$name" 2>&1)" \
		"written by $name at its boot" "$name: its file is in overlays/$name"
	t_ok "$name: its address came from the router" grep -q "DHCPACK(eth0) $ip $mac" \
		"$T/dnsmasq-router.log"
done <<<"$vms"
t_ok "the UEFI VM's PXE got ipxe.efi from the proxy's TFTP" grep -qF \
	"sent $NB/tftp/ipxe.efi to $NB_NET.81" "$T/dnsmasq-srv.log"
