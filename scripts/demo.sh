#!/bin/bash
# SPDX-License-Identifier: MIT
#
# demo.sh: `make demo`. Boots three simulated Raspberry Pis from one
# generated squashfs image and prints what happens: netbootfs serves the
# boot trees and roots, dnsmasq (DHCP + TFTP) and NFS-Ganesha (NFSv3) run in
# a server network namespace with the configs `netbootctl gen` writes, and
# each Pi is a client namespace with its own MAC that does what the boot
# ROM and the kernel do: DHCP with the Pi vendor class, TFTP of its boot
# files by serial, NFS mount of its root.
#
# Needs root and the build in build/ (or $NETBOOTFS_BUILD). Everything runs
# in a scratch dir under /tmp and in namespaces made here; on exit, Ctrl-C
# or SIGTERM every process, mount and namespace it started is removed.

# The test library gives the scratch dir $T, the cleanup stack (run on
# EXIT/INT/TERM) and the namespace and service helpers.
. "$(dirname "$0")/../tests/lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
# Not a TAP test: no plan to announce or check at exit.
_t_plan=0
_t_done=1

exec 3>&1 # the transcript; cleanup steps have their output redirected

die()
{
	echo "demo: $*" >&2
	exit 1
}

say()
{
	printf '%s\n' "$@" >&3
}

human()
{
	awk -v n="$1" 'BEGIN {
		if (n < 1024) { printf "%d B", n; exit }
		split("KiB MiB GiB", u, " ")
		for (i = 0; n >= 1024 && i < 3; i++) n /= 1024
		printf "%.1f %s", n, u[i]
	}'
}

[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, mounts, dnsmasq, Ganesha): sudo make demo"
[ -c /dev/fuse ] || die "needs /dev/fuse"
for c in ip dnsmasq busybox ganesha.nfsd rpcbind rpcinfo unshare nfs-ls nfs-cat nfs-cp \
	mksquashfs ss perl; do
	command -v "$c" >/dev/null || die "needs '$c': run 'make deps' first"
done
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || die "no $NETBOOTFS: run 'make' first"

# node serial MAC address
NODES="rpi-01 d3a10001 dc:a6:32:0d:e0:01 $NB_NET.51
rpi-02 d3a10002 dc:a6:32:0d:e0:02 $NB_NET.52
rpi-03 d3a10003 e4:5f:01:0d:e0:03 $NB_NET.53"
BOOT_FILES="start4.elf fixup4.dat config.txt cmdline.txt bcm2711-rpi-4-b.dtb overlays/vc4-kms-v3d.dtbo kernel8.img"
PIDS=() # every daemon started here, checked once the cleanup has run

# Runs last (registered first): tell whether anything is left behind.
check_left_behind()
{
	local left=() p
	# A daemon whose parent died (Ctrl-C reaches the whole process group)
	# is reaped by init a moment after it exits.
	for p in "${PIDS[@]}"; do
		wait_for "! kill -0 $p || grep -q '^State:.*Z' /proc/$p/status" 3 ||
			left+=("process $p ($(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null))")
	done
	while read -r p; do
		left+=("mount $p")
	done < <(_t_mounts | awk -v p="$T/" 'index($1, p) == 1 { print $1 }')
	while read -r p; do
		left+=("netns $p")
	done < <(ip netns list | awk -v p="nbt$$-" 'index($1, p) == 1 { print $1 }')
	if [ ${#left[@]} -eq 0 ]; then
		say "cleaned up: every process, mount and namespace of this demo is gone"
	else
		say "demo: left behind: ${left[*]}"
	fi
}
at_exit check_left_behind

say "netbootfs demo: three simulated Raspberry Pis boot from one squashfs image" \
	"(scratch dir $T, removed at the end)" ""

# ---- 1. the image ------------------------------------------------------------
nb_layout
img=$T/image
fixture_boot_tree "$img" demo || die "cannot make the boot files"
fixture_busybox_arm64 "$img" >"$T/busybox.log" 2>&1 ||
	die "cannot make the arm64 busybox userland: $(tail -n 3 "$T/busybox.log")"
printf 'Welcome to ${node} (serial ${serial}), served by netbootfs\n' >"$NB/templates/motd"
mkdir -p "$NB/templates/etc" && mv "$NB/templates/motd" "$NB/templates/etc/motd"
nb_image demo-arm64 "$img" || die "mksquashfs failed"
say "[1/5] image: $NB/images/demo-arm64.sqfs ($(human "$(stat -c %s "$NB/images/demo-arm64.sqfs")"))" \
	"      arm64 busybox userland (bin/busybox from Debian's busybox-static:arm64)" \
	"      + Raspberry Pi 4 boot files in boot/firmware (start4.elf, DTBs, overlays, 30 MiB kernel8.img)"

# ---- 2. the config --------------------------------------------------------------
{
	cat <<-INI
	dhcp = full
	dhcp_range = $NB_NET.100,$NB_NET.150,12h
	interface = br0
	default_image = demo-arm64

	[defaults]
	image = demo-arm64
	INI
	while read -r name serial mac ip; do
		printf '\n[node:%s]\nserial = %s\nmac = %s\nip = %s\n' "$name" "$serial" "$mac" "$ip"
	done <<<"$NODES"
} | NB_ADDRESS=$NB_SERVER_IP nb_write_config
"$NETBOOTCTL" -c "$NB_CONF" check >"$T/check.out" 2>&1 || die "netbootctl check: $(cat "$T/check.out")"
say "" "[2/5] config: $NB_CONF (netbootctl check: ok)"
"$NETBOOTCTL" -c "$NB_CONF" nodes | sed 's/^/      /' >&3

# ---- 3. netbootfs -------------------------------------------------------------------
while read -r name _; do
	at_exit "lazy_umount '$NB/nfs/$name'"
done <<<"$NODES"
nb_start || die "netbootfs did not start; log: $NB/netbootfs.log"
PIDS+=("$NB_PID")
while read -r name _; do
	wait_mounted "$NB/nfs/$name" 10 || die "$NB/nfs/$name is not mounted"
done <<<"$NODES"
say "" "[3/5] netbootfs (pid $NB_PID) mounted:" \
	"      $NB/tftp          TFTP view: $(ls "$NB/tftp" | tr '\n' ' ')" \
	"      $NB/nfs/<node>    one copy-on-write root per node"

# ---- 4. the network and the services ------------------------------------------------
"$NETBOOTCTL" -c "$NB_CONF" gen dnsmasq --hook "$SRCDIR/conf/dnsmasq-hook.sh" >"$T/dnsmasq.conf" ||
	die "netbootctl gen dnsmasq failed"
"$NETBOOTCTL" -c "$NB_CONF" gen ganesha >"$T/ganesha.conf" || die "netbootctl gen ganesha failed"
ganesha_test_state "$T/ganesha.conf"
ns_create srv || die "cannot create the server namespace"
while read -r name _ mac _; do
	ns_create "$name" && ns_link srv "$name" "$NB_SERVER_IP/24" "$mac" ||
		die "cannot create the namespace of $name"
done <<<"$NODES"
export NETBOOTFS_CONFIG=$NB_CONF PATH=$NB_BUILD:$PATH
svc_dnsmasq srv "$T/dnsmasq.conf" 2>"$T/svc.err" || die "dnsmasq did not start: $(cat "$T/svc.err")"
PIDS+=("$SVC_PID")
dnsmasq_pid=$SVC_PID
svc_ganesha srv "$T/ganesha.conf" 2>"$T/svc.err" || die "Ganesha did not start: $(cat "$T/svc.err")"
PIDS+=("$SVC_PID" "$(cat "$T/ganesha-srv/rpcbind.pid")")
say "" "[4/5] network namespaces: server nbt$$-srv ($NB_SERVER_IP/24 on a bridge), one per Pi" \
	"      dnsmasq (pid $dnsmasq_pid): full DHCP $NB_NET.100-150, TFTP root $NB/tftp (netbootctl gen dnsmasq)" \
	"      NFS-Ganesha (pid $SVC_PID) + rpcbind: one NFSv3/v4 export per node root (netbootctl gen ganesha)"

# ---- 5. the Pis boot ----------------------------------------------------------------
say "" "[5/5] booting the Pis (DHCP vendor class $NB_PI_VENDOR)"
boot()
{
	local name=$1 serial=$2 mac=$3 f got size mark url
	say "" "  $name   serial $serial   MAC $mac"
	svc_dhcp_client "$name" "$mac" 2>"$T/svc.err" || die "$name: no DHCP lease: $(cat "$T/svc.err")"
	say "    DHCP      leased $(dhcp_var "$name" ip) from $(dhcp_var "$name" serverid), PXE menu (option 43): \"$(dhcp_opt_text "$name" 43 | grep -o 'Raspberry Pi Boot *')\""
	mkdir -p "$T/$name"
	for f in $BOOT_FILES; do
		got=$T/$name/${f//\//_}
		svc_tftp_get "$name" "$NB_SERVER_IP" "$serial/$f" "$got" 2>"$T/svc.err" ||
			die "$name: TFTP $serial/$f failed: $(cat "$T/svc.err")"
		size=$(stat -c %s "$got")
		mark="same bytes as the image"
		if [ "$f" = cmdline.txt ]; then
			mark="generated for $name"
		elif ! cmp -s "$got" "$img/boot/firmware/$f"; then
			mark="DIFFERS FROM THE IMAGE"
		fi
		say "$(printf '    TFTP      %-36s %10s  %s' "$serial/$f" "$(human "$size")" "$mark")"
	done
	say "    cmdline   $(cat "$T/$name/cmdline.txt")"
	url=$(nfs_url "$NB_SERVER_IP" "$NB/nfs/$name" 3)
	ns_exec "$name" nfs-ls "$url" >"$T/$name/ls" 2>&1 || die "$name: NFS mount failed: $(cat "$T/$name/ls")"
	say "    root      NFSv3 $NB_SERVER_IP:$NB/nfs/$name mounted: $(awk '{ print $NF }' "$T/$name/ls" | sort | tr '\n' ' ')"
	say "    hostname  $(ns_exec "$name" nfs-cat "$(nfs_url "$NB_SERVER_IP" "$NB/nfs/$name/etc/hostname" 3)" 2>&1)"
	say "    motd      $(ns_exec "$name" nfs-cat "$(nfs_url "$NB_SERVER_IP" "$NB/nfs/$name/etc/motd" 3)" 2>&1)"
	if ns_exec "$name" nfs-cp "$(nfs_url "$NB_SERVER_IP" "$NB/nfs/$name/bin/busybox" 3)" "$T/$name/busybox" \
		>/dev/null 2>&1 && chmod +x "$T/$name/busybox" && out=$("$T/$name/busybox" uname -m 2>/dev/null); then
		say "    userland  bin/busybox read over NFS runs (qemu-user): uname -m = $out"
	fi
	printf 'hello from %s, written over NFSv3 at %s\n' "$name" "$(date -u +%FT%TZ)" >"$T/$name/note"
	ns_exec "$name" nfs-cp "$T/$name/note" "$(nfs_url "$NB_SERVER_IP" "$NB/nfs/$name/root-note.txt" 3)" \
		>"$T/svc.err" 2>&1 || die "$name: NFS write failed: $(cat "$T/svc.err")"
	if cmp -s "$T/$name/note" "$NB/overlays/$name/root-note.txt"; then
		say "    write     /root-note.txt ($(stat -c %s "$T/$name/note") B) -> overlays/$name/root-note.txt on the server"
	else
		say "    write     /root-note.txt: NOT FOUND in overlays/$name/"
	fi
}
while read -r name serial mac _; do
	boot "$name" "$serial" "$mac"
done <<<"$NODES"

say "" "Each node sees only its own note:"
while read -r name _; do
	say "    $name: $(cd "$NB/nfs/$name" && ls root-note.txt 2>/dev/null) $(cut -d, -f1 "$NB/nfs/$name/root-note.txt")"
done <<<"$NODES"
say "" "stopping the services and unmounting..."
