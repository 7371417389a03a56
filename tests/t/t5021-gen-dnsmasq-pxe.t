#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 20, step 2: gen dnsmasq for boot = pxe nodes. The loader by client
# architecture (option 93), the node's script to iPXE (user class iPXE), in
# full (dhcp-boot) and proxy (pxe-service) mode, exact lines; a PXE node is
# never tagged rpi and a Pi never pxe (a Pi sends option 93 = 0 too); a
# config without PXE nodes is unchanged; dnsmasq --test accepts all three.
. "$(dirname "$0")/../lib/test-lib.sh"

[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"
require_cmd dnsmasq

plan 14
mkdir -p "$T/tftp" "$T/state"
ini()
{
	printf '[server]\ntftp_root = %s\nnfs_root = %s/nfs\nimages = %s/images\n' "$T/tftp" "$T" "$T"
	printf 'state = %s/state\naddress = 10.251.0.1\n%s\n' "$T" "$1"
	printf '[defaults]\nimage = os\n[node:rpi-01]\nmac = dc:a6:32:12:34:56\n'
	printf '[node:oddpi]\nmac = 02:00:00:00:00:07\n'
	[ -z "$2" ] || printf '[node:pc-01]\nmac = 52:54:00:12:34:56\nboot = pxe\n[node:pc-02]\nboot = pxe\nmac = 52-54-00-AB-CD-02\n[node:pc-nomac]\nboot = pxe\nserial = 12345678\n'
}
gen() { "$NETBOOTCTL" -c "$T/$1.ini" gen dnsmasq --hook /bin/true >"$T/$1.conf"; }
# The PXE block: from its comment to the next blank line.
block() { sed -n '/^# PXE nodes/,/^$/p' "$T/$1.conf" | sed '/^$/d'; }

ini "clients = 10.251.0.0/24" pxe >"$T/proxy.ini"
t_ok "gen dnsmasq (proxy, PXE nodes): exit 0" gen proxy
t_is "$(block proxy)" '# PXE nodes (boot = pxe): firmware PXE -> iPXE loader by client
# architecture (option 93) -> iPXE -> the node'"'"'s <mac>/boot.ipxe.
dhcp-userclass=set:ipxe,iPXE
dhcp-mac=set:pxe,52:54:00:12:34:56
dhcp-mac=set:nb-pc-01,52:54:00:12:34:56
dhcp-mac=set:pxe,52:54:00:ab:cd:02
dhcp-mac=set:nb-pc-02,52:54:00:ab:cd:02
pxe-service=tag:pxe,tag:!ipxe,x86PC,"netbootfs",undionly.kpxe
pxe-service=tag:pxe,tag:!ipxe,BC_EFI,"netbootfs",ipxe.efi
pxe-service=tag:pxe,tag:!ipxe,x86-64_EFI,"netbootfs",ipxe.efi
pxe-service=tag:pxe,tag:!ipxe,ARM64_EFI,"netbootfs",ipxe-arm64.efi
pxe-service=tag:ipxe,tag:nb-pc-01,x86PC,"netbootfs",52-54-00-12-34-56/boot.ipxe
pxe-service=tag:ipxe,tag:nb-pc-01,BC_EFI,"netbootfs",52-54-00-12-34-56/boot.ipxe
pxe-service=tag:ipxe,tag:nb-pc-01,x86-64_EFI,"netbootfs",52-54-00-12-34-56/boot.ipxe
pxe-service=tag:ipxe,tag:nb-pc-01,ARM64_EFI,"netbootfs",52-54-00-12-34-56/boot.ipxe
pxe-service=tag:ipxe,tag:nb-pc-02,x86PC,"netbootfs",52-54-00-ab-cd-02/boot.ipxe
pxe-service=tag:ipxe,tag:nb-pc-02,BC_EFI,"netbootfs",52-54-00-ab-cd-02/boot.ipxe
pxe-service=tag:ipxe,tag:nb-pc-02,x86-64_EFI,"netbootfs",52-54-00-ab-cd-02/boot.ipxe
pxe-service=tag:ipxe,tag:nb-pc-02,ARM64_EFI,"netbootfs",52-54-00-ab-cd-02/boot.ipxe' \
	"proxy mode: loaders by architecture, each node's script to iPXE"
t_is "$(grep -c '52:54:00\|52-54-00' "$T/proxy.conf")" 12 "proxy mode: PXE MACs only in the PXE block"
t_is "$(grep '^dhcp-mac=set:rpi,0\|^pxe-service=tag:rpi,' "$T/proxy.conf")" \
	'dhcp-mac=set:rpi,02:00:00:00:00:07
pxe-service=tag:rpi,0,"Raspberry Pi Boot"' "proxy mode: the Pis keep their tags and menu"
t_ok "dnsmasq --test accepts the proxy config" dnsmasq --test --conf-file="$T/proxy.conf"

ini "dhcp = full
dhcp_range = 10.251.0.100,10.251.0.200,1h" pxe >"$T/full.ini"
t_ok "gen dnsmasq (full, PXE nodes): exit 0" gen full
t_is "$(block full)" '# PXE nodes (boot = pxe): firmware PXE -> iPXE loader by client
# architecture (option 93) -> iPXE -> the node'"'"'s <mac>/boot.ipxe.
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:bios,option:client-arch,0
dhcp-match=set:efi64,option:client-arch,7
dhcp-match=set:efi64,option:client-arch,9
dhcp-match=set:efiarm64,option:client-arch,11
dhcp-mac=set:pxe,52:54:00:12:34:56
dhcp-mac=set:nb-pc-01,52:54:00:12:34:56
dhcp-mac=set:pxe,52:54:00:ab:cd:02
dhcp-mac=set:nb-pc-02,52:54:00:ab:cd:02
dhcp-boot=tag:pxe,tag:!ipxe,tag:bios,undionly.kpxe
dhcp-boot=tag:pxe,tag:!ipxe,tag:efi64,ipxe.efi
dhcp-boot=tag:pxe,tag:!ipxe,tag:efiarm64,ipxe-arm64.efi
dhcp-boot=tag:ipxe,tag:nb-pc-01,52-54-00-12-34-56/boot.ipxe
dhcp-boot=tag:ipxe,tag:nb-pc-02,52-54-00-ab-cd-02/boot.ipxe' \
	"full mode: dhcp-boot by architecture, each node's script to iPXE"
t_ok "dnsmasq --test accepts the full config" dnsmasq --test --conf-file="$T/full.conf"

# Without PXE nodes nothing of this is written.
ini "clients = 10.251.0.0/24" "" >"$T/pi.ini"
t_ok "gen dnsmasq (no PXE nodes): exit 0" gen pi
t_is "$(grep -c 'ipxe\|pxe,\|nb-' "$T/pi.conf")" 0 "no PXE nodes: no PXE lines"
t_ok "dnsmasq --test accepts it" dnsmasq --test --conf-file="$T/pi.conf"

# apply's hosts file: the tags of a PXE node are pxe and nb-NODE, not rpi.
"$NETBOOTCTL" -c "$T/full.ini" apply --dry-run --hook /bin/true \
	--dnsmasq-conf "$T/a.conf" --dnsmasq-hosts "$T/a.hosts" --dnsmasq-pid "$T/none.pid" \
	--ganesha-conf "$T/g.conf" --ganesha-pid "$T/none2.pid" >"$T/apply.out" 2>&1
t_ok "apply: a PXE node's hosts line" grep -qxF "+52:54:00:12:34:56,set:pxe,set:nb-pc-01" "$T/apply.out"
t_ok "apply: a Pi node's hosts line" grep -qxF "+02:00:00:00:00:07,set:rpi" "$T/apply.out"
t_is "$(grep -c '^+dhcp-mac=set:pxe' "$T/apply.out")" 0 \
	"apply: the PXE tags are in the hosts file only"
