#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 20, acceptance 3: two diskless VMs (UEFI and BIOS, QEMU TCG) as two
# PXE nodes on one image, booting at the same time: each sees only its own
# writes. Then one node's image is switched in the ini: its running root
# keeps the old image until it boots again, and its next boot comes up on
# the new one with its own files kept; the other node stays on the old one.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/pxevm.sh"

pxevm_require

plan 17
N1_MAC=52:54:00:50:23:01
N2_MAC=52:54:00:50:23:02

nb_layout
pxevm_image "$T/pc-a" && echo a >"$T/pc-a/etc/pxevm-mark" && nb_image pc-a "$T/pc-a" &&
	cp -a "$T/pc-a" "$T/pc-b" && echo b >"$T/pc-b/etc/pxevm-mark" && nb_image pc-b "$T/pc-b" || {
	echo "Bail out! cannot build the PC images"
	exit 1
}
config()
{
	cat <<-INI
	dhcp = full
	dhcp_range = $NB_NET.100,$NB_NET.150,1h
	interface = br0
	clients = $NB_NET.0/24

	[defaults]
	image = pc-a
	boot = pxe
	cmdline = $PXEVM_CMDLINE

	[node:n1]
	mac = $N1_MAC
	ip = $NB_NET.71

	[node:n2]
	mac = $N2_MAC
	ip = $NB_NET.72
	image = $1
	INI
}
config pc-a | NB_LOADERS=/usr/lib/ipxe NB_ADDRESS=$NB_SERVER_IP nb_write_config
pxevm_serve n1 n2
ns_create srv && ns_create lan && ns_link srv lan "$NB_SERVER_IP/24" 52:54:00:50:23:99 &&
	pxevm_tap srv tap1 && pxevm_tap srv tap2 || {
	echo "Bail out! cannot create the network"
	exit 1
}
svc_dnsmasq srv "$T/dnsmasq.conf" && svc_ganesha srv "$T/ganesha.conf" || {
	echo "Bail out! dnsmasq or ganesha does not start"
	exit 1
}

# boot_both ROUND: n1 (UEFI) and n2 (BIOS) at once; serial logs
# $T/n1-ROUND.txt and $T/n2-ROUND.txt (CR stripped).
boot_both()
{
	local r=$1 p1 p2 start rc1 rc2
	start=$(date +%s)
	pxevm_start srv tap1 "$N1_MAC" uefi "$T/n1-$r.log" && p1=$PXEVM_PID
	pxevm_start srv tap2 "$N2_MAC" bios "$T/n2-$r.log" && p2=$PXEVM_PID
	pxevm_wait "$p1" 300
	rc1=$?
	pxevm_wait "$p2" 300
	rc2=$?
	diag "round $r: both VMs off after $(($(date +%s) - start)) s"
	tr -d '\r' <"$T/n1-$r.log" >"$T/n1-$r.txt"
	tr -d '\r' <"$T/n2-$r.log" >"$T/n2-$r.txt"
	t_is "$rc1 $rc2" "0 0" "round $r: both VMs powered themselves off"
}
# says NODE ROUND: its console's pxevm lines from its userspace.
says() { grep -E '^pxevm: (up as|notes|mark)' "$T/$1-$2.txt" | tr '\n' ';'; }

boot_both 1
t_is "$(says n1 1)" "pxevm: up as n1;pxevm: notes pxevm-note-n1;pxevm: mark a;" \
	"round 1: n1 is up on image a and sees only its own note"
t_is "$(says n2 1)" "pxevm: up as n2;pxevm: notes pxevm-note-n2;pxevm: mark a;" \
	"round 1: n2 is up on image a and sees only its own note"
t_is "$(ls "$NB/overlays/n1/etc" | tr '\n' ' ')" "pxevm-note-n1 " "n1's overlay holds its note only"
t_is "$(ls "$NB/overlays/n2/etc" | tr '\n' ' ')" "pxevm-note-n2 " "n2's overlay holds its note only"
t_fails "n2's root does not show n1's note" test -e "$NB/nfs/n2/etc/pxevm-note-n1"
t_fails "n1's root does not show n2's note" test -e "$NB/nfs/n1/etc/pxevm-note-n2"

# n2 goes to image pc-b in the ini: not before its next boot.
n=$(nb_log_count ': (reloaded|reload refused)')
config pc-b | NB_LOADERS=/usr/lib/ipxe NB_ADDRESS=$NB_SERVER_IP nb_write_config
t_ok "the daemon reloads the config" nb_wait_log ': (reloaded|reload refused)' "$n"
t_is "$(nb_log_count 'reload refused')" 0 "the reload is not refused"
t_is "$(cat "$NB/nfs/n2/etc/pxevm-mark")" a "n2's root still shows image a after the reload"
t_is "$(nb_node n2 image)" pc-a "netbootctl status: n2 still runs image pc-a"

boot_both 2
t_is "$(says n1 2)" "pxevm: up as n1;pxevm: notes pxevm-note-n1;pxevm: mark a;" \
	"round 2: n1 stays on image a"
t_is "$(says n2 2)" "pxevm: up as n2;pxevm: notes pxevm-note-n2;pxevm: mark b;" \
	"round 2: n2 boots image b and keeps its own file"
t_is "$(cat "$NB/nfs/n2/etc/pxevm-mark") $(nb_node n2 image)" "b pc-b" \
	"n2's root shows image b after its boot, status says pc-b"
t_is "$(nb_log_count 'node n2: boot started \(TFTP boot\.ipxe;')" 2 "n2 booted twice, by its script"
t_is "$(nb_log_count 'node n1: boot started \(TFTP boot\.ipxe;')" 2 "n1 booted twice, by its script"
