#!/bin/bash
# SPDX-License-Identifier: MIT
# NFS-Ganesha (the `netbootctl gen ganesha` config, FSAL_VFS) exports a
# node root; the node reads its root over NFSv3 and v4 on generation 1.
# Generation 2 is dropped in and the node boots onto it (the daemon re-pins
# its root). A fresh NFS client, as a rebooting node mounts, must then see
# generation 2 byte-exact: changed files, names only in generation 2, and
# creates in directories of the image. Ganesha caches directory entries
# (MDCACHE) that the kernel-side invalidations of the re-pin do not reach;
# gen ganesha turns that cache off (Dir_Chunk = 0). Both generations'
# directories carry the same mtimes (as a reproducible image build gives),
# so no mtime tells Ganesha of the change.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum ip ganesha.nfsd rpcbind rpcinfo unshare ss nfs-ls nfs-cat nfs-cp perl
[ -e /usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so ] ||
	dpkg -L nfs-ganesha-vfs >/dev/null 2>&1 || skip_all "needs nfs-ganesha-vfs"
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
fixture_boot_tree "$T/g1" g1
fixture_boot_tree "$T/g2" g2
# Names only in generation 2, with the fixture's timestamps kept: every
# directory of both generations has the same mtime.
echo "only in g2" >"$T/g2/etc/only-in-g2"
fixture_bytes 70000 g2/new.dtbo >"$T/g2/boot/firmware/overlays/new.dtbo"
find "$T/g2" -exec touch -h -d @1700000000 {} +
nb_image os-a "$T/g1"
NB_BOOT_GAP=2 nb_one_node_config os-a "$NB_NET.51"
nb_start_root n1
R=$NB/nfs/n1
N1=$NB/tftp/1a2b3c4d
nb_tftp_read "$N1/start4.elf" # n1's first boot
gen1=$(nb_node n1 generation)
t_like "$gen1" '^[0-9]+$' "n1 pins generation $gen1"

"$NETBOOTCTL" -c "$NB_CONF" gen ganesha >"$T/ganesha.conf"
t_is "$?" 0 "gen ganesha: exit 0"
ganesha_test_state "$T/ganesha.conf"
t_ok "create server namespace" ns_create srv
t_ok "create client namespace" ns_create pi
t_ok "link the client (the node's address)" ns_link srv pi "$NB_SERVER_IP/24" dc:a6:32:00:00:01 "$NB_NET.51/24"
t_svc_ganesha srv "$T/ganesha.conf" "ganesha exports the node root"

# Each libnfs tool run is a new mount; a hang is a failure, not a stall.
nfs()
{
	ns_exec pi timeout 60 "$@"
}
url()
{
	nfs_url "$NB_SERVER_IP" "$R/$1" "${2:-3}"
}
names()
{
	nfs nfs-ls "$(url "$1" "$2")" 2>&1 | awk '{ print $NF }' | sort | tr '\n' ' '
}

# ---- generation 1 over NFS: Ganesha caches what it served ----------------
for v in 3 4; do
	t_is "$(nfs nfs-cat "$(url etc/fixture-variant $v)" 2>&1)" g1 "g1, v$v: etc/fixture-variant"
	nfs nfs-cat "$(url boot/firmware/start4.elf $v)" >"$T/s-g1-v$v" 2>&1
	t_file_sha_eq "$T/s-g1-v$v" "$T/g1/boot/firmware/start4.elf" "g1, v$v: start4.elf byte-exact"
	t_is "$(names etc $v)" "fixture-variant fstab hostname shadow " "g1, v$v: nfs-ls etc"
	t_is "$(names boot/firmware/overlays $v)" "overlay_map.dtb vc4-kms-v3d.dtbo " \
		"g1, v$v: nfs-ls boot/firmware/overlays"
	nfs nfs-cat "$(url etc/only-in-g2 $v)" >/dev/null 2>&1
	t_isnt "$?" 0 "g1, v$v: etc/only-in-g2 is not there yet"
done

# ---- generation 2, and n1 boots onto it ----------------------------------
n=$(nb_log_count 'os-a\.sqfs: image os-a generation')
nb_image os-a "$T/g2"
t_ok "generation 2 is taken (verified in the background)" \
	nb_wait_log 'os-a\.sqfs: image os-a generation' "$n" 60
t_ok "n1 boots" nb_boot 1a2b3c4d
t_ok "n1's netbootfs root shows generation 2" \
	wait_for "[ \"\$(cat '$R/etc/fixture-variant')\" = g2 ]" 10
gen2=$(nb_node n1 generation)
t_isnt "$gen2" "$gen1" "n1 pins a new generation ($gen2)"

# ---- over NFS, from a fresh mount: generation 2 --------------------------
for v in 3 4; do
	t_is "$(nfs nfs-cat "$(url etc/fixture-variant $v)" 2>&1)" g2 "g2, v$v: etc/fixture-variant is g2's"
	nfs nfs-cat "$(url boot/firmware/start4.elf $v)" >"$T/s-g2-v$v" 2>&1
	t_file_sha_eq "$T/s-g2-v$v" "$T/g2/boot/firmware/start4.elf" "g2, v$v: start4.elf byte-exact"
	t_is "$(nfs nfs-cat "$(url etc/only-in-g2 $v)" 2>&1)" "only in g2" "g2, v$v: a name only in g2 reads"
	nfs nfs-cat "$(url boot/firmware/overlays/new.dtbo $v)" >"$T/new-v$v" 2>&1
	t_file_sha_eq "$T/new-v$v" "$T/g2/boot/firmware/overlays/new.dtbo" \
		"g2, v$v: a file only in g2, in a directory listed before, byte-exact"
	t_is "$(names etc $v)" "fixture-variant fstab hostname only-in-g2 shadow " "g2, v$v: nfs-ls etc"
	t_is "$(names boot/firmware/overlays $v)" "new.dtbo overlay_map.dtb vc4-kms-v3d.dtbo " \
		"g2, v$v: nfs-ls boot/firmware/overlays"
done
# Creates in directories of the image (v3: what a Pi's kernel writes with).
echo "written after the boot" >"$T/up"
t_ok "g2, v3: nfs-cp creates boot/firmware/after-boot.txt" \
	nfs nfs-cp "$T/up" "$(url boot/firmware/after-boot.txt)"
t_file_sha_eq "$NB/overlays/n1/boot/firmware/after-boot.txt" "$T/up" "it lands in overlays/n1/, byte-exact"
t_ok "g2, v3: nfs-cp creates etc/after-boot.txt" nfs nfs-cp "$T/up" "$(url etc/after-boot.txt)"
nfs nfs-cat "$(url etc/after-boot.txt 4)" >"$T/back" 2>&1
t_file_sha_eq "$T/back" "$T/up" "g2, v4: it reads back byte-exact"
t_ok "ganesha is still running" kill -0 "$SVC_PID"
t_ok "netbootfs is still running" kill -0 "$NB_PID"

if [ "$_t_failed" -gt 0 ]; then
	ganesha_diag srv
	nb_diag_log
fi
done_testing
