#!/bin/bash
# SPDX-License-Identifier: MIT
# Roles: the file server finds the PXE server's boot records by polling,
# as it must when another machine writes them on a network filesystem
# (inotify sees only local writes): NETBOOTFS_TEST_POLL_BOOTS turns its
# inotify watch off. A record is taken once; records already there when the
# file server starts are old boots, not new ones. The TFTP server is the
# test's own tftpd (a copy of cat, a [server] tftp_server).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum
[ -x "$NETBOOTFS" ] || skip_all "no $NETBOOTFS (build first)"

nb_layout
FILES=$NB
fixture_boot_tree "$T/os-a" poll-a
nb_image os-a "$T/os-a"
# boot_gap 2: a TFTP pause of 2 s ends a boot on the PXE server.
NB_BOOT_GAP=2 NB_ADDRESS=10.99.0.2 nb_write_config <<-INI
	role = files
	default_image = os-a

	[node:n1]
	serial = 1a2b3c4d
	mac = dc:a6:32:00:00:01
	image = os-a
INI
FILES_CONF=$NB_CONF
at_exit "lazy_umount '$FILES/nfs/n1'"
NETBOOTFS_TEST_POLL_BOOTS=1 nb_start_root n1
FILES_PID=$NB_PID

PXE=$T/pxe
nb_pxe_config "$PXE" || exit 1
at_exit "lazy_umount '$PXE/tftp'"
NB=$PXE NB_CONF=$PXE/netbootfs.ini nb_start || exit 1
PXE_PID=$NB_PID
NB=$FILES NB_CONF=$FILES_CONF NB_PID=$FILES_PID

boots()
{
	grep -c 'node n1: boot started (boot record of the PXE server)' "$FILES/netbootfs.log"
}
# tftp FILE: the TFTP server reads the node's FILE on the PXE server.
tftp()
{
	"$PXE/tftpd" "$PXE/tftp/1a2b3c4d/$1" >"$T/got"
}

t_is "$(boots)" 0 "no boot before any TFTP request"
t_ok "the PXE server serves start4.elf" tftp start4.elf
t_file_sha_eq "$T/got" "$T/os-a/boot/firmware/start4.elf" "start4.elf byte-exact"
t_ok "the PXE server wrote the boot record" grep -qx "generation [1-9][0-9]*" "$FILES/state/boots/n1"
wait_for '[ "$(boots)" = 1 ]' 5
t_is "$(boots)" 1 "the file server finds the record without inotify (poll)"
t_ok "the PXE server serves config.txt (same boot)" tftp config.txt
sleep 2
t_is "$(boots)" 1 "a record is taken once; no new record within a boot"

sleep 1 # boot_gap: the next request is a new boot
tftp start4.elf
wait_for '[ "$(boots)" = 2 ]' 5
t_is "$(boots)" 2 "the next boot's record is found too"

# A restarted file server takes no boot from the records already there.
t_ok "the file server stops" nb_stop
NETBOOTFS_TEST_POLL_BOOTS=1 nb_start_root n1
FILES_PID=$NB_PID
sleep 3
t_is "$(tail -c "+$NB_LOG_FROM" "$FILES/netbootfs.log" | grep -c 'boot started')" 0 \
	"after its restart the file server boots nobody from old records"
tftp start4.elf # more than boot_gap since the last request: a boot
wait_for '[ "$(boots)" = 3 ]' 5
t_is "$(boots)" 3 "and takes the next new record"

t_ok "the file server still runs" kill -0 "$FILES_PID"
t_ok "the PXE server still runs" kill -0 "$PXE_PID"
t_is "$(cat "$FILES/netbootfs.log" "$PXE/netbootfs.log" | grep -c 'Sanitizer\|runtime error')" 0 \
	"no sanitizer report in either daemon's log"

done_testing
