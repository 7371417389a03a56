#!/bin/bash
# SPDX-License-Identifier: MIT
# Every node root comes back after a restart with the same bytes, and a
# device number that something else still holds costs one mount, not five.
#
# 12 nodes; each writes a file of its own into its root. The daemon is
# killed with SIGKILL (its dead mounts stay behind) and started again: every
# root must read the image's files and its own file with the same bytes as
# before, with one FUSE mount per root and none left over. Then a process in
# a mount namespace of its own with private propagation (as `unshare -m`
# makes) keeps a copy of every root, hence each old superblock and its
# device number, through a second SIGKILL restart: the daemon cannot get
# the numbers back (NFS-Ganesha's handles of them go stale, which it logs
# per root) and must not mount each root again and again waiting for
# numbers that are held (bench/lib/restart.sh measured 0.5 s per root):
# the waiting is bounded per start.
# mount(2) calls are counted with strace.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum strace unshare

N=12
nb_layout
img=$T/img
fixture_boot_tree "$img" a
nb_image os-a "$img"
{
	printf 'default_image = os-a\n\n[defaults]\nimage = os-a\noverlay = persistent\n'
	for ((i = 0; i < N; i++)); do
		printf '[node:n%d]\nserial = %08x\nmac = dc:a6:32:00:01:%02x\n' "$i" $((0x5a000000 + i)) "$i"
	done
} | nb_write_config

# roots_sums: per root, the sha256 of an image file, a generated one and
# the node's own file; one line per node.
roots_sums()
{
	local i
	for ((i = 0; i < N; i++)); do
		echo "n$i $(cat "$NB/nfs/n$i/boot/firmware/start4.elf" "$NB/nfs/n$i/etc/fstab" \
			"$NB/nfs/n$i/etc/mine" 2>&1 | sha256sum | cut -c1-16)"
	done
}

fuse_roots()
{
	awk -v p="$NB/nfs/" 'index($5, p) == 1 && / - fuse/' /proc/self/mountinfo | wc -l
}

# start_traced: the daemon under strace counting its mount(2) calls into
# $T/mounts; NB_PID is the daemon's (strace's child), TRACER strace's.
start_traced()
{
	: >"$NB/netbootfs.log"
	NB_LOG_FROM=1
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=mount -o "$T/mounts" \
		"$NETBOOTFS" -f -c "$NB_CONF" >>"$NB/netbootfs.log" 2>&1 &
	TRACER=$!
	at_exit "stop_pid $TRACER"
	wait_for "pgrep -P $TRACER" 10 || return 1
	NB_PID=$(pgrep -P "$TRACER")
	at_exit "nb_stop_pid $NB_PID"
	wait_for "_nb_up $NB_PID" 60
}

nb_start || exit 1
wait_for "[ \$(fuse_roots) -eq $N ]" 20
for ((i = 0; i < N; i++)); do
	printf 'node %d wrote this\n' "$i" >"$NB/nfs/n$i/etc/mine"
done
roots_sums >"$T/before"
t_is "$(grep -c 'No such' "$T/before")" 0 "every root reads its files before the restart"

nb_kill9
t_is "$(fuse_roots)" "$N" "SIGKILL leaves the $N dead mounts behind"
t_ok "the daemon starts again over them" start_traced
roots_sums >"$T/after"
t_is "$(cat "$T/after")" "$(cat "$T/before")" "every root serves the same bytes after the restart"
t_is "$(fuse_roots)" "$N" "one FUSE mount per root, no dead one left"
# One mount(2) per root, unless the host's other mounts came in between
# (a number taken meanwhile, or held by a namespace made meanwhile).
mounts=$(grep -c 'mount("netbootfs:n' "$T/mounts")
t_ok "one mount(2) per root ($mounts for $N roots; at most 10 more)" \
	test "$mounts" -ge "$N" -a "$mounts" -le $((N + 10))

# A private copy of every root keeps its device number in use.
unshare -m --propagation private sleep 600 &
HOLDER=$!
at_exit "stop_pid $HOLDER"
wait_for "[ \"\$(readlink /proc/$HOLDER/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ]" 10
nb_kill9
stop_pid "$TRACER"
t_ok "the daemon starts again while the old numbers are held" start_traced
roots_sums >"$T/after2"
t_is "$(cat "$T/after2")" "$(cat "$T/before")" "every root serves the same bytes again"
t_is "$(fuse_roots)" "$N" "one FUSE mount per root"
t_is "$(grep -c 'cannot mount as device .*(in use' "$NB/netbootfs.log")" "$N" \
	"the log says of each root that its device number is held"
# The daemon waits for held numbers (an old superblock on its way out) 10
# tries per start (FS_MOUNT_BUSY_RETRIES), not 4 per root: 12 + 10 here.
t_is "$(grep -c 'mount("netbootfs:n' "$T/mounts")" "$((N + 10))" \
	"one mount(2) per root, and 10 more in all while the numbers are held"

nb_stop_pid "$NB_PID"
stop_pid "$TRACER"
t_is "$(fuse_roots)" 0 "the stop unmounts every root"
done_testing
