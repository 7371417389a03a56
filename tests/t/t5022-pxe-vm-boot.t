#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 20, acceptance 1 and 2: real firmware. A diskless x86_64 UEFI VM
# (OVMF, q35; its NIC without option ROM, so OVMF's own PXE stack fetches
# ipxe.efi) and a BIOS VM (SeaBIOS, pc; its NIC's ROM is iPXE), under QEMU
# TCG, on a bridge in a test namespace: DHCP from the config `gen dnsmasq`
# writes, loader and per-node boot.ipxe over TFTP from netbootfs, Debian's
# amd64 kernel and a busybox initramfs over TFTP, the NFSv3 root from
# Ganesha over netbootfs. Each reaches its userspace, prints its node name
# on the serial console and writes a file that lands in its own overlay.
# Slow (a minute or two per boot under TCG).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/pxevm.sh"

pxevm_require

plan 15
# node  firmware  MAC  address
vms="uefi1 uefi 52:54:00:50:22:01 $NB_NET.61
bios1 bios 52:54:00:50:22:02 $NB_NET.62"

pxevm_one_image_config full "$vms"
pxevm_serve $(cut -d' ' -f1 <<<"$vms")

ns_create srv && ns_create lan && ns_link srv lan "$NB_SERVER_IP/24" 52:54:00:50:22:99 || {
	echo "Bail out! cannot create the namespaces"
	exit 1
}
t_ok "dnsmasq starts with the generated config" svc_dnsmasq srv "$T/dnsmasq.conf" || exit 1
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
	t_is "$?" 0 "$name ($fw): the VM powered itself off"
	diag "$name ($fw): $(($(date +%s) - start)) s from power-on to power-off"
	tr -d '\r' <"$log" >"$log.txt" # the serial console ends lines in CR LF
	t_ok "$name: its userspace says its node name" grep -qx "pxevm: up as $name" "$log.txt" ||
		_t_diag_stream <"$log.txt"
	t_is "$(cat "$NB/overlays/$name/etc/pxevm-note-$name" 2>&1)" \
		"written by $name at its boot" "$name: its file is in overlays/$name"
	t_is "$(nb_log_count "node $name: boot started \\(TFTP boot\\.ipxe;")" 1 \
		"$name: boot.ipxe started its boot"
	want="$NB/tftp/${mac//:/-}/boot.ipxe $NB/tftp/${mac//:/-}/vmlinuz $NB/tftp/${mac//:/-}/initrd.img"
	[ "$fw" = uefi ] && want="$NB/tftp/ipxe.efi $want"
	# dnsmasq logs "sent" at a transfer's last ACK, which may come after
	# the VM powered off. If that ACK never comes, dnsmasq resends the last
	# block until its backoff ends and then logs "sent" all the same, about
	# 30 s later (dnsmasq 2.90, measured with a client that never sends it).
	# iPXE starts the kernel right after initrd.img's last block: twice in
	# CI under load, the VM ran its userspace and only "sent initrd.img"
	# was missing right after power-off. Wait for dnsmasq's backoff.
	sent_all()
	{
		local f
		got=
		for f in $want; do
			grep -qF "sent $f to $ip" "$T/dnsmasq-srv.log" && got+=" $f"
		done
		[ "${got# }" = "$want" ]
	}
	waited=$(date +%s)
	wait_for sent_all 60 || true
	waited=$(($(date +%s) - waited))
	# Evidence for the next time: a wait near dnsmasq's backoff means a
	# last ACK never came.
	[ "$waited" -lt 2 ] || diag "$name: dnsmasq's last 'sent' line came $waited s after power-off"
	t_is "${got# }" "$want" "$name: dnsmasq sent it $(basename -a $want | tr '\n' ' ')" ||
		grep -F " $ip" "$T/dnsmasq-srv.log" | _t_diag_stream
done <<<"$vms"

t_fails "uefi1's file is not in bios1's overlay" test -e "$NB/overlays/bios1/etc/pxevm-note-uefi1"
t_fails "bios1's file is not in uefi1's overlay" test -e "$NB/overlays/uefi1/etc/pxevm-note-bios1"
t_ok "netbootfs still runs" kill -0 "$NB_PID"
