#!/bin/bash
# SPDX-License-Identifier: MIT
# NFSv3 handles of a node root outlive a crash of the daemon. NFS-Ganesha
# (the `netbootctl gen ganesha` config, FSAL_VFS) in a server namespace
# exports the root; in a client namespace, nfsfh (tests/lib/nfsfh.c, libnfs
# raw RPC) takes the NFSv3 handles of an image file, a generated file, an
# overlay-only file, an image file that is then copied up, directories at
# depth 5 (one of the image, one only in the overlay) and files in them,
# and keeps them as a node's kernel does: it never looks a name up again.
# The daemon is killed with SIGKILL and started again; every saved handle
# must then read the same bytes (READ3) or list the same names
# (READDIRPLUS3), none NFS3ERR_STALE. A handle of an overlay file deleted
# while the daemon ran is NFS3ERR_STALE after the restart: never another
# file's bytes.
#
# Ganesha is restarted with the daemon, as its systemd drop-in asks
# (PartOf=, After=netbootfs.service; docs/deployment.md): it must be, see
# "kill -9, restart" below. A server restart is what an NFSv3 client is made
# to survive: it keeps its handles and sends them again.
#
# The test runs in a mount namespace of its own (NBT_OWN_MOUNT_NS,
# test-lib.sh): under prove -j, t3130's holder (`unshare -m --propagation
# private`) copied this test's node root and kept its device number in use
# across the restarts below.
NBT_OWN_MOUNT_NS=1
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum ip ganesha.nfsd rpcbind rpcinfo unshare ss
[ -e /usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so ] ||
	dpkg -L nfs-ganesha-vfs >/dev/null 2>&1 || skip_all "needs nfs-ganesha-vfs"
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"
NFSFH=$NB_BUILD/tests/nfsfh
[ -x "$NFSFH" ] || skip_all "no $NFSFH (make all builds it when libnfs-dev is installed)"

nb_layout
# The roots' parent is a shared mount, as / is on a host with systemd: a
# mount namespace made while the root is mounted (other tests' servers in
# network namespaces) then gets a slave copy of it, which the daemon's
# unmount reaches. A private copy would keep the dead mount's superblock,
# and its device number, alive.
mount --bind "$NB/nfs" "$NB/nfs" && mount --make-shared "$NB/nfs" ||
	skip_all "cannot make $NB/nfs a shared mount"
at_exit "lazy_umount '$NB/nfs'"
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -p "$img/srv/a/b/c/d"
printf 'deep in the image\n' >"$img/srv/a/b/c/d/data"
printf 'beside it\n' >"$img/srv/a/b/c/d/more"
nb_image os-a "$img"
nb_one_node_config os-a "$NB_NET.51"
R=$NB/nfs/n1
# A mount that holds a device number below the node root's and goes away
# before the restart: the kernel would hand that lower number to the next
# mount (see "kill -9, restart"). Other mounts come and go on the host
# meanwhile: if one freed a lower number before the root was mounted, try
# again.
mkdir "$T/hole"
at_exit "lazy_umount '$T/hole'"
for try in 1 2 3; do
	mount -t tmpfs nbt-hole "$T/hole" || skip_all "cannot mount a tmpfs"
	nb_start_root n1
	[ "$(stat -c %d "$T/hole")" -lt "$(stat -c %d "$R")" ] && break
	nb_stop
	umount "$T/hole"
	rm -f "$NB/state/roots/n1.dev"
done
t_ok "a tmpfs holds a device number below the node root's (try $try)" \
	test "$(stat -c %d "$T/hole")" -lt "$(stat -c %d "$R")"

# What the node itself writes into its root before the handles are taken.
printf 'only in the overlay\n' >"$R/etc/overlay-only"
mkdir -p "$R/o1/o2/o3/o4/o5"
printf 'deep in the overlay\n' >"$R/o1/o2/o3/o4/o5/f"
printf 'doomed\n' >"$R/etc/doomed"

"$NETBOOTCTL" -c "$NB_CONF" gen ganesha >"$T/ganesha.conf"
t_is "$?" 0 "gen ganesha: exit 0"
t_is "$(grep -c '^\s*Filesystem_Id = ' "$T/ganesha.conf")" 1 "the node's export has a Filesystem_Id"
ganesha_test_state "$T/ganesha.conf"
t_ok "create server namespace" ns_create srv
t_ok "create client namespace" ns_create pi
t_ok "link the client (the node's address)" ns_link srv pi "$NB_SERVER_IP/24" dc:a6:32:00:00:01 "$NB_NET.51/24"
t_svc_ganesha srv "$T/ganesha.conf" "ganesha exports the node root"

# ---- the client takes its handles ----------------------------------------
# NAME PATH: the objects whose handles the client keeps.
objects="root .
img boot/firmware/start4.elf
variant etc/fixture-variant
gen etc/hostname
upper etc/overlay-only
copied boot/firmware/config.txt
imgdeep srv/a/b/c/d
imgdeepfile srv/a/b/c/d/data
ovldeep o1/o2/o3/o4/o5
ovldeepfile o1/o2/o3/o4/o5/f
etc etc
doomed etc/doomed"
# shellcheck disable=SC2046 # the paths, one word each
ns_exec pi timeout 120 "$NFSFH" save "$NB_SERVER_IP" "$R" $(echo "$objects" | cut -d' ' -f2) \
	>"$T/handles" 2>"$T/save.err"
t_is "$?" 0 "nfsfh save: MOUNT3 and LOOKUP3 of every object"
paste -d' ' <(echo "$objects") "$T/handles" >"$T/held"
t_is "$(awk '{ print $1, $4 }' "$T/held" | tr '\n' ' ')" \
	"root dir img reg variant reg gen reg upper reg copied reg imgdeep dir imgdeepfile reg ovldeep dir ovldeepfile reg etc dir doomed reg " \
	"one handle per object, of the right type"

# hread NAME: what the held handle reads now (READ3 bytes or READDIRPLUS3
# names), else "exit N: error".
hread()
{
	local h rc=0
	h=$(awk -v n="$1" '$1 == n { print $3 }' "$T/held")
	ns_exec pi timeout 120 "$NFSFH" read "$NB_SERVER_IP" "$h" >"$T/out.$1" 2>"$T/err.$1" || rc=$?
	[ "$rc" -eq 0 ] || echo "exit $rc: $(tr '\n' ' ' <"$T/err.$1")"
}
hbytes()
{
	local e
	e=$(hread "$1")
	[ -z "$e" ] && cat "$T/out.$1" || echo "$e"
}
# hsha NAME: the sha256 of what it reads, or the error.
hsha()
{
	local e
	e=$(hread "$1")
	[ -z "$e" ] && sha256sum <"$T/out.$1" | cut -d' ' -f1 || echo "$e"
}
hnames()
{
	local e
	e=$(hread "$1")
	[ -z "$e" ] && sort "$T/out.$1" | tr '\n' ' ' || echo "$e"
}
lsha()
{
	sha256sum <"$R/$1" | cut -d' ' -f1
}

# The copy-up happens after the client took the image file's handle.
want_copied_before=$(lsha boot/firmware/config.txt)
t_is "$(hsha copied)" "$want_copied_before" "running: the image config.txt reads over NFS"
printf 'appended on the node\n' >>"$R/boot/firmware/config.txt"
t_ok "config.txt is copied up" test -f "$NB/overlays/n1/boot/firmware/config.txt"
t_isnt "$(lsha boot/firmware/config.txt)" "$want_copied_before" "and changed"
# The deleted file: its handle is held, the daemon is running.
t_is "$(hbytes doomed)" doomed "running: etc/doomed reads over NFS"
rm "$R/etc/doomed"

# What each held handle must read: the bytes (sha256) or the names the
# node's root shows.
files="img variant gen upper copied imgdeepfile ovldeepfile"
dirs="root imgdeep ovldeep etc"
declare -A want
for n in $files $dirs; do
	p=$R/$(awk -v n="$n" '$1 == n { print $2 }' "$T/held")
	if [ -d "$p" ]; then
		want[$n]=$(find "$p" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')
	else
		want[$n]=$(sha256sum <"$p" | cut -d' ' -f1)
	fi
done
t_is "${want[gen]}" "$(printf 'n1\n' | sha256sum | cut -d' ' -f1)" "the generated hostname is the node's name"
t_is "${want[img]}" "$(sha256sum <"$img/boot/firmware/start4.elf" | cut -d' ' -f1)" \
	"start4.elf in the root is the image's"
t_is "${want[imgdeep]}" "data more " "the image's depth-5 directory lists its files"
t_is "${want[ovldeep]}" "f " "the overlay's depth-5 directory lists its file"
t_like "${want[etc]}" "overlay-only" "etc lists the overlay-only file"

# check_all WHEN: every held handle against what the node wrote.
check_all()
{
	local n stale=0
	for n in $files; do
		t_is "$(hsha "$n")" "${want[$n]}" "$1: READ3 by the held handle of $n: the same bytes"
	done
	for n in $dirs; do
		t_is "$(hnames "$n")" "${want[$n]}" "$1: READDIRPLUS3 by the held handle of $n: the same names"
	done
	for n in $files $dirs; do
		grep -q NFS3ERR_STALE "$T/err.$n" && stale=$((stale + 1))
	done
	t_is "$stale" 0 "$1: no held handle is NFS3ERR_STALE"
}
check_all "running"
# Ganesha may still hold the deleted file open: its own bytes or STALE.
t_like "$(hbytes doomed)" "^(doomed|exit 3: .*NFS3ERR_STALE.*)$" \
	"running: the deleted file's handle reads its own bytes or is NFS3ERR_STALE"

# ---- kill -9, restart ------------------------------------------------------
# Ganesha's NFSv3 handle is its export id, the file system's id and the FUSE
# handle (node id, generation). A FUSE mount has no fsid of its own (statfs
# gives 0), so Ganesha takes the mount's device number (0:N, handed out by
# the kernel at each mount, the lowest one free): the handles survive only
# if the restarted daemon's mount gets the same number, which the daemon
# sees to (state/roots/n1.dev, fusefs/serve/devnum.c). Before that, the
# mount came back as 0:41 instead of 0:43 (a lower number freed meanwhile)
# and every held handle was NFS3ERR_STALE. Ganesha holds the dead mount, and
# so its number, while it runs: it must stop before the daemon starts again
# (measured the other way round: 0:52 instead of 0:43, all STALE, and the
# daemon logs "cannot mount as device 0:43 again"). A Ganesha kept running
# on the dead mount serves only what the kernel still caches of it.
dev_before=$(stat -c %d "$R")
umount "$T/hole"
nb_kill9
svc_ganesha_stop srv
nb_start_root n1
t_ok "the restart found the id table" test -s "$NB/state/roots/n1.ids"
t_is "$(stat -c %d "$R")" "$dev_before" \
	"the node root's mount has its device number back (it is in Ganesha's handles)"
t_svc_ganesha srv "$T/ganesha.conf" "ganesha restarts"
check_all "after kill -9 and a restart"
t_like "$(hread doomed)" "^exit 3: .*NFS3ERR_STALE" \
	"after kill -9 and a restart: the deleted file's handle is NFS3ERR_STALE"

# A clean stop leaves no mount behind: the number comes from
# state/roots/n1.dev alone.
t_is "$(cat "$NB/state/roots/n1.dev")" "$(stat -c %Hd:%Ld "$R")" "state/roots/n1.dev holds the number"
svc_ganesha_stop srv
t_ok "netbootfs stops cleanly" nb_stop
nb_start_root n1
t_is "$(stat -c %d "$R")" "$dev_before" "after a clean restart: the same device number"
t_svc_ganesha srv "$T/ganesha.conf" "ganesha starts again"
check_all "after a clean restart"

if [ "$_t_failed" -gt 0 ]; then
	ganesha_diag srv
	nb_diag_log
fi
done_testing
