#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl node boot NAME (issue 16): for boots the daemon cannot tell.
# A node that is up is armed: reads on the server leave it armed, and the
# next request of the TFTP server in its tree (whatever the file, whatever
# its root does) is its boot. A node that is down boots at once.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/boots.sh"

require_root
require_fuse
require_cmd ip dnsmasq busybox ss perl mksquashfs
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

plan 21
NB_BOOT_GAP=2 boots_setup ""
ctl() { "$NETBOOTCTL" -c "$NB_CONF" "$@"; }

out=$(ctl node boot --help)
t_is "$?" 0 "node boot --help: exit 0"
t_like "$out" "Usage: netbootctl \[-c CONFIG\] node boot NAME" "node boot --help: usage"
out=$(ctl node boot nosuch 2>&1)
t_is "$?" 1 "node boot of an unknown node: exit 1"
t_like "$out" "node boot: no node 'nosuch' in " "and says so"

echo "per's file" >"$NB/nfs/per/home/mine"
echo "vol's file" >"$NB/nfs/vol/home/mine"
t_ok "generation 2 is dropped in" boots_new_generation g2

# per is up: armed.
root_busy_start per
t_ok "per is up: its root is busy" wait_for "[ \"\$(nb_node per up)\" = true ]" 10
out=$(ctl node boot per)
t_is "$?" 0 "node boot per: exit 0"
t_is "$out" "node per: is up; its next TFTP request starts its boot" "node boot per: armed"
t_is "$(nb_node per boot_pending) $(pin_of per)" "true 1" "status: per's boot is pending"
cat "$NB/tftp/$PER_SERIAL/start4.elf" "$NB/tftp/$PER_SERIAL/config.txt" >/dev/null
sleep 1
t_is "$(nb_node per boot_pending) $(pin_of per)" "true 1" \
	"reads on the server leave it pending"
t_is "$(tftp_get "$PER_SERIAL/cmdline.txt")" "$PER_SERIAL/cmdline.txt OK" \
	"the TFTP server asks for per's cmdline.txt"
t_is "$(nb_node per boot_pending) $(pin_of per)" "false 2" \
	"that request was per's boot: generation 2, nothing pending"
t_is "$(nb_log_count 'node per: boot started \(TFTP cmdline.txt; netbootctl node boot\)')" 1 \
	"the log says why per booted"
t_is "$(cat "$NB/nfs/per/home/mine")" "per's file" "per keeps its file"
tftp_get "$PER_SERIAL/start4.elf" >/dev/null
t_is "$(nb_log_count 'node per: boot started')" 1 "its next requests start no other boot"
root_busy_stop per

# vol is down: booted at once.
t_ok "vol is down after 2 * boot_gap without requests" \
	wait_for "[ \"\$(nb_node vol up)\" = false ]" 15
out=$(ctl node boot vol)
t_is "$?" 0 "node boot vol: exit 0"
t_is "$out" "node vol: booted now (it is down): image os generation 2" \
	"node boot vol: booted at once"
t_is "$(pin_of vol)" 2 "vol is pinned to generation 2"
t_is "$(ls -A "$NB/overlays/vol")" "" "vol's volatile overlay is empty"
t_fails "vol's file is gone from its root" test -e "$NB/nfs/vol/home/mine"
