#!/bin/bash
# SPDX-License-Identifier: MIT
# `netbootctl image shell` while the daemon serves a node root: the shell's
# mount namespace must not keep a copy of the root's mount after the daemon
# unmounts it. A private copy keeps the old superblock, and its device
# number, for as long as the shell runs: a restart of the daemon meanwhile
# then mounts the root under another number, and every NFS handle of it
# (which names the number: t3110) goes stale. The roots' parent is a
# shared mount, as / is under systemd.
NBT_OWN_MOUNT_NS=1
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

fixture_busybox_amd64 "$T/img" || skip_all "cannot build the amd64 busybox userland"
mkdir -p "$T/img/boot/firmware" "$T/img/usr/sbin" "$T/img/root"
printf '%s\n' "$FIXTURE_CMDLINE" >"$T/img/boot/firmware/cmdline.txt"
echo "nameserver 192.0.2.53" >"$T/img/etc/resolv.conf"
nb_layout
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp
mount --bind "$NB/nfs" "$NB/nfs" && mount --make-shared "$NB/nfs" ||
	skip_all "cannot make $NB/nfs a shared mount"
at_exit "lazy_umount '$NB/nfs'"
at_exit "lazy_umount '$NB/nfs/n1'"
nb_image os-a "$T/img"
nb_one_node_config os-a
R=$NB/nfs/n1
nb_start_root n1
dev=$(stat -c %d "$R")

# in_other_ns PID: PID or a descendant runs in another mount namespace.
in_other_ns()
{
	local p
	[ "$(readlink "/proc/$1/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && return 0
	for p in $(ps -o pid= --ppid "$1"); do
		in_other_ns "$p" && return 0
	done
	return 1
}
# The shell's command waits for a line on its stdin, a FIFO this test
# holds open: it runs until the test is done with the restart.
mkfifo "$T/go"
"$NETBOOTCTL" -c "$NB_CONF" image shell --discard os-a -- /bin/sh -c 'read line' \
	<"$T/go" >"$T/shell.out" 2>&1 &
SHELL_PID=$!
at_exit "stop_pid $SHELL_PID"
exec 8>"$T/go"
t_ok "image shell runs its command in a mount namespace of its own" \
	wait_for "in_other_ns $SHELL_PID" 60

t_ok "netbootfs stops cleanly" nb_stop
nb_start_root n1
t_is "$(stat -c %d "$R")" "$dev" "a restart while image shell runs: the root has its device number back"
t_fails "... and the log does not say it was held" nb_log_has "cannot mount as device"
t_ok "image shell was running all along" kill -0 "$SHELL_PID"
echo done >&8
exec 8>&-
wait "$SHELL_PID"
t_is "$?" 0 "image shell --discard: exit 0" || _t_diag_stream "$T/shell.out"
done_testing
