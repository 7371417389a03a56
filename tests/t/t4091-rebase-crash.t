#!/bin/bash
# SPDX-License-Identifier: MIT
# A rebase is atomic (issue 16, acceptance 4): the daemon dies as kill -9
# would at four steps of a rebase (NETBOOTFS_TEST_CRASH_AT); after a
# restart the node's overlay is wholly the old one or wholly the rebased
# one, and the archive holds everything moved. The next boot then
# completes the rebase with nothing lost.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/rebase.sh"

require_root
require_fuse
require_cmd mksquashfs perl diff3

rb_setup n1 || exit 1
NB_BOOT_GAP=2 nb_write_config <<-INI
	[node:n1]
	image = os
	serial = 1a2b3c4d
	upgrade = rebase
INI
R=$NB/nfs/n1
O=$NB/overlays/n1
start()
{
	nb_start || return 1
	wait_mounted "$R" 10
}
start || {
	echo "Bail out! the daemon or $R did not come up"
	exit 1
}
nb_tftp_read "$NB/tftp/1a2b3c4d/start4.elf"
t_ok "the node changes its root" rb_node_changes "$R"
nb_stop
# The node's overlay on generation 1, xattrs (its base) and whiteouts kept.
cp -a "$O" "$T/old-overlay"
old=$(rb_manifest "$O")
rb_generation2

# Put the old overlay back and boot onto generation 2 with the daemon
# dying at step $1 ("" for none).
round()
{
	rm -rf "$O" "$NB/overlays/.archive" "$NB/overlays/.work"
	cp -a "$T/old-overlay" "$O"
	NETBOOTFS_TEST_CRASH_AT=$1 start || return 1
	nb_boot 1a2b3c4d 2>/dev/null || true # the daemon may die under it
}
archive_listing()
{
	local a
	a=$(ls -d "$NB"/overlays/.archive/n1/*/ 2>/dev/null) || return 0
	[ "$(echo "$a" | wc -l)" = 1 ] || { echo "several archives: $a"; return 0; }
	rb_manifest "$a/files"
}

# Reference: an uninterrupted rebase.
round "" || exit 1
t_ok "the reference rebase completes" wait_for "grep -q 'node n1: rebased onto' '$NB/netbootfs.log'" 10
new=$(rb_manifest "$O")
new_archive=$(archive_listing)
new_root=$(rb_manifest "$R")
t_ok "the rebase changed the overlay" test "$new" != "$old"
t_like "$new_archive" "etc/motd.conf" "the reference archive holds the node's replaced files"
nb_stop

# RB_CRASH_STEPS: t8033 adds moved-old, the commit's first rename where the
# overlay's file system refuses RENAME_EXCHANGE (GlusterFS).
for step in ${RB_CRASH_STEPS:-built synced exchanged archived}; do
	case $step in
	built | synced | moved-old) want=old ;;
	*) want=new ;;
	esac
	round "$step" || exit 1
	t_ok "$step: the daemon dies at that step" wait_for "! kill -0 $NB_PID" 20
	t_like "$(tail -n 5 "$NB/netbootfs.log")" "rebase: test crash at step $step" "$step: as planned"
	nb_kill9 # reaps it
	start || exit 1
	if [ $want = old ]; then
		t_is "$(rb_manifest "$O")" "$old" "$step: after a restart the overlay is wholly the old one"
		t_is "$(archive_listing)" "" "$step: and nothing was archived"
		n=$(nb_log_count 'node n1: rebased onto')
		t_ok "$step: the next boot rebases" nb_boot 1a2b3c4d
		t_ok "$step: (logged)" nb_wait_log 'node n1: rebased onto' "$n"
	fi
	t_is "$(rb_manifest "$O")" "$new" "$step: the overlay is wholly the rebased one"
	t_is "$(archive_listing)" "$new_archive" "$step: the archive holds everything moved"
	t_is "$(rb_manifest "$R")" "$new_root" "$step: the node's root is the reference's, byte for byte"
	t_is "$(ls -A "$NB/overlays/.work/.rebase" 2>/dev/null)" "" "$step: nothing left in the work area"
	nb_stop
done
done_testing
