#!/bin/bash
# SPDX-License-Identifier: MIT
# Roles: the PXE server and the NFS file server as two daemons over one
# shared images/overlays/state tree ([server] role = pxe and role = files,
# the same ini otherwise). dnsmasq runs in the PXE server's namespace with
# the PXE daemon's `gen dnsmasq`, Ganesha in the file server's with the
# file daemon's `gen ganesha`. A simulated Pi gets its boot files (byte-
# exact) from the PXE server, a cmdline.txt naming the file server, and its
# root over NFS from the file server. Restarting the PXE daemon, and kill -9
# of it, leave the running node's root untouched (reads and writes keep
# working, byte-exact); the PXE daemon comes back serving the same files.
# A new image generation: the running root keeps its pin; the next boot,
# seen by the PXE daemon, moves the root on the file server to the very
# generation the boot files come from (boot record in <state>/boots).
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

PXE_IP=$NB_NET.1
FILES_IP=$NB_NET.2
name=pi-a serial=5a00a001 mac=dc:a6:32:80:00:01 ip=$NB_NET.51
boot_files="start4.elf config.txt kernel8.img bcm2711-rpi-4-b.dtb overlays/vc4-kms-v3d.dtbo"

# ---- the file server: layout, config, daemon --------------------------------
nb_layout
FILES=$NB
fixture_boot_tree "$T/os-a" e2e-a
nb_image os-a "$T/os-a"
# boot_gap 5: a TFTP pause of 5 s ends a boot (the third boot below).
NB_BOOT_GAP=5 NB_ADDRESS=$FILES_IP nb_write_config <<-INI
	role = files
	dhcp = full
	dhcp_range = $NB_NET.100,$NB_NET.150,12h
	interface = eth0
	clients = $NB_NET.0/24
	default_image = os-a

	[node:$name]
	serial = $serial
	mac = $mac
	ip = $ip
	image = os-a
	cmdline = quiet
INI
FILES_CONF=$NB_CONF
at_exit "lazy_umount '$FILES/nfs/$name'"
nb_start || exit 1
FILES_PID=$NB_PID
wait_mounted "$FILES/nfs/$name" 10 || {
	echo "Bail out! $FILES/nfs/$name is not mounted"
	exit 1
}
t_ok "role files: no boot tree mounted at tftp_root" eval "! _t_is_fuse_mounted '$FILES/tftp'"

# ---- the PXE server: the same ini but role, tftp_root, control ---------------
PXE=$T/pxe
nb_pxe_config "$PXE" || exit 1
PXE_CONF=$PXE/netbootfs.ini
at_exit "lazy_umount '$PXE/tftp'"
pxe_start()
{
	NB=$PXE NB_CONF=$PXE_CONF nb_start || return 1
	PXE_PID=$NB_PID
}
pxe_start || exit 1
NB=$FILES NB_CONF=$FILES_CONF
t_is "$(_t_mounts | awk -v p="$T/" 'index($1, p) == 1 && $2 ~ /^fuse/ { print $1 }' | LC_ALL=C sort | tr '\n' ' ')" \
	"$PXE/tftp $FILES/nfs/$name " \
	"role pxe mounts no node root: the file server's root and the PXE server's boot tree"
t_ok "role pxe: boot tree mounted at its tftp_root" _t_is_fuse_mounted "$PXE/tftp"

# ---- netbootctl knows the roles ----------------------------------------------------
"$NETBOOTCTL" -c "$PXE_CONF" gen dnsmasq --hook "$SRCDIR/conf/dnsmasq-hook.sh" >"$T/dnsmasq.conf"
t_is "$?" 0 "role pxe: gen dnsmasq: exit 0"
t_fails "role pxe: gen ganesha is refused" "$NETBOOTCTL" -c "$PXE_CONF" gen ganesha
t_like "$("$NETBOOTCTL" -c "$PXE_CONF" gen exports 2>&1)" \
	"gen exports: this server's \[server\] role is pxe: run it on the file server" \
	"role pxe: gen exports says where to run it"
"$NETBOOTCTL" -c "$FILES_CONF" gen ganesha >"$T/ganesha.conf"
t_is "$?" 0 "role files: gen ganesha: exit 0"
t_like "$("$NETBOOTCTL" -c "$FILES_CONF" gen dnsmasq 2>&1)" \
	"gen dnsmasq: this server's \[server\] role is files: run it on the PXE server" \
	"role files: gen dnsmasq says where to run it"
t_like "$("$NETBOOTCTL" -c "$PXE_CONF" check)" "role pxe: .*file server $FILES_IP" \
	"check on the PXE server names the file server"
t_like "$("$NETBOOTCTL" -c "$FILES_CONF" check)" "role files: node roots" \
	"check on the file server says it serves the roots"
# As generated: gen ganesha's MDCACHE settings are what makes the boot onto
# a new generation show over NFS (below, and t3090).
ganesha_test_state "$T/ganesha.conf"

# ---- the network: a LAN with the two servers and the Pi ----------------------------
ns_create lan && ns_create pxe && ns_create files && ns_create "$name" || {
	echo "Bail out! cannot create namespaces"
	exit 1
}
ns_link lan pxe "$NB_NET.254/24" 02:00:00:80:00:01 "$PXE_IP/24" &&
	ns_link lan files "$NB_NET.254/24" 02:00:00:80:00:02 "$FILES_IP/24" &&
	ns_link lan "$name" "$NB_NET.254/24" "$mac" || {
	echo "Bail out! cannot link namespaces"
	exit 1
}
export NETBOOTFS_CONFIG=$PXE_CONF PATH=$NB_BUILD:$PATH
# dnsmasq must see the boot tree of the PXE daemon restarted under it.
SVC_HOST_MOUNTS=1 t_ok "dnsmasq starts in the PXE server's namespace" svc_dnsmasq pxe "$T/dnsmasq.conf" || exit 1
t_ok "ganesha starts in the file server's namespace" svc_ganesha files "$T/ganesha.conf" || exit 1

# ---- the Pi boots across the two servers ------------------------------------------
# fetch TAG IMAGE-DIR: the boot files from the PXE server, each byte-exact.
fetch()
{
	local tag=$1 tree=$2 f got
	mkdir -p "$T/$tag"
	for f in $boot_files cmdline.txt; do
		got=$T/$tag/${f//\//_}
		if ! svc_tftp_get "$name" "$PXE_IP" "$serial/$f" "$got" 2>"$T/tftp.err"; then
			ok 1 "$tag: TFTP $serial/$f from the PXE server"
			_t_diag_stream <"$T/tftp.err"
			continue
		fi
		[ "$f" = cmdline.txt ] && continue
		t_file_sha_eq "$got" "$tree/boot/firmware/$f" "$tag: TFTP $f byte-exact"
	done
	t_is "$(cat "$T/$tag/cmdline.txt")" \
		"console=serial0,115200 console=tty1 quiet root=/dev/nfs nfsroot=$FILES_IP:$FILES/nfs/$name,vers=3,tcp rw ip=dhcp rootwait quiet" \
		"$tag: cmdline.txt names the file server's address and the root it exports"
}
url()
{
	nfs_url "$FILES_IP" "$FILES/nfs/$name/$1" 3
}

t_ok "DHCP: the Pi gets a lease" svc_dhcp_client "$name" "$mac"
t_is "$(dhcp_var "$name" ip)" "$ip" "DHCP: its fixed address"
t_is "$(dhcp_var "$name" siaddr)" "$PXE_IP" "DHCP: next server is the PXE server"
fetch boot1 "$T/os-a"
# The firmware's first request was a boot: the file server follows it.
wait_for "grep -q 'boot started' '$FILES/netbootfs.log'" 10
t_like "$(cat "$FILES/netbootfs.log")" "node $name: boot started \(boot record of the PXE server\)" \
	"the file server learns of the boot from the PXE server's boot record"
t_is "$(ns_exec "$name" nfs-cat "$(url etc/hostname)" 2>&1)" "$name" \
	"NFS from the file server: etc/hostname is the node's"
t_is "$(ns_exec "$name" nfs-cat "$(url etc/fixture-variant)" 2>&1)" e2e-a "NFS: the image's files"

# write N: a file over NFS; byte-exact in the overlay and read back over NFS.
write_check()
{
	local n=$1 what=$2
	printf 'write %s by %s over NFS\n' "$n" "$name" >"$T/up-$n"
	head -c 300000 /dev/urandom >>"$T/up-$n"
	t_ok "$what: nfs-cp writes etc/note-$n" \
		ns_exec "$name" nfs-cp "$T/up-$n" "$(url "etc/note-$n")"
	t_file_sha_eq "$FILES/overlays/$name/etc/note-$n" "$T/up-$n" "$what: in the shared overlay, byte-exact"
	ns_exec "$name" nfs-cat "$(url "etc/note-$n")" >"$T/back-$n" 2>"$T/back-$n.err"
	t_file_sha_eq "$T/back-$n" "$T/up-$n" "$what: read back over NFS, byte-exact"
}
# Reads of the running root: a file of the image and the earlier writes.
read_check()
{
	local what=$1 n
	ns_exec "$name" nfs-cat "$(url boot/firmware/kernel8.img)" >"$T/k.img" 2>"$T/k.err"
	t_file_sha_eq "$T/k.img" "$T/os-a/boot/firmware/kernel8.img" "$what: NFS kernel8.img byte-exact"
	t_is "$(cat "$T/k.err" "$T"/back-*.err)" "" "$what: no NFS error (no ESTALE)"
	for n in "${@:2}"; do
		ns_exec "$name" nfs-cat "$(url "etc/note-$n")" >"$T/again-$n" 2>&1
		t_file_sha_eq "$T/again-$n" "$T/up-$n" "$what: etc/note-$n still reads byte-exact"
	done
}
write_check 1 "running"

# ---- the PXE server restarts, then dies ------------------------------------------
NB_PID=$PXE_PID NB=$PXE
t_ok "PXE daemon stops on SIGTERM, its boot tree unmounted" nb_stop
t_is "$NB_STATUS" 0 "PXE daemon: exit status 0"
NB=$FILES
read_check "PXE daemon stopped" 1
write_check 2 "PXE daemon stopped"
pxe_start || exit 1
NB=$FILES NB_CONF=$FILES_CONF
read_check "PXE daemon restarted" 1 2
kill -9 "$PXE_PID"
wait "$PXE_PID" 2>/dev/null
t_fails "kill -9: the PXE daemon is gone" kill -0 "$PXE_PID"
read_check "PXE daemon killed" 1 2
write_check 3 "PXE daemon killed"
t_ok "the file server still runs" kill -0 "$FILES_PID"
t_is "$(grep -c 'boot started' "$FILES/netbootfs.log")" 1 "the file server saw no boot meanwhile"
pxe_start || exit 1
NB=$FILES NB_CONF=$FILES_CONF
t_like "$(cat "$PXE/netbootfs.log")" "recovering a stale mount" \
	"the PXE daemon recovers the boot tree mount its killed self left"

# ---- the PXE server reads the node's overlay (shared, read-only) ------------------
# The node installs a file into its boot dir; it boots with it next.
head -c 777777 /dev/urandom >"$T/own-kernel.img"
t_ok "the node writes boot/firmware/own-kernel.img over NFS" \
	ns_exec "$name" nfs-cp "$T/own-kernel.img" "$(url boot/firmware/own-kernel.img)"
# dnsmasq serves what others may read (nfs-cp made it 0600): the node's chmod.
chmod 0644 "$FILES/nfs/$name/boot/firmware/own-kernel.img"
sleep 6 # boot_gap: the next request is a new boot
fetch_one()
{
	svc_tftp_get "$name" "$PXE_IP" "$serial/$1" "$T/$2" 2>"$T/tftp.err" || _t_diag_stream <"$T/tftp.err"
}
fetch_one start4.elf boot2-start4.elf
fetch_one own-kernel.img boot2-own-kernel.img
t_file_sha_eq "$T/boot2-own-kernel.img" "$T/own-kernel.img" \
	"next boot: the PXE server serves the file from the node's overlay, byte-exact"
t_file_sha_eq "$T/boot2-start4.elf" "$T/os-a/boot/firmware/start4.elf" \
	"next boot: the rest still from the image"
wait_for "[ \$(grep -c 'boot started' '$FILES/netbootfs.log') = 2 ]" 10
t_is "$(grep -c 'boot started (boot record of the PXE server)' "$FILES/netbootfs.log")" 2 \
	"the file server learns of the second boot"
t_file_sha_eq "$FILES/overlays/$name/boot/firmware/own-kernel.img" "$T/own-kernel.img" \
	"the overlay keeps the node's file across the boot"

# ---- a new generation; the next boot takes it on both servers ---------------------
fixture_boot_tree "$T/os-a2" e2e-a2
nb_image os-a "$T/os-a2"
# new_gen LOG: the id of the last generation a daemon made of os-a.sqfs.
new_gen()
{
	grep -o 'os-a.sqfs: image os-a generation [0-9]*' "$1" | tail -n1 | awk '{ print $5 }'
}
gen1=$(new_gen "$FILES/netbootfs.log")
wait_for "[ \"\$(new_gen '$FILES/netbootfs.log')\" != $gen1 ] &&
	[ \"\$(new_gen '$PXE/netbootfs.log')\" != $gen1 ]" 60
gen2=$(new_gen "$FILES/netbootfs.log")
t_isnt "$gen2" "$gen1" "the file server makes the new file a generation"
t_is "$(new_gen "$PXE/netbootfs.log")" "$gen2" "the PXE server gives it the same generation id"
read_check "new generation, no boot" 1 2 3
t_is "$(ns_exec "$name" nfs-cat "$(url etc/fixture-variant)" 2>&1)" e2e-a \
	"the running root keeps its generation"

# The Pi reboots: its firmware's first request is a boot for the PXE daemon.
sleep 6 # boot_gap
fetch boot3 "$T/os-a2"
t_ok "the PXE daemon wrote the boot record" grep -qx "generation $gen2" "$FILES/state/boots/$name"
wait_for "[ \$(grep -c 'boot started' '$FILES/netbootfs.log') = 3 ]" 10
t_is "$(grep -c 'boot started (boot record of the PXE server)' "$FILES/netbootfs.log")" 3 \
	"the file server learns of the third boot"
t_like "$(cat "$FILES/netbootfs.log")" "node $name: pinned image os-a generation $gen2" \
	"the file server pins the generation the PXE server serves"
t_is "$(cat "$FILES/nfs/$name/etc/fixture-variant")" e2e-a2 \
	"after the boot its root (the file server's mount) shows the new generation"
t_file_sha_eq "$FILES/nfs/$name/boot/firmware/kernel8.img" "$T/os-a2/boot/firmware/kernel8.img" \
	"the root's kernel8.img is the one TFTP served"
t_file_sha_eq "$FILES/overlays/$name/etc/note-3" "$T/up-3" "the overlay survives the boot"
# Over NFS, from the Pi's fresh mount after its reboot: the new generation.
t_is "$(ns_exec "$name" nfs-cat "$(url etc/fixture-variant)" 2>&1)" e2e-a2 \
	"NFS after the boot: etc/fixture-variant of the new generation"
ns_exec "$name" nfs-cat "$(url boot/firmware/kernel8.img)" >"$T/k2.img" 2>&1
t_file_sha_eq "$T/k2.img" "$T/os-a2/boot/firmware/kernel8.img" "NFS after the boot: kernel8.img byte-exact"
ns_exec "$name" nfs-cat "$(url etc/note-3)" >"$T/note-3.nfs" 2>&1
t_file_sha_eq "$T/note-3.nfs" "$T/up-3" "NFS after the boot: the overlay's file"
printf 'after the boot\n' >"$T/after"
t_ok "NFS after the boot: the node creates boot/firmware/after-boot.txt" \
	ns_exec "$name" nfs-cp "$T/after" "$(url boot/firmware/after-boot.txt)"
t_file_sha_eq "$FILES/overlays/$name/boot/firmware/after-boot.txt" "$T/after" \
	"it lands in the overlay, byte-exact"

t_ok "dnsmasq still runs" kill -0 "$(cat "$T/dnsmasq-pxe.pid")"
t_ok "the file server still runs" kill -0 "$FILES_PID"
t_ok "the PXE server still runs" kill -0 "$PXE_PID"
t_is "$(cat "$FILES/netbootfs.log" "$PXE/netbootfs.log" | grep -c 'Sanitizer\|runtime error')" 0 \
	"no sanitizer report in either daemon's log"

done_testing
