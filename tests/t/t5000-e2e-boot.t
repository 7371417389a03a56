#!/bin/bash
# SPDX-License-Identifier: MIT
# End to end: netbootfs serves two images to three nodes; dnsmasq and
# NFS-Ganesha run in a server namespace with the configs `netbootctl gen`
# writes. Each simulated Pi (a client namespace with its node's MAC) gets a
# DHCP offer with the Pi boot menu, fetches its boot files by serial over
# TFTP (bytes equal to its image, cmdline.txt naming its own NFS root),
# reads its hostname over NFSv3 and writes a file that lands in its overlay
# only. An unmapped Pi shows up in `netbootctl discovered`.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_fuse
require_cmd ip dnsmasq busybox ss perl python3 mksquashfs sha256sum \
	ganesha.nfsd rpcbind rpcinfo unshare nfs-ls nfs-cat nfs-cp
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

# node  serial  MAC  address  image
nodes="pi-a 5a000001 dc:a6:32:50:00:01 $NB_NET.51 os-a
pi-b 5a000002 dc:a6:32:50:00:02 $NB_NET.52 os-a
pi-c 5a000003 e4:5f:01:50:00:03 $NB_NET.53 os-b"
stranger_serial=deadbeef
stranger_mac=dc:a6:32:50:00:99
# The files a Pi 4 fetches first: firmware, config, cmdline, kernel, DTB,
# one overlay.
boot_files="start4.elf config.txt cmdline.txt kernel8.img bcm2711-rpi-4-b.dtb overlays/vc4-kms-v3d.dtbo"

# ---- the server: images, config, netbootfs ---------------------------------
nb_layout
fixture_boot_tree "$T/os-a" e2e-a
fixture_boot_tree "$T/os-b" e2e-b
nb_image os-a "$T/os-a"
nb_image os-b "$T/os-b"
{
	cat <<-INI
	dhcp = full
	dhcp_range = $NB_NET.100,$NB_NET.150,12h
	interface = br0
	clients = $NB_NET.0/24
	default_image = os-a

	[defaults]
	image = os-a
	cmdline = quiet
	INI
	while read -r name serial mac ip image; do
		printf '[node:%s]\nserial = %s\nmac = %s\nip = %s\nimage = %s\n' \
			"$name" "$serial" "$mac" "$ip" "$image"
	done <<<"$nodes"
} | NB_ADDRESS=$NB_SERVER_IP nb_write_config
while read -r name _; do
	at_exit "lazy_umount '$NB/nfs/$name'"
done <<<"$nodes"
nb_start || exit 1
while read -r name _; do
	wait_mounted "$NB/nfs/$name" 10 || {
		echo "Bail out! $NB/nfs/$name is not mounted"
		exit 1
	}
done <<<"$nodes"

"$NETBOOTCTL" -c "$NB_CONF" gen dnsmasq --hook "$SRCDIR/conf/dnsmasq-hook.sh" >"$T/dnsmasq.conf"
t_is "$?" 0 "netbootctl gen dnsmasq: exit 0"
"$NETBOOTCTL" -c "$NB_CONF" gen ganesha >"$T/ganesha.conf"
t_is "$?" 0 "netbootctl gen ganesha: exit 0"
ganesha_test_state "$T/ganesha.conf"

# ---- the network -----------------------------------------------------------
ns_create srv || exit 1
while read -r name _ mac _; do
	ns_create "$name" && ns_link srv "$name" "$NB_SERVER_IP/24" "$mac" || {
		echo "Bail out! cannot create namespace $name"
		exit 1
	}
done <<<"$nodes"
ns_create stranger && ns_link srv stranger "$NB_SERVER_IP/24" "$stranger_mac" || {
	echo "Bail out! cannot create namespace stranger"
	exit 1
}

# dnsmasq hands its environment to the dhcp-script hook.
export NETBOOTFS_CONFIG=$NB_CONF PATH=$NB_BUILD:$PATH
t_ok "dnsmasq starts with the generated config" svc_dnsmasq srv "$T/dnsmasq.conf" || exit 1
t_ok "ganesha starts with the generated config" svc_ganesha srv "$T/ganesha.conf" || exit 1

# ---- three Pis boot ----------------------------------------------------------
boot_pi()
{
	local name=$1 serial=$2 mac=$3 ip=$4 image=$5 f src got
	t_ok "$name: DHCP with the Pi vendor class gets a lease" svc_dhcp_client "$name" "$mac" || return 1
	t_is "$(dhcp_var "$name" ip)" "$ip" "$name: leased its fixed address"
	t_like "$(dhcp_opt_text "$name" 43)" "Raspberry Pi Boot" "$name: option 43 offers 'Raspberry Pi Boot'"
	t_is "$(dhcp_var "$name" siaddr)" "$NB_SERVER_IP" "$name: next server is the server"

	mkdir -p "$T/got-$name"
	for f in $boot_files; do
		got=$T/got-$name/${f//\//_}
		if ! svc_tftp_get "$name" "$NB_SERVER_IP" "$serial/$f" "$got" 2>"$T/tftp.err"; then
			ok 1 "$name: TFTP $serial/$f"
			_t_diag_stream "$T/tftp.err"
			continue
		fi
		[ "$f" = cmdline.txt ] && continue
		src=$T/$image/boot/firmware/$f
		t_file_sha_eq "$got" "$src" "$name: TFTP $serial/$f = $image ($(stat -c %s "$src") B)"
	done
	t_is "$(cat "$T/got-$name/cmdline.txt")" \
		"console=serial0,115200 console=tty1 quiet root=/dev/nfs nfsroot=$NB_SERVER_IP:$NB/nfs/$name,vers=3,tcp rw ip=dhcp rootwait quiet" \
		"$name: cmdline.txt names its own NFS root"

	# What the kernel does next: the root over NFSv3.
	t_is "$(ns_exec "$name" nfs-cat "$(nfs_url "$NB_SERVER_IP" "$NB/nfs/$name/etc/hostname" 3)" 2>&1)" \
		"$name" "$name: NFSv3 etc/hostname is its own name"
	printf 'written by %s over NFSv3\n' "$name" >"$T/up-$name"
	t_ok "$name: nfs-cp writes etc/e2e-note-$name" \
		ns_exec "$name" nfs-cp "$T/up-$name" "$(nfs_url "$NB_SERVER_IP" "$NB/nfs/$name/etc/e2e-note-$name" 3)"
	t_file_sha_eq "$NB/overlays/$name/etc/e2e-note-$name" "$T/up-$name" \
		"$name: the file is in overlays/$name, byte-exact"
	t_file_sha_eq "$NB/nfs/$name/etc/e2e-note-$name" "$T/up-$name" "$name: and in its root view"
}

while read -r name serial mac ip image; do
	boot_pi "$name" "$serial" "$mac" "$ip" "$image"
done <<<"$nodes"

# ---- isolation ---------------------------------------------------------------
while read -r name _; do
	seen=
	while read -r other _; do
		[ "$other" = "$name" ] && continue
		[ -e "$NB/nfs/$other/etc/e2e-note-$name" ] && seen+=" nfs/$other"
		[ -e "$NB/overlays/$other/etc/e2e-note-$name" ] && seen+=" overlays/$other"
		ns_exec "$other" nfs-ls "$(nfs_url "$NB_SERVER_IP" "$NB/nfs/$other/etc" 3)" 2>&1 |
			grep -q "e2e-note-$name" && seen+=" nfs-ls-by-$other"
	done <<<"$nodes"
	t_is "${seen# }" "" "$name's file is in no other node's view"
done <<<"$nodes"
out=$(ns_exec pi-b nfs-cat "$(nfs_url "$NB_SERVER_IP" "$NB/nfs/pi-a/etc/hostname" 3)" 2>&1)
t_is "$(grep -cx pi-a <<<"$out")" 0 "pi-b cannot read pi-a's root (export limited to pi-a's address)"

# ---- an unmapped Pi ------------------------------------------------------------
t_ok "stranger: DHCP gets a lease from the range" svc_dhcp_client stranger "$stranger_mac"
t_like "$(dhcp_var stranger ip)" "^$NB_NET\.1[0-4][0-9]\$" "stranger: address from the dynamic range"
t_fails "stranger: TFTP $stranger_serial/start4.elf is not found" \
	svc_tftp_get stranger "$NB_SERVER_IP" "$stranger_serial/start4.elf" "$T/stranger-start4.elf"
discovered()
{
	"$NETBOOTCTL" -c "$NB_CONF" discovered --json | python3 -c '
import json, sys
print(" ".join(sorted("%s:%s" % (d["id"], d["via"]) for d in json.load(sys.stdin))))'
}
want=$(printf "%s\n" "$stranger_serial:tftp" "${stranger_mac//:/-}:dhcp" | LC_ALL=C sort | tr "\n" " ")
want=${want% }
# The dhcp-script hook runs after the lease, asynchronously.
wait_for '[ "$(discovered)" = "$want" ]' 10
t_is "$(discovered)" "$want" "netbootctl discovered lists the stranger's serial (TFTP) and MAC (DHCP), no node"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" discovered)" "$stranger_serial +tftp" "discovered (table) shows the serial"

# ---- the services are still healthy -----------------------------------------
t_ok "dnsmasq still runs" kill -0 "$(cat "$T/dnsmasq-srv.pid")"
t_ok "netbootfs still runs" kill -0 "$NB_PID"
sent=
while read -r name serial _ ip _; do
	grep -qF "sent $NB/tftp/$serial/kernel8.img to $ip" "$T/dnsmasq-srv.log" && sent+=" $name"
done <<<"$nodes"
t_is "${sent# }" "pi-a pi-b pi-c" "dnsmasq log: each node's kernel sent to that node's address"

done_testing
