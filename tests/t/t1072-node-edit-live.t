#!/bin/bash
# SPDX-License-Identifier: MIT
# A running netbootfs picks up netbootctl node add / node rm like any edit:
# the added node's boot tree and root appear within the reload (no signal,
# no restart), and node rm takes its boot tree away at once and its root
# once idle. The file is replaced by rename, so the daemon never reads half
# of it.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl

nb_layout
at_exit "lazy_umount '$NB/nfs/n2'"
fixture_boot_tree "$T/a" a
nb_image os-a "$T/a"
export NB_BOOT_GAP=2
nb_write_config <<-INI
	clients = 10.99.0.0/24 ; who may mount roots
	default_image = os-a

	[defaults]
	image = os-a

	# the first Pi
	[node:n1]
	serial = 1a2b3c4d
	mac = dc:a6:32:00:00:01
INI
ctl() { "$NETBOOTCTL" -c "$NB_CONF" "$@"; }
t_is "$(ctl check 2>&1)" "ok: 1 nodes, 1 images" "the config passes check"
nb_start_root n1

reloads=$(nb_log_count ': reloaded')
start=$(date +%s.%N)
out=$(ctl node add n2 --serial 2b3c4d5e --mac dc:a6:32:00:00:02 2>&1); rc=$?
t_is "$rc:$out" "0:node n2 added to $NB_CONF" "node add: exit 0"
t_ok "n2's root is mounted" wait_mounted "$NB/nfs/n2" 5
t_ok "n2's boot tree is there" wait_for "[ -f '$NB/tftp/2b3c4d5e/start4.elf' ]" 5
end=$(date +%s.%N)
note "node add to a served node: $(perl -e "printf '%.2f', $end - $start") s"
t_is "$(nb_log_count ': reloaded, 2 nodes')" 1 "the daemon reloaded once, to 2 nodes"
t_is "$(nb_log_count ': reloaded')" "$((reloads + 1))" "... and no other reload"
t_file_sha_eq "$NB/tftp/2b3c4d5e/start4.elf" "$T/a/boot/firmware/start4.elf" \
	"n2's start4.elf is the image's"
t_file_sha_eq "$NB/tftp/dc-a6-32-00-00-02/config.txt" "$T/a/boot/firmware/config.txt" \
	"n2's boot tree under its MAC too"
t_is "$(cat "$NB/nfs/n2/etc/fixture-variant")" a "n2's root shows the image"
t_is "$(nb_status_json | json_get 'join " ", map { $_->{name} } @{$j->{nodes}}')" "n1 n2" \
	"status lists n1 and n2"

out=$(ctl node rm n2 2>&1); rc=$?
t_is "$rc:$out" "0:node n2 removed from $NB_CONF" "node rm: exit 0"
t_ok "n2's boot tree goes at once" wait_for "! [ -e '$NB/tftp/2b3c4d5e' ]" 5
t_ok "n2's root is unmounted once idle" \
	wait_for "! is_mounted '$NB/nfs/n2'" $((2 * NB_BOOT_GAP + 5))
t_is "$(nb_status_json | json_get 'join " ", map { $_->{name} } @{$j->{nodes}}')" "n1" \
	"status lists n1 only"
t_is "$(cat "$NB/nfs/n1/etc/fixture-variant")" a "n1 is served throughout"
t_is "$(grep -c 'reload refused' "$NB/netbootfs.log")" 0 "no reload was refused"

# A client counted as unknown just before it is added is not written to
# discovered afterwards: the daemon folds its sightings in within 5 s, after
# the reload that made it a node.
nb_tftp_read "$NB/tftp/3c4d5e6f/start4.elf" 2>/dev/null
out=$(ctl node add n3 --serial 3c4d5e6f 2>&1); rc=$?
t_is "$rc" 0 "node add n3 right after its first TFTP request: exit 0"
t_ok "n3's root is mounted" wait_mounted "$NB/nfs/n3" 5
at_exit "lazy_umount '$NB/nfs/n3'"
sleep 6
t_is "$(grep -c '^3c4d5e6f' "$NB/state/discovered" 2>/dev/null)" 0 \
	"n3's sighting from before the reload is not written to discovered"
# (n2, removed, is unknown again: the waits above looked its name up.)
t_is "$(ctl discovered --json | perl -MJSON::PP -0777 -ne 'print join " ", map { $_->{id} } @{decode_json($_)}')" \
	2b3c4d5e "discovered lists the removed n2, not n3"

t_ok "daemon stops cleanly" nb_stop
done_testing
